package web_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"coop/pooling"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// A member creates an API token with the scopes and lifetime the form
// offers (shown once, then usable as a Bearer token within its scopes),
// sees it listed without its value, and revokes it.
func TestPagesAccount_Tokens(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		b := uitest.NewBrowser(t, w.App, lang)
		b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
		p := b.Get("/me/account")
		if p.Resp.StatusCode != 200 || p.TestID("tokens-empty").Length() != 1 && lang == "en" {
			t.Fatalf("%s: account page %d\n%s", lang, p.Resp.StatusCode, p.Body)
		}
		if _, checked := p.TestID("token-scope-read").Attr("checked"); !checked || p.TestID("token-scope-operate").Length() != 0 ||
			p.TestID("token-days").Find("option[selected]").AttrOr("value", "") != "90" {
			t.Fatalf("%s: the token form offers %q", lang, uitest.Text(p.TestID("token-form")))
		}
		if r := b.Post("/me/tokens", url.Values{"_csrf": {p.CSRF()}, "name": {""}, "scope": {"read"}}); r.Resp.StatusCode != 400 || r.TestID("form-error").Length() != 1 {
			t.Fatalf("%s: a nameless token: %d", lang, r.Resp.StatusCode)
		}
		if r := b.Post("/me/tokens", url.Values{"_csrf": {p.CSRF()}, "name": {"nothing"}, "expires_in_days": {"30"}}); r.Resp.StatusCode != 400 || r.TestID("form-error").Length() != 1 {
			t.Fatalf("%s: a token without scopes: %d", lang, r.Resp.StatusCode)
		}
		created := b.Post("/me/tokens", url.Values{"_csrf": {p.CSRF()}, "name": {"upload " + lang}, "scope": {"read", "contribute"}, "expires_in_days": {"30"}})
		if created.Resp.StatusCode != 201 {
			t.Fatalf("%s: create: %d\n%s", lang, created.Resp.StatusCode, created.Body)
		}
		if got := uitest.Text(created.TestID("new-token").Find("strong")); got != tr.F("tokens.created", "upload "+lang) {
			t.Errorf("%s: %q", lang, got)
		}
		token := uitest.Text(created.TestID("new-token-value"))
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, body := uitest.Call(t, w.App, req); resp.StatusCode != 200 || !strings.Contains(body, "ada@coop.test") {
			t.Fatalf("%s: the new token does not open the API: %d %s", lang, resp.StatusCode, body)
		}
		mint := uitest.JSONRequest("POST", "/api/v1/me/tokens", `{"name":"child","scopes":["read"]}`)
		mint.Header.Set("Authorization", "Bearer "+token)
		if resp, body := uitest.Call(t, w.App, mint); resp.StatusCode != 403 {
			t.Fatalf("%s: the new token minted a token: %d %s", lang, resp.StatusCode, body)
		}
		p = b.Get("/me/account")
		if p.TestID("new-token").Length() != 0 || strings.Contains(p.Body, token) {
			t.Fatalf("%s: the token is shown again", lang)
		}
		row := p.TestID("token").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "upload "+lang) })
		wantScopes := tr.T("tokens.scope.short.contribute") + ", " + tr.T("tokens.scope.short.read")
		if got := uitest.Text(row.Find(`[data-testid="token-scopes"]`)); got != wantScopes {
			t.Errorf("%s: scopes shown %q, want %q", lang, got, wantScopes)
		}
		if got := uitest.Text(row.Find(`[data-testid="token-expires"]`)); got != tr.Date(time.Now().UTC().AddDate(0, 0, 30)) &&
			got != tr.Date(time.Now().UTC().AddDate(0, 0, 30).Add(-time.Minute)) {
			t.Errorf("%s: expiry shown %q, want 30 days from now", lang, got)
		}
		action, _ := row.Find("form").Attr("action")
		if r := b.Post(action, url.Values{"_csrf": {p.CSRF()}}); r.Resp.StatusCode != 303 {
			t.Fatalf("%s: revoke %s: %d", lang, action, r.Resp.StatusCode)
		}
		if resp, _ := uitest.Call(t, w.App, req); resp.StatusCode != 401 {
			t.Fatalf("%s: a revoked token still opens the API: %d", lang, resp.StatusCode)
		}
		if got := uitest.Text(b.Get("/me/account").TestID("notice")); got != tr.T("notice.token_revoked") {
			t.Errorf("%s: notice %q", lang, got)
		}
	}
}

