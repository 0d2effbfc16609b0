package ui

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
)

// A member creates an API token with the scopes and lifetime the form
// offers (shown once, then usable as a Bearer token within its scopes),
// sees it listed without its value, and revokes it.
func TestPagesAccount_Tokens(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		b := newBrowser(t, w.app, lang)
		b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
		p := b.get("/me/account")
		if p.resp.StatusCode != 200 || p.testID("tokens-empty").Length() != 1 && lang == "en" {
			t.Fatalf("%s: account page %d\n%s", lang, p.resp.StatusCode, p.body)
		}
		if _, checked := p.testID("token-scope-read").Attr("checked"); !checked || p.testID("token-scope-operate").Length() != 0 ||
			p.testID("token-days").Find("option[selected]").AttrOr("value", "") != "90" {
			t.Fatalf("%s: the token form offers %q", lang, text(p.testID("token-form")))
		}
		if r := b.post("/me/tokens", url.Values{"_csrf": {p.csrf()}, "name": {""}, "scope": {"read"}}); r.resp.StatusCode != 400 || r.testID("form-error").Length() != 1 {
			t.Fatalf("%s: a nameless token: %d", lang, r.resp.StatusCode)
		}
		if r := b.post("/me/tokens", url.Values{"_csrf": {p.csrf()}, "name": {"nothing"}, "expires_in_days": {"30"}}); r.resp.StatusCode != 400 || r.testID("form-error").Length() != 1 {
			t.Fatalf("%s: a token without scopes: %d", lang, r.resp.StatusCode)
		}
		created := b.post("/me/tokens", url.Values{"_csrf": {p.csrf()}, "name": {"upload " + lang}, "scope": {"read", "contribute"}, "expires_in_days": {"30"}})
		if created.resp.StatusCode != 201 {
			t.Fatalf("%s: create: %d\n%s", lang, created.resp.StatusCode, created.body)
		}
		if got := text(created.testID("new-token").Find("strong")); got != tr.F("tokens.created", "upload "+lang) {
			t.Errorf("%s: %q", lang, got)
		}
		token := text(created.testID("new-token-value"))
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, body := call(t, w.app, req); resp.StatusCode != 200 || !strings.Contains(body, "ada@coop.test") {
			t.Fatalf("%s: the new token does not open the API: %d %s", lang, resp.StatusCode, body)
		}
		mint := jsonRequest("POST", "/api/v1/me/tokens", `{"name":"child","scopes":["read"]}`)
		mint.Header.Set("Authorization", "Bearer "+token)
		if resp, body := call(t, w.app, mint); resp.StatusCode != 403 {
			t.Fatalf("%s: the new token minted a token: %d %s", lang, resp.StatusCode, body)
		}
		p = b.get("/me/account")
		if p.testID("new-token").Length() != 0 || strings.Contains(p.body, token) {
			t.Fatalf("%s: the token is shown again", lang)
		}
		row := p.testID("token").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "upload "+lang) })
		wantScopes := tr.T("tokens.scope.short.contribute") + ", " + tr.T("tokens.scope.short.read")
		if got := text(row.Find(`[data-testid="token-scopes"]`)); got != wantScopes {
			t.Errorf("%s: scopes shown %q, want %q", lang, got, wantScopes)
		}
		if got := text(row.Find(`[data-testid="token-expires"]`)); got != tr.Date(time.Now().UTC().AddDate(0, 0, 30)) &&
			got != tr.Date(time.Now().UTC().AddDate(0, 0, 30).Add(-time.Minute)) {
			t.Errorf("%s: expiry shown %q, want 30 days from now", lang, got)
		}
		action, _ := row.Find("form").Attr("action")
		if r := b.post(action, url.Values{"_csrf": {p.csrf()}}); r.resp.StatusCode != 303 {
			t.Fatalf("%s: revoke %s: %d", lang, action, r.resp.StatusCode)
		}
		if resp, _ := call(t, w.app, req); resp.StatusCode != 401 {
			t.Fatalf("%s: a revoked token still opens the API: %d", lang, resp.StatusCode)
		}
		if got := text(b.get("/me/account").testID("notice")); got != tr.T("notice.token_revoked") {
			t.Errorf("%s: notice %q", lang, got)
		}
	}
}

