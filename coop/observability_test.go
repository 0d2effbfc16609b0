package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestObservability_MetricsAndLogs runs a demo node with its logs in a
// buffer. A failed login leaves a JSON log line with its request id and
// no email or password; the demo's password appears in no line. Members
// then vote the demo's quick proposal through and the researcher runs its
// query: /metrics counts the ballots, the query and the budget it spent,
// beside the Raft state, the apply latency and the HTTP latency by route.
func TestObservability_MetricsAndLogs(t *testing.T) {
	cfg := testConfig(t, "n1")
	cfg.Demo = true
	logs := &syncBuffer{}
	n := NewNode(cfg, logs)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	waitReady(t, n)
	url := n.URL()
	password, err := readDemoPassword(t, cfg.Data)
	if err != nil {
		t.Fatal(err)
	}

	// A failed login, with the caller's request id.
	const requestID = "req-failed-login-7"
	email, wrong := "member1@"+demoEmailDomain, "wrong horse battery 99"
	status, body := apiCall(t, "POST", url+"/api/v1/login", "", "application/json",
		fmt.Sprintf(`{"email":%q,"password":%q}`, email, wrong), "X-Request-ID", requestID)
	if status != http.StatusUnauthorized {
		t.Fatalf("failed login: %d %s", status, body)
	}
	waitFor(t, 5*time.Second, func() error {
		for _, line := range strings.Split(logs.String(), "\n") {
			if !strings.Contains(line, requestID) {
				continue
			}
			var entry map[string]any
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				return fmt.Errorf("log line is not JSON: %q", line)
			}
			if entry["request_id"] == requestID && entry["status"] == float64(http.StatusUnauthorized) && entry["route"] == "/api/v1/login" {
				return nil
			}
		}
		return fmt.Errorf("no log line of the failed login with request id %s", requestID)
	})

	// Every remaining member votes yes on the quick proposal (the demo's
	// eight voted already): the whole electorate voted, so it closes.
	var quick string
	for _, p := range mustProposals(t, url) {
		var full struct {
			Title string `json:"title"`
		}
		_, b := apiCall(t, "GET", url+"/api/v1/proposals/"+p.ID, "", "application/json", "")
		json.Unmarshal([]byte(b), &full)
		if strings.HasPrefix(full.Title, "Combien de membres") {
			quick = p.ID
		}
	}
	if quick == "" {
		t.Fatal("the demo's quick proposal is missing")
	}
	for i := 9; i <= demoMembers; i++ {
		tok := loginAs(t, url, fmt.Sprintf("member%d@%s", i, demoEmailDomain), password)
		if status, body := apiCall(t, "POST", url+"/api/v1/proposals/"+quick+"/ballots", tok, "application/json", `{"choice":"yes"}`); status != http.StatusCreated {
			t.Fatalf("ballot of member%d: %d %s", i, status, body)
		}
	}
	waitFor(t, 15*time.Second, func() error {
		_, b := apiCall(t, "GET", url+"/api/v1/proposals/"+quick, "", "application/json", "")
		if !strings.Contains(b, `"status":"passed"`) {
			return fmt.Errorf("quick proposal: %s", b)
		}
		return nil
	})
	researcher := loginAs(t, url, "researcher@"+demoEmailDomain, password)
	if status, body := apiCall(t, "POST", url+"/api/v1/proposals/"+quick+"/queries", researcher, "application/json", `{}`); status != http.StatusOK {
		t.Fatalf("run query: %d %s", status, body)
	}

	_, metrics := get(t, url+"/metrics")
	for _, want := range []string{
		`coop_raft_state{state="leader"} 1`,
		fmt.Sprintf("coop_ballots_cast_total %d", demoMembers),
		"coop_queries_run_total 1",
		"coop_privacy_budget_spent_total 0.5",
		"coop_raft_apply_duration_seconds_count ",
		"coop_fsm_batch_duration_seconds_count ",
		`coop_http_request_duration_seconds_count{route="/api/v1/proposals/:id/queries"} 1`,
		`coop_http_requests_total{route="/api/v1/login",method="POST",code="401"} 1`,
		"coop_storage_healthy 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if v, err := metricValue(url, "coop_raft_apply_duration_seconds_count"); err != nil || v == 0 {
		t.Errorf("apply latency count %v (%v), want writes timed", v, err)
	}

	// Secrets and identities never reach a log line.
	all := logs.String()
	for name, secret := range map[string]string{"email": email, "wrong password": wrong, "demo password": password, "operator password": testOperatorPassword} {
		if strings.Contains(all, secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}
