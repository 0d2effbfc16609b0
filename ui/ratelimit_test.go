package ui

import (
	"net/http/httptest"
	"testing"
)

// A client that floods one node gets 429 once over its limit, with the
// JSON error body; probes still answer.
func TestRateLimitPerClient(t *testing.T) {
	env := openEnv(t)
	env.deps.RequestsPerMinute = 50
	app := New(env.deps)
	limited := 0
	for i := 0; i < 80; i++ {
		resp, body := call(t, app, httptest.NewRequest("GET", "/api/v1/governance/rules", nil))
		if resp.StatusCode == 429 {
			limited++
			if decodeError(t, body).Code != "too_many" {
				t.Fatalf("429 body %s", body)
			}
		}
	}
	if limited != 30 {
		t.Fatalf("%d of 80 requests limited at 50 a minute, want 30", limited)
	}
	if resp, _ := call(t, app, httptest.NewRequest("GET", "/healthz", nil)); resp.StatusCode != 200 {
		t.Fatalf("healthz while limited: %d", resp.StatusCode)
	}
}