// Erasure asks for the account's address and a ticked box; then the
// account is gone, the session with it, and its records.
func TestPagesAccount_Erasure(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	w.consentAndContribute(t, ada, "north")
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	p := b.get("/me/account")
	for name, form := range map[string]url.Values{
		"no box":        {"_csrf": {p.csrf()}, "email": {"ada@coop.test"}},
		"wrong address": {"_csrf": {p.csrf()}, "email": {"grace@coop.test"}, "confirm": {"yes"}},
	} {
		if r := b.post("/me/delete", form); r.resp.StatusCode != 400 || r.testID("form-error").Length() != 1 {
			t.Fatalf("%s: %d", name, r.resp.StatusCode)
		}
	}
	if _, err := w.members.Authenticate(context.Background(), b.cookies[sessionCookie]); err != nil {
		t.Fatalf("a refused erasure ended the session: %v", err)
	}
	r := b.post("/me/delete", url.Values{"_csrf": {p.csrf()}, "email": {" ADA@coop.test "}, "confirm": {"yes"}})
	if r.resp.StatusCode != 303 || r.resp.Header.Get("Location") != "/" {
		t.Fatalf("erase: %d %q\n%s", r.resp.StatusCode, r.resp.Header.Get("Location"), r.body)
	}
	if got := text(b.get("/").testID("notice")); got != i18n.New().For("en").T("notice.account_erased") {
		t.Errorf("notice %q", got)
	}
	if p := b.get("/me"); p.resp.StatusCode != 303 {
		t.Errorf("after erasure /me answers %d", p.resp.StatusCode)
	}
	if recs, err := w.deps.Pools.Records(context.Background(), ada.ID, ""); err != nil || len(recs) != 0 {
		t.Errorf("records after erasure: %v %v", recs, err)
	}
}

// A member corrects a record: the form holds its values, a bad value is
// refused with the reason and kept, a good one is saved. Another
// member's record is not found.
func TestPagesAccount_Rectify(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Grace", "grace@coop.test")
	w.consentAndContribute(t, ada, "north")
	ctx := context.Background()
	recs, err := w.deps.Pools.Records(ctx, ada.ID, "energy")
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %v", recs, err)
	}
	rec := recs[0]
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	list := b.get("/me/records")
	if href, _ := list.testID("record-edit").First().Attr("href"); !strings.HasSuffix(href, "/edit") {
		t.Fatalf("no edit link on the records page: %q", href)
	}
	p := b.get("/me/records/" + rec.ID + "/edit")
	if p.resp.StatusCode != 200 {
		t.Fatalf("edit page: %d", p.resp.StatusCode)
	}
	if v, _ := p.testID("rectify-month").Attr("value"); v != rec.Values["month"] {
		t.Errorf("month field holds %q, want %v", v, rec.Values["month"])
	}
	if v, _ := p.testID("rectify-region").Find("option[selected]").Attr("value"); v != "north" {
		t.Errorf("region selected %q", v)
	}
	form := url.Values{"_csrf": {p.csrf()}, "f.kwh": {"1000"}, "f.region": {"south"}, "f.month": {"2025-03"}}
	bad := b.post("/me/records/"+rec.ID, form)
	if bad.resp.StatusCode != 400 || bad.testID("form-error").Length() != 1 {
		t.Fatalf("kwh above its max: %d\n%s", bad.resp.StatusCode, bad.body)
	}
	if v, _ := bad.testID("rectify-kwh").Attr("value"); v != "1000" {
		t.Errorf("the refused value is not kept: %q", v)
	}
	form.Set("f.kwh", "12.5")
	if r := b.post("/me/records/"+rec.ID, form); r.resp.StatusCode != 303 {
		t.Fatalf("rectify: %d\n%s", r.resp.StatusCode, r.body)
	}
	recs, _ = w.deps.Pools.Records(ctx, ada.ID, "energy")
	for _, r := range recs {
		if r.ID == rec.ID && (r.Values["region"] != "south" || r.Values["month"] != "2025-03" || r.Values["kwh"] != 12.5) {
			t.Errorf("record after correction: %v", r.Values)
		}
	}
	grace := newBrowser(t, w.app, "en")
	grace.cookies[sessionCookie] = w.login(t, "grace@coop.test")
	if p := grace.get("/me/records/" + rec.ID + "/edit"); p.resp.StatusCode != 404 {
		t.Errorf("another member's record: %d", p.resp.StatusCode)
	}
}

