package server_test

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"coop/members"
	"coop/ui"
	"coop/ui/i18n"
	"coop/ui/uitest"
)

// The API token attacks of issue 12: a token minted at /api/v1/me/tokens
// used to do whatever its account could, forever: mint more tokens, erase
// the account, change roles. Now it holds scopes and an expiry.

// mint makes an API token through the API, with a login session.
func mint(t *testing.T, w *uitest.Coop, session, body string) members.NewToken {
	t.Helper()
	resp, got := uitest.Bearer(t, w, "POST", "/api/v1/me/tokens", session, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("mint %s: %d %s", body, resp.StatusCode, got)
	}
	var tok members.NewToken
	if err := json.Unmarshal([]byte(got), &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantRefused checks a 403 whose sentence contains want.
func wantRefused(t *testing.T, what string, resp *http.Response, body, want string) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(uitest.DecodeError(t, body).Message, want) {
		t.Errorf("%s: %d %s, want 403 saying %q", what, resp.StatusCode, body, want)
	}
}

func TestAttack_APITokenStaysWithinItsScopes(t *testing.T) {
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	prop := w.Propose(t, "Winter use")
	session := w.Login(t, "ada@coop.test")
	tr := i18n.New().For("fr")

	reader := mint(t, w, session, `{"name":"reader","scopes":["read"]}`)
	voter := mint(t, w, session, `{"name":"voter","scopes":["vote"],"expires_in_days":7}`)
	if resp, body := uitest.Bearer(t, w, "GET", "/api/v1/me", reader.Token, ""); resp.StatusCode != 200 || !strings.Contains(body, ada.ID) {
		t.Fatalf("the read token reads /me: %d %s", resp.StatusCode, body)
	}
	resp, body := uitest.Bearer(t, w, "POST", "/api/v1/proposals/"+prop.ID+"/ballots", reader.Token, `{"choice":"yes"}`)
	wantRefused(t, "a read token votes", resp, body, "lacks the vote scope")
	resp, body = uitest.Bearer(t, w, "POST", "/api/v1/pools/energy/records", reader.Token, `[{"kwh":5,"region":"north","month":"2025-01"}]`)
	wantRefused(t, "a read token contributes", resp, body, "lacks the contribute scope")
	resp, body = uitest.Bearer(t, w, "GET", "/api/v1/me/records", voter.Token, "")
	wantRefused(t, "a vote token reads records", resp, body, "lacks the read scope")
	if resp, body := uitest.Bearer(t, w, "POST", "/api/v1/proposals/"+prop.ID+"/ballots", voter.Token, `{"choice":"yes"}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("the vote token votes: %d %s", resp.StatusCode, body)
	}
	// A public route takes a token without read as no credential at all.
	if resp, body := uitest.Bearer(t, w, "GET", "/api/v1/proposals/"+prop.ID, voter.Token, ""); resp.StatusCode != 200 {
		t.Fatalf("a public route with a vote token: %d %s", resp.StatusCode, body)
	}

	// Whatever its scopes, a token mints no token, erases no account and
	// changes no role; it opens no page either.
	all := mint(t, w, session, `{"name":"all","scopes":["read","vote","contribute"]}`)
	for _, tok := range []string{reader.Token, voter.Token, all.Token} {
		resp, body := uitest.Bearer(t, w, "POST", "/api/v1/me/tokens", tok, `{"name":"child","scopes":["read","vote","contribute"]}`)
		wantRefused(t, "a token mints a token", resp, body, "cannot mint or revoke tokens")
		resp, body = uitest.Bearer(t, w, "DELETE", "/api/v1/me", tok, "")
		wantRefused(t, "a token erases its account", resp, body, "erase an account")
		resp, body = uitest.Bearer(t, w, "DELETE", "/api/v1/me/tokens/"+reader.ID, tok, "")
		wantRefused(t, "a token revokes a token", resp, body, "cannot mint or revoke tokens")
		for _, path := range []string{"GET /me/account", "POST /me/tokens"} {
			method, path, _ := strings.Cut(path, " ")
			resp, body := uitest.Bearer(t, w, method, path, tok, "")
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, html.EscapeString(tr.T("err.token_pages"))) || strings.Contains(body, "Ada") {
				t.Errorf("a token on the page %s %s: %d, want 403 saying %q", method, path, resp.StatusCode, tr.T("err.token_pages"))
			}
		}
	}
	if _, err := w.Members.Get(t.Context(), ada.ID); err != nil {
		t.Fatalf("the account is gone: %v", err)
	}
	if toks, _ := w.Members.Tokens(t.Context(), ada.ID); len(toks) != 3 {
		t.Fatalf("%d tokens, want the 3 minted with the session", len(toks))
	}

	// An operator's token, even with operate, changes no role.
	opSession := w.Login(t, "op@coop.test")
	ops := mint(t, w, opSession, `{"name":"ops","scopes":["operate","read"]}`)
	if resp, body := uitest.Bearer(t, w, "GET", "/api/v1/members", ops.Token, ""); resp.StatusCode != 200 {
		t.Fatalf("an operate token lists members: %d %s", resp.StatusCode, body)
	}
	resp, body = uitest.Bearer(t, w, "POST", "/api/v1/members/"+ada.ID+"/roles", ops.Token, `{"role":"researcher"}`)
	wantRefused(t, "an operate token grants a role", resp, body, "change roles")
	resp, body = uitest.Bearer(t, w, "DELETE", "/api/v1/members/"+w.Researcher.ID+"/roles/researcher", ops.Token, "")
	wantRefused(t, "an operate token revokes a role", resp, body, "change roles")
	resp, body = uitest.Bearer(t, w, "DELETE", "/api/v1/members/"+ada.ID, ops.Token, "")
	wantRefused(t, "an operate token erases an account", resp, body, "erase an account")
	if a, _ := w.Members.Get(t.Context(), ada.ID); a.Has(members.RoleResearcher) {
		t.Fatal("the token granted a role")
	}
	// A member cannot mint the operate scope; the login session, which can
	// do what its account can, still changes roles.
	resp, body = uitest.Bearer(t, w, "POST", "/api/v1/me/tokens", session, `{"name":"x","scopes":["operate"]}`)
	wantRefused(t, "a member mints operate", resp, body, "only an operator")
	if resp, body := uitest.Bearer(t, w, "POST", "/api/v1/members/"+ada.ID+"/roles", opSession, `{"role":"researcher"}`); resp.StatusCode != 200 {
		t.Fatalf("the operator's session grants a role: %d %s", resp.StatusCode, body)
	}
}

// An API token past its expiry is refused with 401, on a node whose clock
// has moved on.
func TestAttack_ExpiredAPITokenIsRefused(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	tok := mint(t, w, w.Login(t, "ada@coop.test"), `{"name":"short","scopes":["read"],"expires_in_days":1}`)
	if resp, body := uitest.Bearer(t, w, "GET", "/api/v1/me", tok.Token, ""); resp.StatusCode != 200 {
		t.Fatalf("a fresh token: %d %s", resp.StatusCode, body)
	}
	later := w.Deps
	later.Members = members.New(w.Store, members.Options{Now: func() time.Time { return time.Now().Add(24*time.Hour + time.Second) }})
	app := ui.New(later)
	req := uitest.JSONRequest("GET", "/api/v1/me", "")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, body := uitest.Call(t, app, req)
	if e := uitest.DecodeError(t, body); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(e.Message, "expired on") {
		t.Fatalf("a token a day and a second old: %d %s, want 401", resp.StatusCode, body)
	}
}