// Erasure asks for the account's address and a ticked box; then the
// account is gone, the session with it, and its records.
func TestPagesAccount_Erasure(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	p := b.Get("/me/account")
	for name, form := range map[string]url.Values{
		"no box":        {"_csrf": {p.CSRF()}, "email": {"ada@coop.test"}},
		"wrong address": {"_csrf": {p.CSRF()}, "email": {"grace@coop.test"}, "confirm": {"yes"}},
	} {
		if r := b.Post("/me/delete", form); r.Resp.StatusCode != 400 || r.TestID("form-error").Length() != 1 {
			t.Fatalf("%s: %d", name, r.Resp.StatusCode)
		}
	}
	if _, err := w.Members.Authenticate(context.Background(), b.Cookies[server.SessionCookie]); err != nil {
		t.Fatalf("a refused erasure ended the session: %v", err)
	}
	r := b.Post("/me/delete", url.Values{"_csrf": {p.CSRF()}, "email": {" ADA@coop.test "}, "confirm": {"yes"}})
	if r.Resp.StatusCode != 303 || r.Resp.Header.Get("Location") != "/" {
		t.Fatalf("erase: %d %q\n%s", r.Resp.StatusCode, r.Resp.Header.Get("Location"), r.Body)
	}
	if got := uitest.Text(b.Get("/").TestID("notice")); got != i18n.New().For("en").T("notice.account_erased") {
		t.Errorf("notice %q", got)
	}
	if p := b.Get("/me"); p.Resp.StatusCode != 303 {
		t.Errorf("after erasure /me answers %d", p.Resp.StatusCode)
	}
	if recs, err := w.Deps.Pools.Records(context.Background(), ada.ID, ""); err != nil || len(recs) != 0 {
		t.Errorf("records after erasure: %v %v", recs, err)
	}
}

