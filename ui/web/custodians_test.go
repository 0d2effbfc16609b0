package web_test

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
	"coop/ui/uitest"
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
func custodianCoop(t *testing.T) *uitest.Coop {
	t.Helper()
	w := uitest.CoopOn(t, uitest.EnvOnRules(t, raftdatatest.Start(t, uitest.RegisterAll), custodianRules()))
	for _, n := range []string{"Ann", "Bob", "Cleo", "Dan"} {
		w.Member(t, n, strings.ToLower(n)+"@coop.test")
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

	rules := uitest.NewBrowser(t, w.App, "fr").Get("/rules")
	if v, _ := rules.TestID("backups-sealed-to").Attr("data-sealed-to"); v != "operator" || !strings.Contains(rules.TestID("backups").Text(), fr.T("backups.operator")) {
		t.Fatalf("before custodians: %q", rules.TestID("backups").Text())
	}
	if !strings.Contains(rules.TestID("backups").Text(), "peuvent être ouvertes par l'opérateur") {
		t.Fatal("the French page does not say the operator can open the backups")
	}

	ann := uitest.NewBrowser(t, w.App, "en")
	ann.Post("/login", url.Values{"_csrf": {ann.Get("/login").CSRF()}, "email": {"ann@coop.test"}, "password": {uitest.Password}})
	if ann.Get("/rules").TestID("propose-custodians").Length() != 1 {
		t.Fatal("a member sees no link to propose custodians")
	}
	// Refusals keep what was typed and say why.
	form := ann.Get("/custodians/new")
	for _, tc := range []struct{ emails, threshold, want string }{
		{"bob@coop.test\nop@coop.test", "2", "No member uses the email address op@coop.test"},
		{"bob@coop.test\nnobody@coop.test", "2", "No member uses the email address nobody@coop.test"},
		{"bob@coop.test\ncleo@coop.test", "3", "open a backup together"},
		{"bob@coop.test", "x", "whole numbers"},
	} {
		p := ann.Post("/custodians/new", url.Values{"_csrf": {form.CSRF()}, "title": {"C"}, "purpose": {"P"}, "emails": {tc.emails}, "threshold": {tc.threshold}, "voting_minutes": {"1"}})
		if p.Resp.StatusCode < 400 || !strings.Contains(p.TestID("form-error").Text(), tc.want) || p.TestID("custodians-emails").Text() != tc.emails {
			t.Fatalf("%q k=%s: %d %q", tc.emails, tc.threshold, p.Resp.StatusCode, p.TestID("form-error").Text())
		}
	}
	id := w.Elect(t, ann)

	// The proposal names them to signed-in visitors only.
	if got := ann.Get("/proposals/" + id).TestID("proposal-custodian-names").Text(); !strings.Contains(got, "Bob") || !strings.Contains(got, "Dan") {
		t.Fatalf("proposal page, signed in: %q", got)
	}
	if anon := uitest.NewBrowser(t, w.App, "en").Get("/proposals/" + id); anon.TestID("proposal-custodian-names").Length() != 0 || !strings.Contains(anon.Body, en.T("backups.names_signed_in")) {
		t.Fatal("an anonymous visitor sees the custodians' names")
	}

	// Elected, no key yet: still the operator.
	if v, _ := ann.Get("/rules").TestID("backups-sealed-to").Attr("data-sealed-to"); v != "operator" {
		t.Fatalf("before the keys: %s", v)
	}
	if ann.Get("/me/custodian").TestID("not-custodian").Length() != 1 {
		t.Fatal("Ann is not a custodian, and the page does not say so")
	}
	bob := uitest.NewBrowser(t, w.App, "fr")
	bob.Post("/login", url.Values{"_csrf": {bob.Get("/login").CSRF()}, "email": {"bob@coop.test"}, "password": {uitest.Password}})
	keyPage := bob.Get("/me/custodian")
	if keyPage.TestID("custodian-key-form").Length() != 1 || !strings.Contains(keyPage.Body, "coop custodian keygen") {
		t.Fatalf("Bob's key page: %s", keyPage.TestID("page-title").Text())
	}
	bad := bob.Post("/me/custodian", url.Values{"_csrf": {keyPage.CSRF()}, "public_key": {"AGE-SECRET-KEY-1XYZ"}})
	if bad.Resp.StatusCode != 400 || bad.TestID("form-error").Length() != 1 {
		t.Fatalf("a secret key pasted: %d", bad.Resp.StatusCode)
	}
	bobKey := publicKeyForTest(t)
	if p := bob.Post("/me/custodian", url.Values{"_csrf": {keyPage.CSRF()}, "public_key": {bobKey}}); p.Resp.StatusCode != 303 {
		t.Fatalf("register: %d %s", p.Resp.StatusCode, p.TestID("form-error").Text())
	}
	if got := bob.Get("/me/custodian"); got.TestID("custodian-key").Text() != bobKey || got.TestID("notice").Text() != fr.T("notice.custodian_key_registered") {
		t.Fatalf("after registering: %q %q", got.TestID("custodian-key").Text(), got.TestID("notice").Text())
	}
	for _, email := range []string{"cleo@coop.test", "dan@coop.test"} {
		req := httptest.NewRequest("PUT", "/api/v1/me/custodian-key", strings.NewReader(fmt.Sprintf(`{"public_key":%q}`, publicKeyForTest(t))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.Login(t, email))
		if resp, body := uitest.Call(t, w.App, req); resp.StatusCode != 200 || !strings.Contains(body, `"backups_sealed_to"`) {
			t.Fatalf("PUT custodian-key: %d %s", resp.StatusCode, body)
		}
	}

	// Registered: any 2 of these 3, said to everyone; names to members.
	anon := uitest.NewBrowser(t, w.App, "en").Get("/rules")
	if v, _ := anon.TestID("backups-sealed-to").Attr("data-sealed-to"); v != "custodians" || !strings.Contains(anon.Body, "can be opened only by any 2 of these 3 custodians") {
		t.Fatalf("after the keys, anonymous: %q", anon.TestID("backups").Text())
	}
	if strings.Contains(anon.Body, "Cleo") || anon.TestID("custodian").Length() != 0 {
		t.Fatal("an anonymous visitor sees the custodians' names on /rules")
	}
	frRules := bob.Get("/rules")
	if !strings.Contains(frRules.TestID("backups-sealed-to").Text(), fr.F("backups.custodians", 2, 3)) || frRules.TestID("custodian-registered").Length() != 3 {
		t.Fatalf("after the keys, in French: %q", frRules.TestID("backups").Text())
	}
	op := uitest.NewBrowser(t, w.App, "en")
	op.Post("/login", url.Values{"_csrf": {op.Get("/login").CSRF()}, "email": {"op@coop.test"}, "password": {uitest.Password}})
	ops := op.Get("/ops")
	if got := ops.TestID("backups").Text(); !strings.Contains(got, "Cleo") || ops.TestID("custodian-registered").Length() != 3 {
		t.Fatalf("/ops backups: %q", got)
	}
	// The API, anonymous: counts, no names.
	resp, body := uitest.Call(t, w.App, httptest.NewRequest("GET", "/api/v1/governance/custodians", nil))
	if resp.StatusCode != 200 || !strings.Contains(body, `"backups_sealed_to":"custodians"`) || strings.Contains(body, `"name"`) || strings.Contains(body, bobKey) {
		t.Fatalf("anonymous GET /governance/custodians: %s", body)
	}
}

// TestBrowser_CustodianPagesOnAPhone: the custodian pages fit a 390 px
// wide screen (nothing wider than the viewport) and pass axe.
func TestBrowser_CustodianPagesOnAPhone(t *testing.T) {
	w := custodianCoop(t)
	base := serveOnLoopback(t, w.App)
	ann := uitest.NewBrowser(t, w.App, "en")
	ann.Post("/login", url.Values{"_csrf": {ann.Get("/login").CSRF()}, "email": {"ann@coop.test"}, "password": {uitest.Password}})
	w.Elect(t, ann)
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
