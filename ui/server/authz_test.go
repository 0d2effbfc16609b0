package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui"
	"coop/ui/uitest"
)

// The authorization matrix: every API endpoint, called as anonymous,
// member, researcher, operator and suspended member, against the expected
// status. It grows with the API.
func TestAuthorizationMatrix(t *testing.T) {
	env := uitest.OpenEnv(t)
	app := ui.New(env.Deps)
	ctx := context.Background()
	svc := env.Members

	signup := func(name string) members.Account {
		a, err := svc.SignUp(ctx, members.SignupInput{Name: name, Email: name + "@coop.test", Password: uitest.Password, AcceptCharter: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	login := func(email string) string {
		s, err := svc.Login(ctx, members.LoginInput{Email: email, Password: uitest.Password, Address: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	operatorTok := login("op@coop.test")
	op, _ := svc.Authenticate(ctx, operatorTok)
	signup("member")
	researcher := signup("researcher")
	if err := svc.GrantRole(ctx, op, researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	suspended := signup("suspended")
	other := signup("other") // the electorate has more than one voter: no early close
	signup("another")
	tokens := map[string]string{
		"member":     login("member@coop.test"),
		"researcher": login("researcher@coop.test"),
		"operator":   operatorTok,
		"suspended":  login("suspended@coop.test"),
	}
	if err := svc.Suspend(ctx, op, suspended.ID); err != nil {
		t.Fatal(err)
	}
	min, max := 0.0, 100.0
	if _, err := env.Deps.Pools.CreatePool(ctx, pooling.Pool{ID: "energy", Title: "Energy",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}
	researcherAcct, _ := svc.Authenticate(ctx, tokens["researcher"])
	prop, err := env.Deps.Proposals.Create(ctx, researcherAcct, proposals.Draft{Title: "t", Purpose: "p", Kind: "knowledge", Pool: "energy",
		Query: &pooling.Query{Aggregate: "count"}, Privacy: &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 1},
		VotingMinutes: 60, GrantDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	draft := `{"title":"t","purpose":"p","kind":"knowledge","pool":"energy","query":{"aggregate":"count"},
		"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":1},"voting_minutes":60,"grant_days":10}`
	newPool := func(who string) string {
		return fmt.Sprintf(`{"id":"pool-%s","title":"T","fields":[{"name":"n","type":"number","min":0,"max":1}],
		"documentation":{"provenance":"p","collection_method":"c","update_frequency":"u","format":"f","pseudonymisation":"k"}}`, who)
	}

	// A suspension ends every session and token of the account: its
	// credentials answer 401 everywhere, and it cannot log in again.
	who := []string{"anonymous", "member", "researcher", "operator", "suspended"}
	cases := []struct {
		method, path string
		body         func(who string) string
		want         [5]int
	}{
		{"GET", "/api/v1/governance/rules", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/api/v1/pools", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/api/v1/pools/energy", nil, [5]int{200, 200, 200, 200, 401}},
		{"POST", "/api/v1/pools", newPool, [5]int{401, 403, 403, 201, 401}},
		{"PUT", "/api/v1/pools/energy/consent", fixed(`{"granted":true}`), [5]int{401, 200, 200, 403, 401}},
		{"POST", "/api/v1/pools/energy/records", fixed(`[{"kwh":5}]`), [5]int{401, 201, 201, 403, 401}},
		{"POST", "/api/v1/sandbox/energy/queries", fixed(`{"aggregate":"count"}`), [5]int{401, 403, 200, 403, 401}},
		{"GET", "/api/v1/me", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/export", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/journal", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/records", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/consents", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/tokens", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/me/proposals", nil, [5]int{401, 200, 200, 200, 401}},
		{"POST", "/api/v1/me/tokens", fixed(`{"name":"script"}`), [5]int{401, 201, 201, 201, 401}},
		{"GET", "/api/v1/members", nil, [5]int{401, 403, 403, 200, 401}},
		{"POST", "/api/v1/members/" + other.ID + "/roles", fixed(`{"role":"researcher"}`), [5]int{401, 403, 403, 200, 401}},
		{"GET", "/api/v1/members/journal", nil, [5]int{401, 200, 200, 200, 401}},
		{"GET", "/api/v1/members/applicants", nil, [5]int{401, 403, 403, 200, 401}},                        // members see them under sponsorship only
		{"POST", "/api/v1/members/" + other.ID + "/admit", fixed(`{}`), [5]int{401, 403, 403, 200, 401}},   // admitted already (open admission): nothing changes
		{"POST", "/api/v1/members/" + other.ID + "/sponsor", fixed(`{}`), [5]int{401, 409, 409, 403, 401}}, // open admission: no sponsorship
		{"GET", "/api/v1/cluster", nil, [5]int{401, 403, 403, 200, 401}},
		{"DELETE", "/api/v1/cluster/nodes/n1", nil, [5]int{401, 403, 403, 409, 401}}, // the last node stays
		{"POST", "/api/v1/backup", fixed(`{"key":"` + strings.Repeat("ab", 96) + `"}`), [5]int{401, 403, 403, 200, 401}},
		{"POST", "/api/v1/retention/runs", fixed(`{}`), [5]int{401, 403, 403, 200, 401}},
		{"GET", "/api/v1/journal", nil, [5]int{401, 403, 403, 200, 401}},
		{"GET", "/api/v1/proposals", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID, nil, [5]int{200, 200, 200, 200, 401}},
		{"POST", "/api/v1/proposals", fixed(draft), [5]int{401, 403, 201, 403, 401}},
		{"POST", "/api/v1/proposals/" + prop.ID + "/ballots", fixed(`{"choice":"yes"}`), [5]int{401, 201, 403, 403, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID + "/ballots", nil, [5]int{401, 409, 409, 409, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID + "/comments", nil, [5]int{401, 200, 200, 200, 401}}, // read by every signed-in account
		{"POST", "/api/v1/proposals/" + prop.ID + "/comments", fixed(`{"body":"why?"}`), [5]int{401, 201, 201, 403, 401}},
		{"PUT", "/api/v1/proposals/" + prop.ID + "/objection", fixed(`{"object":true}`), [5]int{401, 200, 200, 403, 401}},
		{"POST", "/api/v1/proposals/" + prop.ID + "/queries", fixed(`{}`), [5]int{401, 403, 403, 403, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID + "/results", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID + "/results.csv", nil, [5]int{200, 200, 200, 200, 401}},
		{"GET", "/api/v1/proposals/" + prop.ID + "/preview", nil, [5]int{401, 200, 200, 200, 401}},
	}
	var failures []string
	for _, tc := range cases {
		for i, role := range who {
			body := ""
			if tc.body != nil {
				body = tc.body(role)
			}
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tok, ok := tokens[role]; ok {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, got := uitest.Call(t, app, req)
			if resp.StatusCode != tc.want[i] {
				failures = append(failures, fmt.Sprintf("%s %s as %s: %d, want %d: %s", tc.method, tc.path, role, resp.StatusCode, tc.want[i], got))
			}
		}
	}
	resp, body := uitest.Call(t, app, uitest.JSONRequest("POST", "/api/v1/login", `{"email":"suspended@coop.test","password":"`+uitest.Password+`"}`))
	if resp.StatusCode != 403 {
		failures = append(failures, fmt.Sprintf("login of a suspended account: %d %s, want 403", resp.StatusCode, body))
	}
	if len(failures) > 0 {
		t.Fatalf("%d mismatches:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}

func fixed(body string) func(string) string { return func(string) string { return body } }
