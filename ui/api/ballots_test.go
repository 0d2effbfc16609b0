package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui"
	"coop/ui/server"
	"coop/ui/uitest"
)

// TestGovernanceRoutesMatrix: the routes of proxies, secret ballots,
// guests, colleges and turnout, called as anonymous, member, researcher,
// operator and guest, against the expected status; and what a guest may
// not do anywhere (vote, see ballots, hold data).
func TestGovernanceRoutesMatrix(t *testing.T) {
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
	login := func(email, password string) string {
		s, err := svc.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	operatorTok := login("op@coop.test", uitest.Password)
	op, _ := svc.Authenticate(ctx, operatorTok)
	signup("member")
	researcher := signup("researcher")
	if err := svc.GrantRole(ctx, op, researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	other, another := signup("other"), signup("another")
	guest, err := svc.InviteGuest(ctx, op, members.GuestInput{Name: "Gil", Email: "gil@coop.test", Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"member":     login("member@coop.test", uitest.Password),
		"researcher": login("researcher@coop.test", uitest.Password),
		"operator":   operatorTok,
		"guest":      login("gil@coop.test", guest.Password),
	}
	lo, hi := 0.0, 100.0
	if _, err := env.Deps.Pools.CreatePool(ctx, pooling.Pool{ID: "energy", Title: "Energy",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &lo, Max: &hi}},
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
	p := "/api/v1/proposals/" + prop.ID
	guestBody := `{"name":"Ida","email":"ida@coop.test","days":3}`
	who := []string{"anonymous", "member", "researcher", "operator", "guest"}
	cases := []struct {
		method, path, body string
		want               [5]int
	}{
		{"GET", "/api/v1/governance/turnout", "", [5]int{200, 200, 200, 200, 200}},
		{"GET", p + "/proxy", "", [5]int{401, 200, 200, 403, 403}},
		{"PUT", p + "/proxy", `{"to":"` + other.ID + `"}`, [5]int{401, 200, 403, 403, 403}}, // the researcher requested this vote
		{"PUT", p + "/proxy", `{}`, [5]int{401, 400, 400, 403, 403}},
		{"DELETE", p + "/proxy", "", [5]int{401, 200, 403, 403, 403}},
		{"GET", "/api/v1/me/proxy", "", [5]int{401, 200, 200, 403, 403}},
		{"PUT", "/api/v1/me/proxy", `{"to":"` + another.ID + `"}`, [5]int{401, 200, 200, 403, 403}},
		{"DELETE", "/api/v1/me/proxy", "", [5]int{401, 200, 200, 403, 403}},
		{"GET", "/api/v1/me/secret-votes", "", [5]int{401, 200, 200, 403, 403}},
		{"POST", p + "/voting-token", `{"blinded":"AAEC"}`, [5]int{401, 409, 403, 403, 403}}, // not a secret vote
		{"POST", p + "/secret-ballots", `{"college":"","choice":"yes","seq":1}`, [5]int{400, 400, 400, 400, 400}},
		{"POST", "/api/v1/guests", guestBody, [5]int{401, 403, 403, 201, 403}},
		{"PUT", "/api/v1/members/" + other.ID + "/college", `{"college":""}`, [5]int{401, 403, 403, 200, 403}},
		// A guest reads, and nothing more.
		{"GET", p, "", [5]int{200, 200, 200, 200, 200}},
		{"GET", p + "/comments", "", [5]int{401, 200, 200, 200, 200}},
		{"GET", p + "/results", "", [5]int{200, 200, 200, 200, 200}},
		{"POST", p + "/comments", `{"body":"why?"}`, [5]int{401, 201, 201, 403, 403}},
		{"POST", p + "/ballots", `{"choice":"yes"}`, [5]int{401, 201, 403, 403, 403}},
		{"GET", p + "/ballots", "", [5]int{401, 409, 409, 409, 409}}, // every signed-in account reads the list once the vote closes
		{"PUT", "/api/v1/pools/energy/consent", `{"granted":true}`, [5]int{401, 200, 200, 403, 403}},
		{"POST", "/api/v1/pools/energy/records", `[{"kwh":5}]`, [5]int{401, 201, 201, 403, 403}},
		{"PUT", p + "/objection", `{"object":true}`, [5]int{401, 200, 200, 403, 403}},
		{"POST", "/api/v1/proposals", `{"title":"t","purpose":"p","kind":"amendment","rules":{},"voting_minutes":60}`, [5]int{401, 201, 201, 403, 403}},
	}
	var failures []string
	for _, tc := range cases {
		for i, role := range who {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
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
	if len(failures) > 0 {
		t.Fatalf("%d mismatches:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	// The invitation's answer: how the guest signs in, shown once.
	invite := uitest.JSONRequest("POST", "/api/v1/guests", `{"name":"Jo","email":"jo@coop.test","days":2}`)
	invite.Header.Set("Authorization", "Bearer "+operatorTok)
	resp, body := uitest.Call(t, app, invite)
	var inv struct {
		ExpiresAt string                           `json:"expires_at"`
		SignIn    struct{ Email, Password string } `json:"sign_in"`
	}
	if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &inv) != nil || inv.SignIn.Password == "" || inv.SignIn.Email != "jo@coop.test" || inv.ExpiresAt == "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("invitation: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	login("jo@coop.test", inv.SignIn.Password)
	// A secret ballot with a session cookie is refused like with a token.
	req := uitest.JSONRequest("POST", p+"/secret-ballots", `{}`)
	req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: tokens["member"]})
	if resp, body := uitest.Call(t, app, req); resp.StatusCode != 400 || !strings.Contains(body, "without any credential") {
		t.Fatalf("a secret ballot with a cookie: %d %s", resp.StatusCode, body)
	}
}
