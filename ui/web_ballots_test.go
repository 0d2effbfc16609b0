package ui

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
)

// collegesCoop is a page coop under the tests' rulebook with three
// colleges.
func collegesCoop(t *testing.T) *webCoop {
	t.Helper()
	r := governancetest.Rules()
	r.Colleges = []governance.College{{Name: "users", WeightPercent: 50}, {Name: "producers", WeightPercent: 30}, {Name: "partners", WeightPercent: 20}}
	return webCoopOn(t, envOnRules(t, raftdatatest.Start(t, registerAll), r))
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
	ada := w.member(t, "Ada", "ada@coop.test")
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")
	p := b.get("/ops")
	checkForms(t, "/ops", p, csrfToken(b.cookies[sessionCookie]))
	if p.testID("guest-form").Length() != 1 || p.testID("college-select").Length() != 0 {
		t.Fatalf("no guest form on /ops, or a college choice in its compact list:\n%s", p.body)
	}
	for days, want := range map[string]string{"0": "Une personne est invitée pour 1 à 365 jours.", "trois": "« trois » n'est pas un nombre entier."} {
		p = b.post("/ops/guests", url.Values{"_csrf": {p.csrf()}, "name": {"Gil"}, "email": {"gil@coop.test"}, "days": {days}})
		if p.resp.StatusCode != 400 || p.doc.Find(`[data-testid="guest-form"] [data-testid="form-error"]`).Length() != 1 || p.testID("guest-name").AttrOr("value", "") != "Gil" ||
			strings.TrimSpace(p.doc.Find(`[data-testid="guest-form"] [data-testid="field-error-days"]`).Text()) != want {
			t.Fatalf("a guest for %q days: %d\n%s", days, p.resp.StatusCode, p.body)
		}
	}
	p = b.post("/ops/guests", url.Values{"_csrf": {p.csrf()}, "name": {"Gil"}, "email": {"gil@coop.test"}, "days": {"5"}})
	password := strings.TrimSpace(p.testID("guest-password").Text())
	if p.resp.StatusCode != 200 || len(password) < 30 {
		t.Fatalf("invite: %d %q\n%s", p.resp.StatusCode, password, p.body)
	}
	for _, c := range p.resp.Cookies() {
		if strings.Contains(c.Value, password) {
			t.Fatal("the guest's password is in a cookie")
		}
	}
	w.login2(t, "gil@coop.test", password)
	if again := b.get("/ops"); strings.Contains(again.body, password) {
		t.Fatal("the password shows a second time")
	}
	p = b.get("/ops/members/" + ada.ID)
	checkForms(t, "/ops/members/:id", p, csrfToken(b.cookies[sessionCookie]))
	if p.doc.Find(`[data-testid="college-form"] [data-testid="college-select"] option`).Length() != 4 {
		t.Fatalf("no college choice on Ada's page:\n%s", p.body)
	}
	p = b.post("/ops/members/"+ada.ID+"/college", url.Values{"_csrf": {p.csrf()}, "college": {"bakers"}})
	want := fr.P("err.unknown_college", map[string]string{"college": "bakers", "colleges": "users, producers, partners"})
	if got := strings.TrimSpace(p.doc.Find(`[data-testid="college-form"] [data-testid="field-error-college"]`).Text()); p.resp.StatusCode != 400 || got != want ||
		p.testID("college-select").AttrOr("aria-describedby", "") != "error-college" {
		t.Fatalf("an unknown college: %d %q, want %q", p.resp.StatusCode, got, want)
	}
	p = b.post("/ops/members/"+ada.ID+"/college", url.Values{"_csrf": {p.csrf()}, "college": {"producers"}})
	if p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/ops/members/"+ada.ID {
		t.Fatalf("assign a college: %d %q\n%s", p.resp.StatusCode, p.resp.Header.Get("Location"), p.body)
	}
	if got := b.get("/ops/members/"+ada.ID).doc.Find(`[data-testid="college-select"] option[selected]`).AttrOr("value", ""); got != "producers" {
		t.Fatalf("Ada's page selects %q", got)
	}
	me := newBrowser(t, w.app, "fr")
	me.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	if got := me.get("/me").testID("me-college").Text(); !strings.Contains(got, "producers") {
		t.Fatalf("Ada's college on /me: %q", got)
	}
	if got := me.get("/rules").body; !strings.Contains(got, "rattaché·e au collège producers") || !strings.Contains(got, `data-testid="rules-colleges"`) {
		t.Fatal("/rules shows neither the colleges nor the assignment in the journal")
	}
}

