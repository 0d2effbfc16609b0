package server_test

import (
	"net/http/httptest"
	"testing"

	"coop/ui"
	"coop/ui/uitest"
)

// A client that floods one node gets 429 once over its limit, with the
// JSON error body; probes still answer.
func TestRateLimitPerClient(t *testing.T) {
	env := uitest.OpenEnv(t)
	env.Deps.RequestsPerMinute = 50
	app := ui.New(env.Deps)
	limited := 0
	for i := 0; i < 80; i++ {
		resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/api/v1/governance/rules", nil))
		if resp.StatusCode == 429 {
			limited++
			if uitest.DecodeError(t, body).Code != "too_many" {
				t.Fatalf("429 body %s", body)
			}
		}
	}
	if limited != 30 {
		t.Fatalf("%d of 80 requests limited at 50 a minute, want 30", limited)
	}
	if resp, _ := uitest.Call(t, app, httptest.NewRequest("GET", "/healthz", nil)); resp.StatusCode != 200 {
		t.Fatalf("healthz while limited: %d", resp.StatusCode)
	}
}
