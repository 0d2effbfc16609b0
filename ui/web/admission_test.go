package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"coop/governance"
	"coop/members"
	"coop/raftdata/raftdatatest"
	"coop/ui"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// admissionCoop is a web coop under the default rulebook (an operator
// admits) with votes of a minute or more, or changed by change.
func admissionCoop(t *testing.T, change func(*governance.Rulebook)) *uitest.Coop {
	t.Helper()
	r := governance.Default().Clone()
	for k, rule := range r.Voting {
		rule.MinMinutes = 1
		r.Voting[k] = rule
	}
	if change != nil {
		change(&r)
	}
	return uitest.CoopOn(t, uitest.EnvOnRules(t, raftdatatest.Start(t, uitest.RegisterAll), r))
}

// An applicant's dashboard says they await admission and what they may do
// meanwhile; the operator's page lists them with an admit button; once
// admitted, the notice is gone and the membership journal on /rules
// shows who admitted whom to members, and the month's count to everyone.
func TestPagesAdmission_OperatorAdmits(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, nil)
	ada := w.Member(t, "Ada", "ada@coop.test")
	for _, lang := range []string{"fr", "en"} {
		tr := i18n.New().For(lang)
		b := uitest.NewBrowser(t, w.App, lang)
		b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
		p := b.Get("/me")
		notice := p.TestID("applicant-notice")
		if p.Resp.StatusCode != 200 || notice.Length() != 1 || !strings.Contains(notice.Text(), tr.T("me.applicant.operator")) ||
			!strings.Contains(notice.Text(), tr.T("me.applicant.can.contribute")) {
			t.Fatalf("%s: the applicant's dashboard: %d\n%s", lang, p.Resp.StatusCode, notice.Text())
		}
		if got := uitest.Text(p.TestID("me-roles")); got != tr.T("role.applicant") {
			t.Errorf("%s: roles %q", lang, got)
		}
		if lang == "en" {
			prop := w.Propose(t, "Winter energy by region")
			p := b.Get("/proposals/" + prop.ID)
			if uitest.Text(p.TestID("vote-waiting")) != tr.T("vote.waiting") || p.TestID("vote-submit").Length() != 0 {
				t.Errorf("an applicant on an open proposal: %q", uitest.Text(p.TestID("vote-waiting")))
			}
		}
	}

	op := uitest.NewBrowser(t, w.App, "en")
	op.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := op.Get("/ops")
	row := p.TestID("applicant-" + ada.ID)
	if row.Length() != 1 || row.Find(`[data-testid="admit"]`).Length() != 1 || !strings.Contains(row.Text(), "ada@coop.test") {
		t.Fatalf("the applicants' queue on /ops:\n%s", p.TestID("ops-applicants").Text())
	}
	checkForms(t, "/ops", p, server.CSRFToken(op.Cookies[server.SessionCookie]))
	p = op.Post("/ops/applicants/"+ada.ID+"/admit", url.Values{"_csrf": {p.CSRF()}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/ops#applicants" {
		t.Fatalf("admit: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
	if p := op.Get("/ops"); p.TestID("applicant-"+ada.ID).Length() != 0 || p.TestID("applicant-"+w.Researcher.ID).Length() != 1 {
		t.Fatal("Ada is still in the queue, or Rosalind (a researcher, not admitted) left it")
	}
	// Refused on the page as in the API: no one admits themselves.
	opID := w.Session(t, "op@coop.test").ID
	if p := op.Post("/ops/applicants/"+opID+"/admit", url.Values{"_csrf": {server.CSRFToken(op.Cookies[server.SessionCookie])}}); p.Resp.StatusCode != 403 ||
		!strings.Contains(uitest.Text(p.TestID("form-error")), "No one admits") {
		t.Fatalf("self-admission on /ops: %d %q", p.Resp.StatusCode, uitest.Text(p.TestID("form-error")))
	}

	member := uitest.NewBrowser(t, w.App, "en")
	member.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	if p := member.Get("/me"); p.TestID("applicant-notice").Length() != 0 {
		t.Fatal("an admitted member is still told to wait")
	}
	p = member.Get("/rules")
	if got := uitest.Text(p.TestID("admission-mode")); got != i18n.New().For("en").T("rules.admission.operator") {
		t.Errorf("admission mode on /rules: %q", got)
	}
	if n := p.TestID("rules-limits").Find("li").Length(); n != 4 || !strings.Contains(p.TestID("rules-limits").Text(), "0.01") {
		t.Errorf("hard limits on /rules: %d items: %s", n, p.TestID("rules-limits").Text())
	}
	entries := p.TestID("journal-entry")
	if entries.Length() != 3 || !strings.Contains(entries.Text(), "Ada") || !strings.Contains(entries.First().Text(), "Ada") || !strings.Contains(entries.Eq(1).Text(), "researcher") {
		t.Errorf("the journal on /rules (newest first: Ada admitted, Rosalind made researcher, the operator's bootstrap):\n%s", entries.Text())
	}
	anon := uitest.NewBrowser(t, w.App, "fr").Get("/rules")
	if anon.TestID("journal-entry").Length() != 0 || anon.TestID("journal-members-only").Length() != 1 ||
		uitest.Text(anon.Doc.Find(`[data-testid^="month-"] [data-testid="month-admitted"]`)) != "1" {
		t.Errorf("/rules for a visitor: entries %d, months %q", anon.TestID("journal-entry").Length(), anon.TestID("journal-months").Text())
	}
}

// Under sponsorship, a member's dashboard lists the applicants with a
// button to vouch; the second sponsor admits.
func TestPagesAdmission_MembersSponsor(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, func(r *governance.Rulebook) {
		r.Membership = governance.Membership{Admission: governance.AdmitBySponsors, SponsorsRequired: 2}
	})
	ctx := context.Background()
	op := w.Session(t, "op@coop.test")
	ann, bob := w.Member(t, "Ann", "ann@coop.test"), w.Member(t, "Bob", "bob@coop.test")
	for _, a := range []members.Account{ann, bob} {
		if err := w.Members.Admit(ctx, op, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	cal := w.Member(t, "Cal", "cal@coop.test")

	calB := uitest.NewBrowser(t, w.App, "fr")
	calB.Cookies[server.SessionCookie] = w.Login(t, "cal@coop.test")
	fr := i18n.New().For("fr")
	if got := calB.Get("/me").TestID("applicant-notice").Text(); !strings.Contains(got, fr.N("me.applicant.sponsors", 2)) {
		t.Fatalf("Cal's notice: %q", got)
	}
	for i, email := range []string{"ann@coop.test", "bob@coop.test"} {
		b := uitest.NewBrowser(t, w.App, "en")
		b.Cookies[server.SessionCookie] = w.Login(t, email)
		p := b.Get("/me")
		row := p.TestID("applicant-" + cal.ID)
		if row.Length() != 1 || row.Find(`[data-testid="sponsor"]`).Length() != 1 || strings.Contains(p.Body, "cal@coop.test") {
			t.Fatalf("%s's dashboard: %s", email, p.TestID("me-applicants").Text())
		}
		p = b.Post("/me/applicants/"+cal.ID+"/sponsor", url.Values{"_csrf": {p.CSRF()}})
		if p.Resp.StatusCode != 303 {
			t.Fatalf("sponsor: %d %s", p.Resp.StatusCode, uitest.Text(p.TestID("form-error")))
		}
		p = b.Get("/me")
		calRow := p.TestID("applicant-" + cal.ID)
		if i == 0 && (calRow.Find(`[data-testid="sponsored"]`).Length() != 1 || uitest.Text(calRow.Find(`[data-testid="applicant-sponsors"]`)) != "1 of 2") {
			t.Fatalf("after Ann's sponsorship: %s", p.TestID("me-applicants").Text())
		}
		if i == 1 && (calRow.Length() != 0 || !strings.Contains(p.Body, "the applicant is admitted")) {
			t.Fatalf("after Bob's sponsorship: %s", p.TestID("me-applicants").Text())
		}
	}
	if p := calB.Get("/me"); p.TestID("applicant-notice").Length() != 0 || p.TestID("me-applicants").Length() != 1 {
		t.Fatal("Cal, admitted, still waits or sees no applicants' list")
	}
}

// Sign-ups from one address count on the API and the page together; past
// the limit both answer 429, the API with Retry-After and a sentence,
// the page in the visitor's language.
func TestSignupLimit_PerAddressAcrossAPIAndPage(t *testing.T) {
	t.Parallel()
	env := uitest.OpenEnv(t)
	env.Deps.SignupsPerHour = 2
	app := ui.New(env.Deps)
	signup := func(i int) (int, string, string) {
		body := `{"name":"P` + string(rune('a'+i)) + `","email":"p` + string(rune('a'+i)) + `@coop.test","password":"` + uitest.Password + `","accept_charter":true}`
		req := httptest.NewRequest("POST", "/api/v1/signup", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, out := uitest.Call(t, app, req)
		return resp.StatusCode, resp.Header.Get("Retry-After"), out
	}
	if status, _, body := signup(0); status != 201 {
		t.Fatalf("first sign-up: %d %s", status, body)
	}
	b := uitest.NewBrowser(t, app, "fr")
	form := b.Get("/signup")
	p := b.Post("/signup", url.Values{"_csrf": {form.CSRF()}, "name": {"Pb"}, "email": {"pb@coop.test"}, "password": {uitest.Password},
		"accept_charter": {"yes"}})
	if p.Resp.StatusCode != 303 {
		t.Fatalf("second sign-up, on the page: %d %q", p.Resp.StatusCode, uitest.Text(p.TestID("form-error")))
	}
	status, retry, body := signup(2)
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal([]byte(body), &e)
	if status != 429 || retry == "" || e.Error.Code != "too_many" || !strings.Contains(e.Error.Message, "at most 2 an hour") {
		t.Fatalf("third sign-up: %d Retry-After %q %s", status, retry, body)
	}
	// The second sign-up logged that browser in: the fourth comes from a
	// new visitor at the same address.
	b = uitest.NewBrowser(t, app, "fr")
	form = b.Get("/signup")
	p = b.Post("/signup", url.Values{"_csrf": {form.CSRF()}, "name": {"Pd"}, "email": {"pd@coop.test"}, "password": {uitest.Password}})
	if got := uitest.Text(p.TestID("form-error")); p.Resp.StatusCode != 429 || got != i18n.New().For("fr").T("err.too_many_signups") {
		t.Fatalf("fourth sign-up, on the page: %d %q", p.Resp.StatusCode, got)
	}
}