// A member corrects a record: the form holds its values, a bad value is
// refused with the reason and kept, a good one is saved. Another
// member's record is not found.
func TestPagesAccount_Rectify(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	ctx := context.Background()
	recs, err := w.Deps.Pools.Records(ctx, ada.ID, "energy")
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %v", recs, err)
	}
	rec := recs[0]
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	list := b.Get("/me/records")
	if href, _ := list.TestID("record-edit").First().Attr("href"); !strings.HasSuffix(href, "/edit") {
		t.Fatalf("no edit link on the records page: %q", href)
	}
	p := b.Get("/me/records/" + rec.ID + "/edit")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("edit page: %d", p.Resp.StatusCode)
	}
	if v, _ := p.TestID("rectify-month").Attr("value"); v != rec.Values["month"] {
		t.Errorf("month field holds %q, want %v", v, rec.Values["month"])
	}
	if v, _ := p.TestID("rectify-region").Find("option[selected]").Attr("value"); v != "north" {
		t.Errorf("region selected %q", v)
	}
	form := url.Values{"_csrf": {p.CSRF()}, "f.kwh": {"1000"}, "f.region": {"south"}, "f.month": {"2025-03"}}
	bad := b.Post("/me/records/"+rec.ID, form)
	if bad.Resp.StatusCode != 400 || bad.TestID("form-error").Length() != 1 {
		t.Fatalf("kwh above its max: %d\n%s", bad.Resp.StatusCode, bad.Body)
	}
	if v, _ := bad.TestID("rectify-kwh").Attr("value"); v != "1000" {
		t.Errorf("the refused value is not kept: %q", v)
	}
	form.Set("f.kwh", "12.5")
	if r := b.Post("/me/records/"+rec.ID, form); r.Resp.StatusCode != 303 {
		t.Fatalf("rectify: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	recs, _ = w.Deps.Pools.Records(ctx, ada.ID, "energy")
	for _, r := range recs {
		if r.ID == rec.ID && (r.Values["region"] != "south" || r.Values["month"] != "2025-03" || r.Values["kwh"] != 12.5) {
			t.Errorf("record after correction: %v", r.Values)
		}
	}
	grace := uitest.NewBrowser(t, w.App, "en")
	grace.Cookies[server.SessionCookie] = w.Login(t, "grace@coop.test")
	if p := grace.Get("/me/records/" + rec.ID + "/edit"); p.Resp.StatusCode != 404 {
		t.Errorf("another member's record: %d", p.Resp.StatusCode)
	}
}

// A member whose charter is due reads and signs it from the dashboard.
func TestPagesAccount_Charter(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := b.Get("/me/charter")
	if p.Resp.StatusCode != 200 || p.TestID("charter-operator").Length() != 1 {
		t.Fatalf("charter page: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	if r := b.Post("/me/charter", url.Values{"_csrf": {p.CSRF()}, "kind": {"operator"}}); r.Resp.StatusCode != 400 {
		t.Fatalf("unticked: %d", r.Resp.StatusCode)
	}
	if r := b.Post("/me/charter", url.Values{"_csrf": {p.CSRF()}, "kind": {"operator"}, "accept": {"yes"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("sign: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if p := b.Get("/me/charter"); p.TestID("charters-current").Length() != 1 {
		t.Fatalf("after signing, the charter is still due\n%s", p.Body)
	}
}

// A requester opens the vote on a draft from its page.
func TestPagesAccount_OpenDraft(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	r := w.Session(t, "rosalind@coop.test")
	d := proposals.Draft{Title: "Later", Purpose: "Count homes.", Kind: "knowledge", Pool: "energy", Draft: true,
		Query: &pooling.Query{Aggregate: "count"}, Privacy: &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5}, VotingMinutes: 60, GrantDays: 30}
	prop, err := w.Deps.Proposals.Create(context.Background(), r, d)
	if err != nil || prop.Status != proposals.StatusDraft {
		t.Fatalf("%+v %v", prop, err)
	}
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	p := b.Get("/proposals/" + prop.ID)
	if p.TestID("open-form").Length() != 1 {
		t.Fatalf("a draft's page has no open form\n%s", p.Body)
	}
	if r := b.Post("/proposals/"+prop.ID+"/open", url.Values{"_csrf": {p.CSRF()}}); r.Resp.StatusCode != 303 {
		t.Fatalf("open: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	got, _ := w.Deps.Proposals.Get(context.Background(), prop.ID)
	if got.Status != proposals.StatusOpen {
		t.Fatalf("status %s after open", got.Status)
	}
}

// A researcher follows their proposals: the open one and the passed one
// with the budget its grant has left; the API lists the same.
func TestPagesAccount_MyProposals(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	passed := w.Propose(t, "Heating by region")
	if _, err := w.Deps.Proposals.Vote(context.Background(), w.Session(t, "ada@coop.test"), passed.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, 10*time.Second, func() bool {
		p, err := w.Deps.Proposals.Get(context.Background(), passed.ID)
		return err == nil && p.Status == proposals.StatusPassed
	})
	open := w.Propose(t, "Cooling by region")
	tr := i18n.New().For("fr")
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	if href, _ := b.Get("/me").TestID("mine-link").Attr("href"); href != "/me/proposals" {
		t.Fatalf("no link from the dashboard: %q", href)
	}
	p := b.Get("/me/proposals")
	rows := p.TestID("mine-row")
	if rows.Length() != 2 || !strings.Contains(uitest.Text(rows.Eq(0)), open.Title) || uitest.Text(rows.Eq(0).Find(`[data-testid="mine-grant"]`)) != "—" {
		t.Fatalf("rows: %q", uitest.Text(p.TestID("mine")))
	}
	got, _ := w.Deps.Proposals.Get(context.Background(), passed.ID)
	want := tr.F("grant.text", tr.Num(got.Grant.BudgetLeft), tr.Num(got.Grant.EpsilonTotal), tr.Date(got.Grant.ExpiresAt))
	if g := uitest.Text(rows.Eq(1).Find(`[data-testid="mine-grant"]`)); g != want {
		t.Errorf("grant %q, want %q", g, want)
	}
	req := httptest.NewRequest("GET", "/api/v1/me/proposals", nil)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "ada@coop.test"))
	if resp, body := uitest.Call(t, w.App, req); resp.StatusCode != 200 || body != `{"proposals":[]}` {
		t.Errorf("a member's own proposals: %d %s", resp.StatusCode, body)
	}
}
