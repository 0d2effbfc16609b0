package ui

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
	"coop/ui/i18n"
)

// admissionCoop is a web coop under the default rulebook (an operator
// admits) with votes of a minute or more, or changed by change.
func admissionCoop(t *testing.T, change func(*governance.Rulebook)) *webCoop {
	t.Helper()
	r := governance.Default().Clone()
	for k, rule := range r.Voting {
		rule.MinMinutes = 1
		r.Voting[k] = rule
	}
	if change != nil {
		change(&r)
	}
	return webCoopOn(t, envOnRules(t, raftdatatest.Start(t, registerAll), r))
}

// An applicant's dashboard says they await admission and what they may do
// meanwhile; the operator's page lists them with an admit button; once
// admitted, the notice is gone and the membership journal on /rules
// shows who admitted whom to members, and the month's count to everyone.
func TestPagesAdmission_OperatorAdmits(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, nil)
	ada := w.member(t, "Ada", "ada@coop.test")
	for _, lang := range []string{"fr", "en"} {
		tr := i18n.New().For(lang)
		b := newBrowser(t, w.app, lang)
		b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
		p := b.get("/me")
		notice := p.testID("applicant-notice")
		if p.resp.StatusCode != 200 || notice.Length() != 1 || !strings.Contains(notice.Text(), tr.T("me.applicant.operator")) ||
			!strings.Contains(notice.Text(), tr.T("me.applicant.can.contribute")) {
			t.Fatalf("%s: the applicant's dashboard: %d\n%s", lang, p.resp.StatusCode, notice.Text())
		}
		if got := text(p.testID("me-roles")); got != tr.T("role.applicant") {
			t.Errorf("%s: roles %q", lang, got)
		}
		if lang == "en" {
			prop := w.propose(t, "Winter energy by region")
			p := b.get("/proposals/" + prop.ID)
			if text(p.testID("vote-waiting")) != tr.T("vote.waiting") || p.testID("vote-submit").Length() != 0 {
				t.Errorf("an applicant on an open proposal: %q", text(p.testID("vote-waiting")))
			}
		}
	}

	op := newBrowser(t, w.app, "en")
	op.cookies[sessionCookie] = w.login(t, "op@coop.test")
	p := op.get("/ops")
	row := p.testID("applicant-" + ada.ID)
	if row.Length() != 1 || row.Find(`[data-testid="admit"]`).Length() != 1 || !strings.Contains(row.Text(), "ada@coop.test") {
		t.Fatalf("the applicants' queue on /ops:\n%s", p.testID("ops-applicants").Text())
	}
	checkForms(t, "/ops", p, csrfToken(op.cookies[sessionCookie]))
	p = op.post("/ops/applicants/"+ada.ID+"/admit", url.Values{"_csrf": {p.csrf()}})
	if p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/ops#applicants" {
		t.Fatalf("admit: %d %q", p.resp.StatusCode, p.resp.Header.Get("Location"))
	}
	if p := op.get("/ops"); p.testID("applicant-"+ada.ID).Length() != 0 || p.testID("applicant-"+w.researcher.ID).Length() != 1 {
		t.Fatal("Ada is still in the queue, or Rosalind (a researcher, not admitted) left it")
	}
	// Refused on the page as in the API: no one admits themselves.
	opID := w.session(t, "op@coop.test").ID
	if p := op.post("/ops/applicants/"+opID+"/admit", url.Values{"_csrf": {csrfToken(op.cookies[sessionCookie])}}); p.resp.StatusCode != 403 ||
		!strings.Contains(text(p.testID("form-error")), "No one admits") {
		t.Fatalf("self-admission on /ops: %d %q", p.resp.StatusCode, text(p.testID("form-error")))
	}

	member := newBrowser(t, w.app, "en")
	member.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	if p := member.get("/me"); p.testID("applicant-notice").Length() != 0 {
		t.Fatal("an admitted member is still told to wait")
	}
	p = member.get("/rules")
	if got := text(p.testID("admission-mode")); got != i18n.New().For("en").T("rules.admission.operator") {
		t.Errorf("admission mode on /rules: %q", got)
	}
	if n := p.testID("rules-limits").Find("li").Length(); n != 4 || !strings.Contains(p.testID("rules-limits").Text(), "0.01") {
		t.Errorf("hard limits on /rules: %d items: %s", n, p.testID("rules-limits").Text())
	}
	entries := p.testID("journal-entry")
	if entries.Length() != 3 || !strings.Contains(entries.Text(), "Ada") || !strings.Contains(entries.First().Text(), "Ada") || !strings.Contains(entries.Eq(1).Text(), "researcher") {
		t.Errorf("the journal on /rules (newest first: Ada admitted, Rosalind made researcher, the operator's bootstrap):\n%s", entries.Text())
	}
	anon := newBrowser(t, w.app, "fr").get("/rules")
	if anon.testID("journal-entry").Length() != 0 || anon.testID("journal-members-only").Length() != 1 ||
		text(anon.doc.Find(`[data-testid^="month-"] [data-testid="month-admitted"]`)) != "1" {
		t.Errorf("/rules for a visitor: entries %d, months %q", anon.testID("journal-entry").Length(), anon.testID("journal-months").Text())
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
	op := w.session(t, "op@coop.test")
	ann, bob := w.member(t, "Ann", "ann@coop.test"), w.member(t, "Bob", "bob@coop.test")
	for _, a := range []members.Account{ann, bob} {
		if err := w.members.Admit(ctx, op, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	cal := w.member(t, "Cal", "cal@coop.test")

	calB := newBrowser(t, w.app, "fr")
	calB.cookies[sessionCookie] = w.login(t, "cal@coop.test")
	fr := i18n.New().For("fr")
	if got := calB.get("/me").testID("applicant-notice").Text(); !strings.Contains(got, fr.N("me.applicant.sponsors", 2)) {
		t.Fatalf("Cal's notice: %q", got)
	}
	for i, email := range []string{"ann@coop.test", "bob@coop.test"} {
		b := newBrowser(t, w.app, "en")
		b.cookies[sessionCookie] = w.login(t, email)
		p := b.get("/me")
		row := p.testID("applicant-" + cal.ID)
		if row.Length() != 1 || row.Find(`[data-testid="sponsor"]`).Length() != 1 || strings.Contains(p.body, "cal@coop.test") {
			t.Fatalf("%s's dashboard: %s", email, p.testID("me-applicants").Text())
		}
		p = b.post("/me/applicants/"+cal.ID+"/sponsor", url.Values{"_csrf": {p.csrf()}})
		if p.resp.StatusCode != 303 {
			t.Fatalf("sponsor: %d %s", p.resp.StatusCode, text(p.testID("form-error")))
		}
		p = b.get("/me")
		calRow := p.testID("applicant-" + cal.ID)
		if i == 0 && (calRow.Find(`[data-testid="sponsored"]`).Length() != 1 || text(calRow.Find(`[data-testid="applicant-sponsors"]`)) != "1 of 2") {
			t.Fatalf("after Ann's sponsorship: %s", p.testID("me-applicants").Text())
		}
		if i == 1 && (calRow.Length() != 0 || !strings.Contains(p.body, "the applicant is admitted")) {
			t.Fatalf("after Bob's sponsorship: %s", p.testID("me-applicants").Text())
		}
	}
	if p := calB.get("/me"); p.testID("applicant-notice").Length() != 0 || p.testID("me-applicants").Length() != 1 {
		t.Fatal("Cal, admitted, still waits or sees no applicants' list")
	}
}

// Sign-ups from one address count on the API and the page together; past
// the limit both answer 429, the API with Retry-After and a sentence,
// the page in the visitor's language.
func TestSignupLimit_PerAddressAcrossAPIAndPage(t *testing.T) {
	t.Parallel()
	env := openEnv(t)
	env.deps.SignupsPerHour = 2
	app := New(env.deps)
	signup := func(i int) (int, string, string) {
		body := `{"name":"P` + string(rune('a'+i)) + `","email":"p` + string(rune('a'+i)) + `@coop.test","password":"` + testPassword + `","accept_charter":true}`
		req := httptest.NewRequest("POST", "/api/v1/signup", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, out := call(t, app, req)
		return resp.StatusCode, resp.Header.Get("Retry-After"), out
	}
	if status, _, body := signup(0); status != 201 {
		t.Fatalf("first sign-up: %d %s", status, body)
	}
	b := newBrowser(t, app, "fr")
	form := b.get("/signup")
	p := b.post("/signup", url.Values{"_csrf": {form.csrf()}, "name": {"Pb"}, "email": {"pb@coop.test"}, "password": {testPassword},
		"accept_charter": {"yes"}})
	if p.resp.StatusCode != 303 {
		t.Fatalf("second sign-up, on the page: %d %q", p.resp.StatusCode, text(p.testID("form-error")))
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
	b = newBrowser(t, app, "fr")
	form = b.get("/signup")
	p = b.post("/signup", url.Values{"_csrf": {form.csrf()}, "name": {"Pd"}, "email": {"pd@coop.test"}, "password": {testPassword}})
	if got := text(p.testID("form-error")); p.resp.StatusCode != 429 || got != i18n.New().For("fr").T("err.too_many_signups") {
		t.Fatalf("fourth sign-up, on the page: %d %q", p.resp.StatusCode, got)
	}
}