// A member whose charter is due reads and signs it from the dashboard.
func TestPagesAccount_Charter(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")
	p := b.get("/me/charter")
	if p.resp.StatusCode != 200 || p.testID("charter-operator").Length() != 1 {
		t.Fatalf("charter page: %d\n%s", p.resp.StatusCode, p.body)
	}
	if r := b.post("/me/charter", url.Values{"_csrf": {p.csrf()}, "kind": {"operator"}}); r.resp.StatusCode != 400 {
		t.Fatalf("unticked: %d", r.resp.StatusCode)
	}
	if r := b.post("/me/charter", url.Values{"_csrf": {p.csrf()}, "kind": {"operator"}, "accept": {"yes"}}); r.resp.StatusCode != 303 {
		t.Fatalf("sign: %d\n%s", r.resp.StatusCode, r.body)
	}
	if p := b.get("/me/charter"); p.testID("charters-current").Length() != 1 {
		t.Fatalf("after signing, the charter is still due\n%s", p.body)
	}
}

// A requester opens the vote on a draft from its page.
func TestPagesAccount_OpenDraft(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	r := w.session(t, "rosalind@coop.test")
	d := proposals.Draft{Title: "Later", Purpose: "Count homes.", Kind: "knowledge", Pool: "energy", Draft: true,
		Query: &pooling.Query{Aggregate: "count"}, Privacy: &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5}, VotingMinutes: 60, GrantDays: 30}
	prop, err := w.deps.Proposals.Create(context.Background(), r, d)
	if err != nil || prop.Status != proposals.StatusDraft {
		t.Fatalf("%+v %v", prop, err)
	}
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	p := b.get("/proposals/" + prop.ID)
	if p.testID("open-form").Length() != 1 {
		t.Fatalf("a draft's page has no open form\n%s", p.body)
	}
	if r := b.post("/proposals/"+prop.ID+"/open", url.Values{"_csrf": {p.csrf()}}); r.resp.StatusCode != 303 {
		t.Fatalf("open: %d\n%s", r.resp.StatusCode, r.body)
	}
	got, _ := w.deps.Proposals.Get(context.Background(), prop.ID)
	if got.Status != proposals.StatusOpen {
		t.Fatalf("status %s after open", got.Status)
	}
}

// A researcher follows their proposals: the open one and the passed one
// with the budget its grant has left; the API lists the same.
func TestPagesAccount_MyProposals(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	passed := w.propose(t, "Heating by region")
	if _, err := w.deps.Proposals.Vote(context.Background(), w.session(t, "ada@coop.test"), passed.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool {
		p, err := w.deps.Proposals.Get(context.Background(), passed.ID)
		return err == nil && p.Status == proposals.StatusPassed
	})
	open := w.propose(t, "Cooling by region")
	tr := i18n.New().For("fr")
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	if href, _ := b.get("/me").testID("mine-link").Attr("href"); href != "/me/proposals" {
		t.Fatalf("no link from the dashboard: %q", href)
	}
	p := b.get("/me/proposals")
	rows := p.testID("mine-row")
	if rows.Length() != 2 || !strings.Contains(text(rows.Eq(0)), open.Title) || text(rows.Eq(0).Find(`[data-testid="mine-grant"]`)) != "—" {
		t.Fatalf("rows: %q", text(p.testID("mine")))
	}
	got, _ := w.deps.Proposals.Get(context.Background(), passed.ID)
	want := tr.F("grant.text", tr.Num(got.Grant.BudgetLeft), tr.Num(got.Grant.EpsilonTotal), tr.Date(got.Grant.ExpiresAt))
	if g := text(rows.Eq(1).Find(`[data-testid="mine-grant"]`)); g != want {
		t.Errorf("grant %q, want %q", g, want)
	}
	req := httptest.NewRequest("GET", "/api/v1/me/proposals", nil)
	req.Header.Set("Authorization", "Bearer "+w.login(t, "ada@coop.test"))
	if resp, body := call(t, w.app, req); resp.StatusCode != 200 || body != `{"proposals":[]}` {
		t.Errorf("a member's own proposals: %d %s", resp.StatusCode, body)
	}
}