// /rules shows each kind's turnout over the last 12 months; the
// amendment form starts from the rulebook, or from the suggested quorums,
// and opens a secret amendment that keeps every other rule.
func TestPagesRules_TurnoutAndAmendment(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ctx := context.Background()
	voters := []string{"ada", "ben", "cleo", "dan"}
	for _, n := range voters {
		w.member(t, n, n+"@coop.test")
	}
	// One knowledge vote where the whole electorate voted (it closes
	// at once): a turnout of 100 %.
	p := w.propose(t, "Tout le monde vote")
	for _, n := range voters {
		if _, err := w.deps.Proposals.Vote(ctx, w.session(t, n+"@coop.test"), p.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, w.app, "en")
	rules := b.get("/rules")
	if got := rules.testID("turnout-knowledge").Text(); !strings.Contains(got, "100 %") {
		t.Fatalf("knowledge turnout: %q", got)
	}
	if rules.testID("rule-secret-amendment").Length() != 1 || rules.testID("rule-double-reuse").Length() != 1 {
		t.Fatal("/rules does not say which kinds are secret or need a double majority")
	}
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	form := b.get("/amendments/new?start=suggested")
	if form.testID("amend-from-suggested").Length() != 1 || form.testID("quorum-knowledge").AttrOr("value", "") != "100" || form.testID("quorum-reuse").AttrOr("value", "") != "25" {
		t.Fatalf("the form from the suggestion:\n%s", form.body)
	}
	checkForms(t, "/amendments/new", form, csrfToken(b.cookies[sessionCookie]))
	vals := url.Values{"_csrf": {form.csrf()}, "title": {"Quorum from turnout"}, "purpose": {"Calibrate the quorum."}, "voting_minutes": {"60"}, "proxies": {"3"}}
	for _, k := range governance.Kinds {
		vals.Set("quorum_"+string(k), form.testID("quorum-"+string(k)).AttrOr("value", ""))
		vals.Set("approval_"+string(k), form.testID("approval-"+string(k)).AttrOr("value", ""))
	}
	bad := url.Values{}
	for k, v := range vals {
		bad[k] = v
	}
	bad.Set("quorum_knowledge", "many")
	if p := b.post("/amendments/new", bad); p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 ||
		strings.TrimSpace(p.testID("field-error-quorum_knowledge").Text()) != "“many” is not a whole number." || p.testID("quorum-knowledge").AttrOr("value", "") != "many" {
		t.Fatalf("a quorum that is no number: %d\n%s", p.resp.StatusCode, p.body)
	}
	// The rulebook's refusals show next to the fields that carry them.
	bad.Set("quorum_knowledge", "100")
	bad.Set("proxies", "11")
	bad.Set("approval_reuse", "100")
	if p := b.post("/amendments/new", bad); p.resp.StatusCode != 400 || !strings.Contains(p.testID("field-error-proxies").Text(), "0 to 10 proxies") ||
		!strings.Contains(p.testID("field-error-approval_reuse").Text(), "between 0 and 99 %") {
		t.Fatalf("a proxy cap and an approval out of bounds: %d\n%s", p.resp.StatusCode, p.body)
	}
	p2 := b.post("/amendments/new", vals)
	if p2.resp.StatusCode != 303 {
		t.Fatalf("propose: %d\n%s", p2.resp.StatusCode, p2.body)
	}
	id := strings.TrimPrefix(p2.resp.Header.Get("Location"), "/proposals/")
	am, err := w.deps.Proposals.Get(ctx, id)
	if err != nil || !am.Secret || am.Rules == nil || am.Rules.Voting[governance.Knowledge].QuorumPercent != 100 || am.Rules.Proxies.MaxPerHolder != 3 ||
		am.Rules.Disclosure != governancetest.Rules().Disclosure {
		t.Fatalf("amendment %+v %v", am, err)
	}
	// Ada made it: she reads why she does not vote, and gets no secret
	// ballot. Ben votes with his voting token, never the open form; the
	// page gives ballot.js the refusals' sentences in his language.
	page := b.get("/proposals/" + id)
	if page.testID("secret-ballot").Length() != 0 || page.testID("vote-form").Length() != 0 || page.testID("vote-ineligible").AttrOr("data-reason", "") != "requester" {
		t.Fatalf("the requester's page of the secret amendment:\n%s", page.body)
	}
	ben := newBrowser(t, w.app, "fr")
	ben.cookies[sessionCookie] = w.login(t, "ben@coop.test")
	page = ben.get("/proposals/" + id)
	if page.testID("secret-ballot").Length() != 1 || page.testID("vote-form").Length() != 0 || page.testID("vote-ineligible").Length() != 0 ||
		!strings.Contains(page.body, `data-testid="secret-nojs"`) {
		t.Fatalf("the amendment's page offers no secret ballot (or an open one):\n%s", page.body)
	}
	var refusals map[string]string
	if err := json.Unmarshal([]byte(page.testID("secret-ballot").AttrOr("data-refusals", "")), &refusals); err != nil ||
		refusals["token_forged"] != i18n.New().For("fr").T("err.token_forged") || refusals["code.conflict"] != i18n.New().For("fr").T("err.code.conflict") {
		t.Fatalf("the secret ballot's refusals: %v %v", refusals, err)
	}
}

// A member gives their vote by email on a proposal's page, in French; a
// refusal (past the holder's cap) is translated and keeps what was typed.
func TestPagesProxy_GiveAndRefuse(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	for _, n := range []string{"ada", "ben", "cleo", "dan"} {
		w.member(t, n, n+"@coop.test")
	}
	p := w.propose(t, "Énergie")
	give := func(who, to string) page {
		b := newBrowser(t, w.app, "fr")
		b.cookies[sessionCookie] = w.login(t, who+"@coop.test")
		form := b.get("/proposals/" + p.ID)
		if form.testID("proxy-form").Length() != 1 {
			t.Fatalf("%s sees no proxy form:\n%s", who, form.body)
		}
		return b.post("/proposals/"+p.ID+"/proxy", url.Values{"_csrf": {form.csrf()}, "email": {to + "@coop.test"}})
	}
	if got := give("ada", "dan"); got.resp.StatusCode != 303 {
		t.Fatalf("ada gives: %d", got.resp.StatusCode)
	}
	give("ben", "dan")
	got := give("cleo", "dan")
	want := "Ce membre porte déjà 2 pouvoirs sur ce scrutin : le règlement en permet 2."
	if got.resp.StatusCode != 409 || strings.TrimSpace(got.testID("form-error").Text()) != want || strings.TrimSpace(got.testID("field-error-email").Text()) != want ||
		got.testID("proxy-email").AttrOr("value", "") != "dan@coop.test" || !strings.Contains(got.testID("proxy-email").AttrOr("aria-describedby", ""), "error-email") {
		t.Fatalf("past the cap: %d %q", got.resp.StatusCode, got.testID("form-error").Text())
	}
	if got := give("cleo", "cleo"); got.resp.StatusCode != 400 || strings.TrimSpace(got.testID("field-error-email").Text()) != i18n.New().For("fr").T("err.proxy_self") {
		t.Fatalf("a proxy to oneself: %d %q", got.resp.StatusCode, got.testID("field-error-email").Text())
	}
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "dan@coop.test")
	if held := b.get("/proposals/" + p.ID).testID("proxy-held").Find("li").Length(); held != 2 {
		t.Fatalf("dan carries %d", held)
	}
}

