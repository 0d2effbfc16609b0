package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/raftdata/raftdatatest"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// collegesCoop is a page coop under the tests' rulebook with three
// colleges.
func collegesCoop(t *testing.T) *uitest.Coop {
	t.Helper()
	r := governancetest.Rules()
	r.Colleges = []governance.College{{Name: "users", WeightPercent: 50}, {Name: "producers", WeightPercent: 30}, {Name: "partners", WeightPercent: 20}}
	return uitest.CoopOn(t, uitest.EnvOnRules(t, raftdatatest.Start(t, uitest.RegisterAll), r))
}

// Operators invite a guest from /ops: the password shows once on the page
// the form answers with (no redirect: it is kept nowhere, not even in a
// cookie), and the guest logs in with it; a refusal reads in French next
// to its field. They assign colleges on the member's own page
// (/ops/members/{id}), which the member sees on their dashboard and the
// journal records; an unknown college is refused next to the choice.
func TestPagesOps_GuestsAndColleges(t *testing.T) {
	t.Parallel()
	w := collegesCoop(t)
	fr := i18n.New().For("fr")
	ada := w.Member(t, "Ada", "ada@coop.test")
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := b.Get("/ops")
	checkForms(t, "/ops", p, server.CSRFToken(b.Cookies[server.SessionCookie]))
	if p.TestID("guest-form").Length() != 1 || p.TestID("college-select").Length() != 0 {
		t.Fatalf("no guest form on /ops, or a college choice in its compact list:\n%s", p.Body)
	}
	for days, want := range map[string]string{"0": "Une personne est invitée pour 1 à 365 jours.", "trois": "« trois » n'est pas un nombre entier."} {
		p = b.Post("/ops/guests", url.Values{"_csrf": {p.CSRF()}, "name": {"Gil"}, "email": {"gil@coop.test"}, "days": {days}})
		if p.Resp.StatusCode != 400 || p.Doc.Find(`[data-testid="guest-form"] [data-testid="form-error"]`).Length() != 1 || p.TestID("guest-name").AttrOr("value", "") != "Gil" ||
			strings.TrimSpace(p.Doc.Find(`[data-testid="guest-form"] [data-testid="field-error-days"]`).Text()) != want {
			t.Fatalf("a guest for %q days: %d\n%s", days, p.Resp.StatusCode, p.Body)
		}
	}
	p = b.Post("/ops/guests", url.Values{"_csrf": {p.CSRF()}, "name": {"Gil"}, "email": {"gil@coop.test"}, "days": {"5"}})
	password := strings.TrimSpace(p.TestID("guest-password").Text())
	if p.Resp.StatusCode != 200 || len(password) < 30 {
		t.Fatalf("invite: %d %q\n%s", p.Resp.StatusCode, password, p.Body)
	}
	for _, c := range p.Resp.Cookies() {
		if strings.Contains(c.Value, password) {
			t.Fatal("the guest's password is in a cookie")
		}
	}
	w.LoginWith(t, "gil@coop.test", password)
	if again := b.Get("/ops"); strings.Contains(again.Body, password) {
		t.Fatal("the password shows a second time")
	}
	p = b.Get("/ops/members/" + ada.ID)
	checkForms(t, "/ops/members/:id", p, server.CSRFToken(b.Cookies[server.SessionCookie]))
	if p.Doc.Find(`[data-testid="college-form"] [data-testid="college-select"] option`).Length() != 4 {
		t.Fatalf("no college choice on Ada's page:\n%s", p.Body)
	}
	p = b.Post("/ops/members/"+ada.ID+"/college", url.Values{"_csrf": {p.CSRF()}, "college": {"bakers"}})
	want := fr.P("err.unknown_college", map[string]string{"college": "bakers", "colleges": "users, producers, partners"})
	if got := strings.TrimSpace(p.Doc.Find(`[data-testid="college-form"] [data-testid="field-error-college"]`).Text()); p.Resp.StatusCode != 400 || got != want ||
		p.TestID("college-select").AttrOr("aria-describedby", "") != "error-college" {
		t.Fatalf("an unknown college: %d %q, want %q", p.Resp.StatusCode, got, want)
	}
	p = b.Post("/ops/members/"+ada.ID+"/college", url.Values{"_csrf": {p.CSRF()}, "college": {"producers"}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/ops/members/"+ada.ID {
		t.Fatalf("assign a college: %d %q\n%s", p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body)
	}
	if got := b.Get("/ops/members/"+ada.ID).Doc.Find(`[data-testid="college-select"] option[selected]`).AttrOr("value", ""); got != "producers" {
		t.Fatalf("Ada's page selects %q", got)
	}
	me := uitest.NewBrowser(t, w.App, "fr")
	me.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	if got := me.Get("/me").TestID("me-college").Text(); !strings.Contains(got, "producers") {
		t.Fatalf("Ada's college on /me: %q", got)
	}
	if got := me.Get("/rules").Body; !strings.Contains(got, "rattaché·e au collège producers") || !strings.Contains(got, `data-testid="rules-colleges"`) {
		t.Fatal("/rules shows neither the colleges nor the assignment in the journal")
	}
}

// /rules shows each kind's turnout over the last 12 months; the
// amendment form starts from the rulebook, or from the suggested quorums,
// and opens a secret amendment that keeps every other rule.
func TestPagesRules_TurnoutAndAmendment(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ctx := context.Background()
	voters := []string{"ada", "ben", "cleo", "dan"}
	for _, n := range voters {
		w.Member(t, n, n+"@coop.test")
	}
	// One knowledge vote where the whole electorate voted (it closes
	// at once): a turnout of 100 %.
	p := w.Propose(t, "Tout le monde vote")
	for _, n := range voters {
		if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, n+"@coop.test"), p.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	b := uitest.NewBrowser(t, w.App, "en")
	rules := b.Get("/rules")
	if got := rules.TestID("turnout-knowledge").Text(); !strings.Contains(got, "100 %") {
		t.Fatalf("knowledge turnout: %q", got)
	}
	if rules.TestID("rule-secret-amendment").Length() != 1 || rules.TestID("rule-double-reuse").Length() != 1 {
		t.Fatal("/rules does not say which kinds are secret or need a double majority")
	}
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	form := b.Get("/amendments/new?start=suggested")
	if form.TestID("amend-from-suggested").Length() != 1 || form.TestID("quorum-knowledge").AttrOr("value", "") != "100" || form.TestID("quorum-reuse").AttrOr("value", "") != "25" {
		t.Fatalf("the form from the suggestion:\n%s", form.Body)
	}
	checkForms(t, "/amendments/new", form, server.CSRFToken(b.Cookies[server.SessionCookie]))
	vals := url.Values{"_csrf": {form.CSRF()}, "title": {"Quorum from turnout"}, "purpose": {"Calibrate the quorum."}, "voting_minutes": {"60"}, "proxies": {"3"}}
	for _, k := range governance.Kinds {
		vals.Set("quorum_"+string(k), form.TestID("quorum-"+string(k)).AttrOr("value", ""))
		vals.Set("approval_"+string(k), form.TestID("approval-"+string(k)).AttrOr("value", ""))
	}
	bad := url.Values{}
	for k, v := range vals {
		bad[k] = v
	}
	bad.Set("quorum_knowledge", "many")
	if p := b.Post("/amendments/new", bad); p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 ||
		strings.TrimSpace(p.TestID("field-error-quorum_knowledge").Text()) != "“many” is not a whole number." || p.TestID("quorum-knowledge").AttrOr("value", "") != "many" {
		t.Fatalf("a quorum that is no number: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	// The rulebook's refusals show next to the fields that carry them.
	bad.Set("quorum_knowledge", "100")
	bad.Set("proxies", "11")
	bad.Set("approval_reuse", "100")
	if p := b.Post("/amendments/new", bad); p.Resp.StatusCode != 400 || !strings.Contains(p.TestID("field-error-proxies").Text(), "0 to 10 proxies") ||
		!strings.Contains(p.TestID("field-error-approval_reuse").Text(), "between 0 and 99 %") {
		t.Fatalf("a proxy cap and an approval out of bounds: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	p2 := b.Post("/amendments/new", vals)
	if p2.Resp.StatusCode != 303 {
		t.Fatalf("propose: %d\n%s", p2.Resp.StatusCode, p2.Body)
	}
	id := strings.TrimPrefix(p2.Resp.Header.Get("Location"), "/proposals/")
	am, err := w.Deps.Proposals.Get(ctx, id)
	if err != nil || !am.Secret || am.Rules == nil || am.Rules.Voting[governance.Knowledge].QuorumPercent != 100 || am.Rules.Proxies.MaxPerHolder != 3 ||
		am.Rules.Disclosure != governancetest.Rules().Disclosure {
		t.Fatalf("amendment %+v %v", am, err)
	}
	// Ada made it: she reads why she does not vote, and gets no secret
	// ballot. Ben votes with his voting token, never the open form; the
	// page gives ballot.js the refusals' sentences in his language.
	page := b.Get("/proposals/" + id)
	if page.TestID("secret-ballot").Length() != 0 || page.TestID("vote-form").Length() != 0 || page.TestID("vote-ineligible").AttrOr("data-reason", "") != "requester" {
		t.Fatalf("the requester's page of the secret amendment:\n%s", page.Body)
	}
	ben := uitest.NewBrowser(t, w.App, "fr")
	ben.Cookies[server.SessionCookie] = w.Login(t, "ben@coop.test")
	page = ben.Get("/proposals/" + id)
	if page.TestID("secret-ballot").Length() != 1 || page.TestID("vote-form").Length() != 0 || page.TestID("vote-ineligible").Length() != 0 ||
		!strings.Contains(page.Body, `data-testid="secret-nojs"`) {
		t.Fatalf("the amendment's page offers no secret ballot (or an open one):\n%s", page.Body)
	}
	var refusals map[string]string
	if err := json.Unmarshal([]byte(page.TestID("secret-ballot").AttrOr("data-refusals", "")), &refusals); err != nil ||
		refusals["token_forged"] != i18n.New().For("fr").T("err.token_forged") || refusals["code.conflict"] != i18n.New().For("fr").T("err.code.conflict") {
		t.Fatalf("the secret ballot's refusals: %v %v", refusals, err)
	}
}

// A member gives their vote by email on a proposal's page, in French; a
// refusal (past the holder's cap) is translated and keeps what was typed.
func TestPagesProxy_GiveAndRefuse(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	for _, n := range []string{"ada", "ben", "cleo", "dan"} {
		w.Member(t, n, n+"@coop.test")
	}
	p := w.Propose(t, "Énergie")
	give := func(who, to string) uitest.Page {
		b := uitest.NewBrowser(t, w.App, "fr")
		b.Cookies[server.SessionCookie] = w.Login(t, who+"@coop.test")
		form := b.Get("/proposals/" + p.ID)
		if form.TestID("proxy-form").Length() != 1 {
			t.Fatalf("%s sees no proxy form:\n%s", who, form.Body)
		}
		return b.Post("/proposals/"+p.ID+"/proxy", url.Values{"_csrf": {form.CSRF()}, "email": {to + "@coop.test"}})
	}
	if got := give("ada", "dan"); got.Resp.StatusCode != 303 {
		t.Fatalf("ada gives: %d", got.Resp.StatusCode)
	}
	give("ben", "dan")
	got := give("cleo", "dan")
	want := "Ce membre porte déjà 2 pouvoirs sur ce scrutin : le règlement en permet 2."
	if got.Resp.StatusCode != 409 || strings.TrimSpace(got.TestID("form-error").Text()) != want || strings.TrimSpace(got.TestID("field-error-email").Text()) != want ||
		got.TestID("proxy-email").AttrOr("value", "") != "dan@coop.test" || !strings.Contains(got.TestID("proxy-email").AttrOr("aria-describedby", ""), "error-email") {
		t.Fatalf("past the cap: %d %q", got.Resp.StatusCode, got.TestID("form-error").Text())
	}
	if got := give("cleo", "cleo"); got.Resp.StatusCode != 400 || strings.TrimSpace(got.TestID("field-error-email").Text()) != i18n.New().For("fr").T("err.proxy_self") {
		t.Fatalf("a proxy to oneself: %d %q", got.Resp.StatusCode, got.TestID("field-error-email").Text())
	}
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "dan@coop.test")
	if held := b.Get("/proposals/" + p.ID).TestID("proxy-held").Find("li").Length(); held != 2 {
		t.Fatalf("dan carries %d", held)
	}
}

// A member gives a standing proxy from the dashboard; a refusal reads in
// French in the proxies' section, next to the email typed (kept), not at
// the top of the page.
func TestPagesMe_StandingProxyRefused(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	fr := i18n.New().For("fr")
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Ben", "ben@coop.test")
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	me := b.Get("/me")
	if me.TestID("standing-form").Length() != 1 {
		t.Fatalf("no standing proxy form on /me:\n%s", me.Body)
	}
	for email, want := range map[string]string{
		"nobody@coop.test": fr.P("err.no_member_email", map[string]string{"email": "nobody@coop.test"}),
		"ada@coop.test":    fr.T("err.proxy_self"),
	} {
		p := b.Post("/me/proxy", url.Values{"_csrf": {me.CSRF()}, "email": {email}})
		section := p.TestID("me-ballots")
		if p.Resp.StatusCode < 400 || strings.TrimSpace(section.Find(`[data-testid="field-error-email"]`).Text()) != want ||
			section.Find(`[data-testid="form-error"]`).Length() != 1 || p.Doc.Find(`#me-error, main > .wrap > [data-testid="form-error"]`).Length() != 0 ||
			p.TestID("standing-email").AttrOr("value", "") != email {
			t.Fatalf("a standing proxy to %s: %d, want %q\n%s", email, p.Resp.StatusCode, want, section.Text())
		}
	}
	p := b.Post("/me/proxy", url.Values{"_csrf": {me.CSRF()}, "email": {"ben@coop.test"}})
	if p.Resp.StatusCode != 303 {
		t.Fatalf("a standing proxy to Ben: %d", p.Resp.StatusCode)
	}
	if got := b.Get("/me").TestID("standing-given").Text(); !strings.Contains(got, "Ben") {
		t.Fatalf("standing proxy given: %q", got)
	}
}
