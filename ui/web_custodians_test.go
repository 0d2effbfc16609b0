package ui

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"coop/governance"
	"coop/raftdata/raftdatatest"
	"coop/ui/i18n"
)

// custodianRules is an explicit rulebook (never the default's
// durations): every vote from 1 minute, closed at once when the whole
// electorate voted.
func custodianRules() governance.Rulebook {
	rule := governance.VotingRule{MinMinutes: 1, MaxMinutes: 600, QuorumPercent: 25, ApprovalPercent: 50, EarlyClose: governance.CloseWhenAllVoted}
	strict := rule
	strict.ApprovalPercent = 66
	return governance.Rulebook{
		Voting: map[governance.Kind]governance.VotingRule{governance.Knowledge: rule, governance.Reuse: rule,
			governance.Amendment: strict, governance.Custodians: strict},
		Disclosure: governance.Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10},
		Retention:  governance.Retention{IdentityMonthsAfterDeletion: 3, CharterMonthsAfterDeletion: 12, ConnectionLogMonths: 12},
		Membership: governance.Membership{Admission: governance.AdmitOpen, SponsorsRequired: 2},
	}
}

// custodianCoop is a web coop under custodianRules with a proposer (Ann)
// and three members to elect (Bob, Cleo, Dan).
func custodianCoop(t *testing.T) *webCoop {
	t.Helper()
	w := webCoopOn(t, envOnRules(t, raftdatatest.Start(t, registerAll), custodianRules()))
	for _, n := range []string{"Ann", "Bob", "Cleo", "Dan"} {
		w.member(t, n, strings.ToLower(n)+"@coop.test")
	}
	return w
}