// A member gives a standing proxy from the dashboard; a refusal reads in
// French in the proxies' section, next to the email typed (kept), not at
// the top of the page.
func TestPagesMe_StandingProxyRefused(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	fr := i18n.New().For("fr")
	w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Ben", "ben@coop.test")
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	me := b.get("/me")
	if me.testID("standing-form").Length() != 1 {
		t.Fatalf("no standing proxy form on /me:\n%s", me.body)
	}
	for email, want := range map[string]string{
		"nobody@coop.test": fr.P("err.no_member_email", map[string]string{"email": "nobody@coop.test"}),
		"ada@coop.test":    fr.T("err.proxy_self"),
	} {
		p := b.post("/me/proxy", url.Values{"_csrf": {me.csrf()}, "email": {email}})
		section := p.testID("me-ballots")
		if p.resp.StatusCode < 400 || strings.TrimSpace(section.Find(`[data-testid="field-error-email"]`).Text()) != want ||
			section.Find(`[data-testid="form-error"]`).Length() != 1 || p.doc.Find(`#me-error, main > .wrap > [data-testid="form-error"]`).Length() != 0 ||
			p.testID("standing-email").AttrOr("value", "") != email {
			t.Fatalf("a standing proxy to %s: %d, want %q\n%s", email, p.resp.StatusCode, want, section.Text())
		}
	}
	p := b.post("/me/proxy", url.Values{"_csrf": {me.csrf()}, "email": {"ben@coop.test"}})
	if p.resp.StatusCode != 303 {
		t.Fatalf("a standing proxy to Ben: %d", p.resp.StatusCode)
	}
	if got := b.get("/me").testID("standing-given").Text(); !strings.Contains(got, "Ben") {
		t.Fatalf("standing proxy given: %q", got)
	}
}
