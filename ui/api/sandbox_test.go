package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/pooling"
	"coop/ui/uitest"
)

// POST /api/v1/sandbox/{pool}/queries?epsilon=E answers the twin with the
// noise of one run at E: every shown figure has its ci; a bad epsilon is
// a 400 with the JSON error.
func TestAPISandboxAtAChosenEpsilon(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	token := w.Login(t, "rosalind@coop.test")
	ask := func(query string) (int, string) {
		req := httptest.NewRequest("POST", "/api/v1/sandbox/energy/queries"+query, strings.NewReader(`{"aggregate":"count","group_by":["region"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, body := uitest.Call(t, w.App, req)
		return resp.StatusCode, body
	}
	status, body := ask("?epsilon=0.5")
	var ans pooling.SandboxAnswer
	if err := json.Unmarshal([]byte(body), &ans); status != 200 || err != nil || !ans.Noisy || ans.Epsilon != 0.5 || len(ans.Groups) != 2 {
		t.Fatalf("%d %s", status, body)
	}
	for _, g := range ans.Groups {
		if !g.Suppressed && (g.CI == nil || g.CI[0] > *g.Value || g.CI[1] < *g.Value) {
			t.Fatalf("group without its interval: %s", body)
		}
	}
	if status, body := ask(""); status != 200 || strings.Contains(body, `"ci"`) || strings.Contains(body, `"noisy":true`) {
		t.Fatalf("without epsilon, the twin's exact figures: %d %s", status, body)
	}
	if status, body := ask("?epsilon=zero"); status != 400 || !strings.Contains(body, `"code":"invalid"`) {
		t.Fatalf("a bad epsilon: %d %s", status, body)
	}
}
