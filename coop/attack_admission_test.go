package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The attacks of issue 12 on one member, one vote: accounts made in bulk,
// an amendment that lowers the privacy floor, a query priced at nothing,
// an operator who makes itself a researcher. Each runs against real nodes
// through their HTTP API, as an attacker would.

const attackPassword = "plum orchard lantern 42"

// attackNode starts one node with the rulebook file rules ("" for the
// default rulebook) and the default sign-up limit of `coop serve`.
func attackNode(t *testing.T, rules string) (url, op string) {
	t.Helper()
	cfg := testConfig(t, "n1")
	cfg.Rules = ""
	if rules != "" {
		cfg.Rules = writeRules(t, rules)
	}
	cfg.SignupsPerHour = DefaultConfig().SignupsPerHour
	n := startNode(t, cfg)
	waitReady(t, n)
	return n.URL(), operatorToken(t, n.URL())
}

func writeRules(t *testing.T, rules string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signupAs signs name up from this test's address and answers the status,
// the account id (on 201) and the whole response.
func signupAs(t *testing.T, url, name string) (int, string, *http.Response) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"email":%q,"password":%q,"accept_charter":true}`, name, strings.ToLower(name)+"@coop.test", attackPassword)
	resp, err := testClient.Post(url+"/api/v1/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ ID string }
	json.Unmarshal(raw, &out)
	if resp.StatusCode == http.StatusCreated && out.ID == "" {
		t.Fatalf("sign-up of %s: 201 without an id: %s", name, raw)
	}
	return resp.StatusCode, out.ID, resp
}

// mustSignup signs name up and logs in: the account id and its token.
func mustSignup(t *testing.T, url, name string) (id, token string) {
	t.Helper()
	status, id, _ := signupAs(t, url, name)
	if status != http.StatusCreated {
		t.Fatalf("sign-up of %s: %d", name, status)
	}
	return id, loginAs(t, url, strings.ToLower(name)+"@coop.test", attackPassword)
}

// must calls the API and fails the test unless the status is want.
func must(t *testing.T, want int, method, url, token, body string) string {
	t.Helper()
	status, resp := apiCall(t, method, url, token, "application/json", body)
	if status != want {
		t.Fatalf("%s %s: %d %s (want %d)", method, url, status, resp, want)
	}
	return resp
}

// refused checks that a call is answered with want and an error message
// holding each of words.
func refused(t *testing.T, want int, method, url, token, body string, words ...string) {
	t.Helper()
	status, resp := apiCall(t, method, url, token, "application/json", body)
	if status != want {
		t.Errorf("%s %s: %d %s, want %d", method, url, status, resp, want)
		return
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	jsonDecode(t, resp, &e)
	for _, w := range words {
		if !strings.Contains(e.Error.Message, w) {
			t.Errorf("%s %s: the message %q does not name %q", method, url, e.Error.Message, w)
		}
	}
}

// researcherWithProposal gives the node a pool, grants the researcher role
// to the applicant id (token tok) and opens a knowledge proposal with it;
// it returns the proposal's id.
func researcherWithProposal(t *testing.T, url, op, id, tok string) string {
	t.Helper()
	must(t, 201, "POST", url+"/api/v1/pools", op, `{"id":"energy","title":"Energy",
		"fields":[{"name":"kwh","type":"number","min":0,"max":2000},{"name":"heating","type":"category","values":["gas","wood"]}],
		"documentation":{"provenance":"meters","collection_method":"self-reading","update_frequency":"monthly","format":"JSON","pseudonymisation":"member keys"}}`)
	must(t, 200, "POST", url+"/api/v1/members/"+id+"/roles", op, `{"role":"researcher"}`)
	return openProposal(t, url, tok)
}

func openProposal(t *testing.T, url, researcher string) string {
	t.Helper()
	var p struct{ ID string }
	jsonDecode(t, must(t, 201, "POST", url+"/api/v1/proposals", researcher, `{"title":"Heating and energy","purpose":"Compare energy use by heating.",
		"kind":"knowledge","pool":"energy","query":{"aggregate":"count","group_by":["heating"]},
		"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":0.5},"voting_minutes":1440,"grant_days":30}`), &p)
	return p.ID
}

func vote(t *testing.T, url, proposal, token string) int {
	t.Helper()
	status, _ := apiCall(t, "POST", url+"/api/v1/proposals/"+proposal+"/ballots", token, "application/json", `{"choice":"yes"}`)
	return status
}

type meAnswer struct {
	Roles    []string
	Admitted bool
}

func me(t *testing.T, url, token string) meAnswer {
	t.Helper()
	var m meAnswer
	jsonDecode(t, must(t, 200, "GET", url+"/api/v1/me", token, ""), &m)
	return m
}

// TestAttack_SignupFloodMakesNoVoters replays break 2 of issue 12: 30
// sign-ups from one address. The 21st and later get 429 with Retry-After
// and a sentence; the 20 accounts made are applicants, and none of them
// may vote on an open proposal (403) under the default rulebook, where an
// operator admits. A member admitted after the proposal opened cannot vote
// on it either; on a proposal opened after the admission, they can.
func TestAttack_SignupFloodMakesNoVoters(t *testing.T) {
	url, op := attackNode(t, "")
	var ids []string
	for i := 1; i <= 30; i++ {
		status, id, resp := signupAs(t, url, fmt.Sprintf("Sock%02d", i))
		switch {
		case i <= 20 && status != http.StatusCreated:
			t.Fatalf("sign-up %d of 30: %d, want 201", i, status)
		case i <= 20:
			ids = append(ids, id)
		case status != http.StatusTooManyRequests:
			t.Errorf("sign-up %d of 30 from one address: %d, want 429", i, status)
		case resp.Header.Get("Retry-After") == "":
			t.Errorf("sign-up %d: 429 without Retry-After", i)
		}
	}
	tokens := make([]string, len(ids))
	for i := range ids {
		tokens[i] = loginAs(t, url, fmt.Sprintf("sock%02d@coop.test", i+1), attackPassword)
	}
	if m := me(t, url, tokens[1]); m.Admitted || strings.Contains(strings.Join(m.Roles, ","), "member") {
		t.Errorf("an applicant's /me: %+v, want no member role and admitted false", m)
	}
	proposal := researcherWithProposal(t, url, op, ids[0], tokens[0])
	for i, tok := range tokens[1:] {
		if status := vote(t, url, proposal, tok); status != http.StatusForbidden {
			t.Errorf("applicant %d voted: %d, want 403", i+2, status)
		}
	}
	// Admitted now, after the proposal opened: still outside its electorate.
	must(t, 200, "POST", url+"/api/v1/members/"+ids[1]+"/admit", op, `{}`)
	if m := me(t, url, tokens[1]); !m.Admitted {
		t.Fatalf("after admission: %+v", m)
	}
	if status := vote(t, url, proposal, tokens[1]); status != http.StatusForbidden {
		t.Errorf("a member admitted after the proposal opened voted on it: %d, want 403", status)
	}
	later := openProposal(t, url, tokens[0])
	if status := vote(t, url, later, tokens[1]); status != http.StatusCreated {
		t.Errorf("an admitted member on a proposal opened after the admission: %d, want 201", status)
	}
	if status := vote(t, url, later, tokens[2]); status != http.StatusForbidden {
		t.Errorf("an applicant voted on the later proposal: %d, want 403", status)
	}
}

// TestAttack_OneSponsorIsNotEnough: under "sponsors" with two sponsors
// required, one member's word admits nobody; an applicant sponsors no one,
// nobody sponsors themselves, and an operator admits only the founders.
// The journal every account reads shows who admitted whom.
func TestAttack_OneSponsorIsNotEnough(t *testing.T) {
	url, op := attackNode(t, `{"membership":{"admission":"sponsors","sponsors_required":2}}`)
	ann, annTok := mustSignup(t, url, "Ann")
	bob, bobTok := mustSignup(t, url, "Bob")
	cal, calTok := mustSignup(t, url, "Cal")
	rex, rexTok := mustSignup(t, url, "Rex")
	// The founders: an operator admits while the coop has fewer members
	// than a sponsorship needs.
	must(t, 200, "POST", url+"/api/v1/members/"+ann+"/admit", op, `{}`)
	must(t, 200, "POST", url+"/api/v1/members/"+bob+"/admit", op, `{}`)
	refused(t, 409, "POST", url+"/api/v1/members/"+cal+"/admit", op, `{}`, "sponsor")

	must(t, 200, "POST", url+"/api/v1/members/"+cal+"/sponsor", annTok, `{}`)
	must(t, 200, "POST", url+"/api/v1/members/"+cal+"/sponsor", annTok, `{}`) // the same sponsor twice counts once
	if m := me(t, url, calTok); m.Admitted {
		t.Fatalf("one sponsor admitted Cal: %+v", m)
	}
	proposal := researcherWithProposal(t, url, op, rex, rexTok)
	if status := vote(t, url, proposal, calTok); status != http.StatusForbidden {
		t.Errorf("an applicant with one sponsor voted: %d, want 403", status)
	}
	refused(t, 403, "POST", url+"/api/v1/members/"+rex+"/sponsor", calTok, `{}`)
	refused(t, 403, "POST", url+"/api/v1/members/"+cal+"/sponsor", calTok, `{}`, "themselves")

	must(t, 200, "POST", url+"/api/v1/members/"+cal+"/sponsor", bobTok, `{}`)
	if m := me(t, url, calTok); !m.Admitted {
		t.Fatalf("two sponsors did not admit Cal: %+v", m)
	}
	if status := vote(t, url, proposal, calTok); status != http.StatusForbidden {
		t.Errorf("Cal, admitted after the proposal opened, voted on it: %d, want 403", status)
	}

	var journal struct {
		Entries []struct{ Account, Change, Actor string }
		Months  []struct {
			Month    string
			Admitted int
		}
	}
	jsonDecode(t, must(t, 200, "GET", url+"/api/v1/members/journal", calTok, ""), &journal)
	var seen []string
	for _, e := range journal.Entries {
		seen = append(seen, e.Change+":"+e.Account+"<-"+e.Actor)
	}
	for _, want := range []string{"admitted:" + ann + "<-", "admitted:" + bob + "<-", "sponsored:" + cal + "<-" + ann,
		"sponsored:" + cal + "<-" + bob, "admitted:" + cal + "<-", "role_granted:" + rex + "<-"} {
		if !strings.Contains(strings.Join(seen, " "), want) {
			t.Errorf("the journal lacks %s: %v", want, seen)
		}
	}
	if len(journal.Months) != 1 || journal.Months[0].Admitted != 3 {
		t.Errorf("monthly counts: %+v, want 3 admissions this month", journal.Months)
	}
	if status, _ := apiCall(t, "GET", url+"/api/v1/members/journal", "", "application/json", ""); status != http.StatusUnauthorized {
		t.Errorf("the journal without an account: %d, want 401", status)
	}
}

// TestAttack_AmendmentCannotCrossHardLimits replays the amendment of break
// 2: lowering min_cohort_floor to 2 or raising max_epsilon_per_proposal to
// 1e6 is refused when proposed (400, the limit named), and a rulebook file
// doing it stops `coop serve` at start with a sentence.
func TestAttack_AmendmentCannotCrossHardLimits(t *testing.T) {
	url, op := attackNode(t, "")
	ann, annTok := mustSignup(t, url, "Ann")
	must(t, 200, "POST", url+"/api/v1/members/"+ann+"/admit", op, `{}`)
	amend := func(rules string) string {
		return `{"title":"Looser rules","purpose":"Let us see more.","kind":"amendment","voting_minutes":10080,"rules":` + rules + `}`
	}
	refused(t, 400, "POST", url+"/api/v1/proposals", annTok, amend(`{"disclosure":{"min_cohort_floor":2}}`), "min_cohort_floor", "hard limit")
	refused(t, 400, "POST", url+"/api/v1/proposals", annTok, amend(`{"disclosure":{"max_epsilon_per_proposal":1e6,"max_epsilon_per_pool_per_year":1e7}}`),
		"max_epsilon_per_proposal", "hard limit")
	// Within the limits, the same member may propose.
	must(t, 201, "POST", url+"/api/v1/proposals", annTok, amend(`{"disclosure":{"min_cohort_floor":8}}`))

	for _, tc := range []struct{ rules, limit string }{
		{`{"disclosure":{"min_cohort_floor":2}}`, "min_cohort_floor"},
		{`{"rules":{"disclosure":{"max_epsilon_per_proposal":1e6,"max_epsilon_per_pool_per_year":1e7}}}`, "max_epsilon_per_proposal"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var logs syncBuffer
		code := run(ctx, []string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--raft", "127.0.0.1:0",
			"--rules", writeRules(t, tc.rules)}, env(nil), &logs, &logs)
		cancel()
		if code == exitOK || !strings.Contains(logs.String(), tc.limit) || !strings.Contains(logs.String(), "hard limit") {
			t.Errorf("coop serve with %s: exit %d, output:\n%s", tc.rules, code, logs.String())
		}
	}
}

// TestAttack_QueryPricedAtNothing: a proposal whose query costs epsilon
// 1e-300 (so it could run without end) is refused with 400.
func TestAttack_QueryPricedAtNothing(t *testing.T) {
	url, op := attackNode(t, "")
	rex, rexTok := mustSignup(t, url, "Rex")
	researcherWithProposal(t, url, op, rex, rexTok)
	refused(t, 400, "POST", url+"/api/v1/proposals", rexTok, `{"title":"Endless","purpose":"Run it forever.",
		"kind":"knowledge","pool":"energy","query":{"aggregate":"count","group_by":["heating"]},
		"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":1e-300},"voting_minutes":1440,"grant_days":30}`, "epsilon_per_query")
}

// TestAttack_OperatorCannotBecomeResearcher replays break 3: an operator
// granting itself the researcher role is refused, and so is researcher
// for another operator or operator for a researcher; nobody changes their
// own roles or admits themselves.
func TestAttack_OperatorCannotBecomeResearcher(t *testing.T) {
	url, op := attackNode(t, "")
	var opID string
	{
		var m struct{ ID string }
		jsonDecode(t, must(t, 200, "GET", url+"/api/v1/me", op, ""), &m)
		opID = m.ID
	}
	refused(t, 403, "POST", url+"/api/v1/members/"+opID+"/roles", op, `{"role":"researcher"}`, "own")

	ops, opsTok := mustSignup(t, url, "Ops")
	must(t, 200, "POST", url+"/api/v1/members/"+ops+"/roles", op, `{"role":"operator"}`)
	refused(t, 409, "POST", url+"/api/v1/members/"+ops+"/roles", op, `{"role":"researcher"}`, "operator", "researcher")
	refused(t, 403, "POST", url+"/api/v1/members/"+ops+"/admit", opsTok, `{}`, "themselves")
	refused(t, 403, "DELETE", url+"/api/v1/members/"+opID+"/roles/operator", op, "", "own")

	rex, _ := mustSignup(t, url, "Rex")
	must(t, 200, "POST", url+"/api/v1/members/"+rex+"/roles", op, `{"role":"researcher"}`)
	refused(t, 409, "POST", url+"/api/v1/members/"+rex+"/roles", op, `{"role":"operator"}`, "operator", "researcher")
	if m := me(t, url, opsTok); strings.Contains(strings.Join(m.Roles, ","), "researcher") || m.Admitted {
		t.Errorf("the second operator's roles: %+v", m)
	}
}
