package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// A proposal page's live stream carries the participation as ballots land
// (counts only, never a choice), fed by the events NATS carries after
// commit.
func TestLiveProposalStreamsParticipation(t *testing.T) {
	n, cfg, id := startDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", n.URL()+"/live/proposals/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("live stream: %d %s", resp.StatusCode, ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	data, _ := readDemoPassword(t, cfg.Data)
	tok := loginAs(t, n.URL(), "member3@"+demoEmailDomain, data)
	if status, body := apiCall(t, "POST", n.URL()+"/api/v1/proposals/"+id+"/ballots", tok, "application/json", `{"choice":"no"}`); status != 201 {
		t.Fatalf("vote: %d %s", status, body)
	}
	var event, payload string
	for line := range lines {
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok && event == "ballot_cast" {
			payload = v
			break
		}
	}
	if !strings.Contains(payload, `"participation":1`) || strings.Contains(payload, "choice") {
		t.Fatalf("live event %q %q", event, payload)
	}
}

// startDemo starts a demo node and returns it, its config and the id of
// the demo's open proposal.
func startDemo(t *testing.T) (*Node, Config, string) {
	t.Helper()
	cfg := testConfig(t, "n1")
	cfg.Demo = true
	n := startNode(t, cfg)
	waitReady(t, n)
	var id string
	for _, p := range mustProposals(t, n.URL()) {
		if p.Status == "open" {
			id = p.ID
		}
	}
	if id == "" {
		t.Fatal("the demo has no open proposal")
	}
	return n, cfg, id
}

type listedProposal struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func mustProposals(t *testing.T, url string) []listedProposal {
	t.Helper()
	_, body := get(t, url+"/api/v1/proposals")
	var out struct{ Proposals []listedProposal }
	jsonDecode(t, body, &out)
	return out.Proposals
}

func readDemoPassword(t *testing.T, dir string) (string, error) {
	t.Helper()
	data, err := os.ReadFile(dir + "/" + demoAccountsFile)
	if err != nil {
		return "", fmt.Errorf("demo accounts: %w", err)
	}
	pw, _ := field(string(data), "password")
	return pw, nil
}

// Polling the preview over HTTP learns nothing of who joins or leaves a
// pool: a member sees a noisy count that stays the same all day, while
// members withdraw their consent between polls; the exact count is in no
// field; an operator and an anonymous visitor get no count at all.
func TestAttack_PollingThePreviewLearnsNothing(t *testing.T) {
	n, cfg, id := startDemo(t)
	password, err := readDemoPassword(t, cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	tok := loginAs(t, n.URL(), "member1@"+demoEmailDomain, password)
	preview := func(token string) map[string]any {
		t.Helper()
		status, body := apiCall(t, "GET", n.URL()+"/api/v1/proposals/"+id+"/preview", token, "application/json", "")
		if status != 200 {
			t.Fatalf("preview: %d %s", status, body)
		}
		if strings.Contains(body, `"members_in_scope"`) {
			t.Fatalf("an exact count in the preview: %s", body)
		}
		var out map[string]any
		jsonDecode(t, body, &out)
		return out
	}
	first := preview(tok)["members_in_scope_noisy"]
	if first == nil {
		t.Fatal("a member sees no count before the vote")
	}
	for i := 2; i <= 6; i++ {
		leaver := loginAs(t, n.URL(), fmt.Sprintf("member%d@%s", i, demoEmailDomain), password)
		if status, body := apiCall(t, "PUT", n.URL()+"/api/v1/pools/home-energy/consent", leaver, "application/json", `{"granted":false}`); status != 200 {
			t.Fatalf("withdraw: %d %s", status, body)
		}
		if got := preview(tok)["members_in_scope_noisy"]; got != first {
			t.Fatalf("after %d members left, the count moved from %v to %v", i-1, first, got)
		}
	}
	if got := preview(operatorToken(t, n.URL()))["members_in_scope_noisy"]; got != nil {
		t.Fatalf("an operator sees the count: %v", got)
	}
	if status, _ := apiCall(t, "GET", n.URL()+"/api/v1/proposals/"+id+"/preview", "", "application/json", ""); status != 401 {
		t.Fatalf("an anonymous preview: %d", status)
	}
}