func publicKeyForTest(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// TestPages_CustodiansElectionKeysAndRules: /rules tells everyone, in
// French and English, that the operator opens the backups until
// custodians are elected and registered, then that any k of these n
// custodians do (names to signed-in visitors only); the election form
// names custodians by email; a custodian registers their key on
// /me/custodian; /ops shows who registered.
func TestPages_CustodiansElectionKeysAndRules(t *testing.T) {
	w := custodianCoop(t)
	en, fr := i18n.New().For("en"), i18n.New().For("fr")

	rules := newBrowser(t, w.app, "fr").get("/rules")
	if v, _ := rules.testID("backups-sealed-to").Attr("data-sealed-to"); v != "operator" || !strings.Contains(rules.testID("backups").Text(), fr.T("backups.operator")) {
		t.Fatalf("before custodians: %q", rules.testID("backups").Text())
	}
	if !strings.Contains(rules.testID("backups").Text(), "peuvent être ouvertes par l'opérateur") {
		t.Fatal("the French page does not say the operator can open the backups")
	}

	ann := newBrowser(t, w.app, "en")
	ann.post("/login", url.Values{"_csrf": {ann.get("/login").csrf()}, "email": {"ann@coop.test"}, "password": {testPassword}})
	if ann.get("/rules").testID("propose-custodians").Length() != 1 {
		t.Fatal("a member sees no link to propose custodians")
	}
	// Refusals keep what was typed and say why.
	form := ann.get("/custodians/new")
	for _, tc := range []struct{ emails, threshold, want string }{
		{"bob@coop.test\nop@coop.test", "2", "No member uses the email address op@coop.test"},
		{"bob@coop.test\nnobody@coop.test", "2", "No member uses the email address nobody@coop.test"},
		{"bob@coop.test\ncleo@coop.test", "3", "open a backup together"},
		{"bob@coop.test", "x", "whole numbers"},
	} {
		p := ann.post("/custodians/new", url.Values{"_csrf": {form.csrf()}, "title": {"C"}, "purpose": {"P"}, "emails": {tc.emails}, "threshold": {tc.threshold}, "voting_minutes": {"1"}})
		if p.resp.StatusCode < 400 || !strings.Contains(p.testID("form-error").Text(), tc.want) || p.testID("custodians-emails").Text() != tc.emails {
			t.Fatalf("%q k=%s: %d %q", tc.emails, tc.threshold, p.resp.StatusCode, p.testID("form-error").Text())
		}
	}
	id := w.elect(t, ann)

	// The proposal names them to signed-in visitors only.
	if got := ann.get("/proposals/" + id).testID("proposal-custodian-names").Text(); !strings.Contains(got, "Bob") || !strings.Contains(got, "Dan") {
		t.Fatalf("proposal page, signed in: %q", got)
	}
	if anon := newBrowser(t, w.app, "en").get("/proposals/" + id); anon.testID("proposal-custodian-names").Length() != 0 || !strings.Contains(anon.body, en.T("backups.names_signed_in")) {
		t.Fatal("an anonymous visitor sees the custodians' names")
	}

	// Elected, no key yet: still the operator.
	if v, _ := ann.get("/rules").testID("backups-sealed-to").Attr("data-sealed-to"); v != "operator" {
		t.Fatalf("before the keys: %s", v)
	}
	if ann.get("/me/custodian").testID("not-custodian").Length() != 1 {
		t.Fatal("Ann is not a custodian, and the page does not say so")
	}
	bob := newBrowser(t, w.app, "fr")
	bob.post("/login", url.Values{"_csrf": {bob.get("/login").csrf()}, "email": {"bob@coop.test"}, "password": {testPassword}})
	keyPage := bob.get("/me/custodian")
	if keyPage.testID("custodian-key-form").Length() != 1 || !strings.Contains(keyPage.body, "coop custodian keygen") {
		t.Fatalf("Bob's key page: %s", keyPage.testID("page-title").Text())
	}
	bad := bob.post("/me/custodian", url.Values{"_csrf": {keyPage.csrf()}, "public_key": {"AGE-SECRET-KEY-1XYZ"}})
	if bad.resp.StatusCode != 400 || bad.testID("form-error").Length() != 1 {
		t.Fatalf("a secret key pasted: %d", bad.resp.StatusCode)
	}
	bobKey := publicKeyForTest(t)
	if p := bob.post("/me/custodian", url.Values{"_csrf": {keyPage.csrf()}, "public_key": {bobKey}}); p.resp.StatusCode != 303 {
		t.Fatalf("register: %d %s", p.resp.StatusCode, p.testID("form-error").Text())
	}
	if got := bob.get("/me/custodian"); got.testID("custodian-key").Text() != bobKey || got.testID("notice").Text() != fr.T("notice.custodian_key_registered") {
		t.Fatalf("after registering: %q %q", got.testID("custodian-key").Text(), got.testID("notice").Text())
	}
	for _, email := range []string{"cleo@coop.test", "dan@coop.test"} {
		req := httptest.NewRequest("PUT", "/api/v1/me/custodian-key", strings.NewReader(fmt.Sprintf(`{"public_key":%q}`, publicKeyForTest(t))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.login(t, email))
		if resp, body := call(t, w.app, req); resp.StatusCode != 200 || !strings.Contains(body, `"backups_sealed_to"`) {
			t.Fatalf("PUT custodian-key: %d %s", resp.StatusCode, body)
		}
	}

	// Registered: any 2 of these 3, said to everyone; names to members.
	anon := newBrowser(t, w.app, "en").get("/rules")
	if v, _ := anon.testID("backups-sealed-to").Attr("data-sealed-to"); v != "custodians" || !strings.Contains(anon.body, "can be opened only by any 2 of these 3 custodians") {
		t.Fatalf("after the keys, anonymous: %q", anon.testID("backups").Text())
	}
	if strings.Contains(anon.body, "Cleo") || anon.testID("custodian").Length() != 0 {
		t.Fatal("an anonymous visitor sees the custodians' names on /rules")
	}
	frRules := bob.get("/rules")
	if !strings.Contains(frRules.testID("backups-sealed-to").Text(), fr.F("backups.custodians", 2, 3)) || frRules.testID("custodian-registered").Length() != 3 {
		t.Fatalf("after the keys, in French: %q", frRules.testID("backups").Text())
	}
	op := newBrowser(t, w.app, "en")
	op.post("/login", url.Values{"_csrf": {op.get("/login").csrf()}, "email": {"op@coop.test"}, "password": {testPassword}})
	ops := op.get("/ops")
	if got := ops.testID("backups").Text(); !strings.Contains(got, "Cleo") || ops.testID("custodian-registered").Length() != 3 {
		t.Fatalf("/ops backups: %q", got)
	}
	// The API, anonymous: counts, no names.
	resp, body := call(t, w.app, httptest.NewRequest("GET", "/api/v1/governance/custodians", nil))
	if resp.StatusCode != 200 || !strings.Contains(body, `"backups_sealed_to":"custodians"`) || strings.Contains(body, `"name"`) || strings.Contains(body, bobKey) {
		t.Fatalf("anonymous GET /governance/custodians: %s", body)
	}
}

// TestBrowser_CustodianPagesOnAPhone: the custodian pages fit a 390 px
// wide screen (nothing wider than the viewport) and pass axe.
func TestBrowser_CustodianPagesOnAPhone(t *testing.T) {
	w := custodianCoop(t)
	base := serveOnLoopback(t, w.app)
	ann := newBrowser(t, w.app, "en")
	ann.post("/login", url.Values{"_csrf": {ann.get("/login").csrf()}, "email": {"ann@coop.test"}, "password": {testPassword}})
	w.elect(t, ann)
	b := startBrowser(t)
	fits := func(name string) {
		t.Helper()
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if wide > 390 {
			t.Errorf("%s is %d px wide on a 390 px screen", name, wide)
		}
	}
	for _, lang := range []string{"fr", "en"} {
		b.step("", chromedp.Navigate(base+"/lang/"+lang+"?next=/"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] main`)),
			chromedp.EmulateViewport(390, 844))
		b.login(base, "bob@coop.test")
		for _, path := range []string{"/rules", "/custodians/new", "/me/custodian"} {
			b.step("phone-"+lang+strings.ReplaceAll(path, "/", "-"), chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`[data-testid="page-title"]`)))
			fits(lang + " " + path)
		}
		b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
		b.login(base, "op@coop.test")
		b.step("phone-"+lang+"-ops", chromedp.Navigate(base+"/ops#backups"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="backups"]`)))
		b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	}
}
