package web_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// On a 390 px phone, in French: the operator's queue of applicants, the
// admit button, the applicant's dashboard before and after, and the
// rulebook's membership part (mode, hard limits, journal) fit the width
// and pass axe-core.
func TestBrowser_AdmissionOnAPhone(t *testing.T) {
	w := admissionCoop(t, nil)
	base := serveOnLoopback(t, w.App)
	ada := w.Member(t, "Ada Lovelace-Byron", "ada.lovelace-byron@analytical-engine.coop.test")
	b := startBrowser(t)
	// fits checks that the parts this test is about end within the
	// phone's width (a wide table scrolls inside its own box).
	fits := func(name string, testIDs ...string) {
		t.Helper()
		for _, id := range testIDs {
			right := b.evalInt(`Math.ceil(document.querySelector('[data-testid="` + id + `"]').getBoundingClientRect().right)`)
			if client := b.evalInt(`document.documentElement.clientWidth`); right > client {
				b.screenshot("too-wide-" + id)
				t.Errorf("%s: %s ends at %d px on a %d px phone", name, id, right, client)
			}
		}
	}
	b.step("", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/lang/fr?next=/"), chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"] main`)))

	b.login(base, ada.Email)
	b.step("phone-applicant-dashboard", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="applicant-notice"]`)))
	fits("the applicant's dashboard", "applicant-notice")
	b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))

	b.login(base, "op@coop.test")
	b.step("phone-ops-applicants", chromedp.Navigate(base+"/ops#applicants"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="applicant-`+ada.ID+`"]`)))
	fits("/ops", "ops-applicants", "applicants-box")
	b.step("phone-admitted", chromedp.Click(chromedp.CSS(`[data-testid="applicant-`+ada.ID+`"] [data-testid="admit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)))
	b.step("phone-rules", chromedp.Navigate(base+"/rules#membership"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="journal-entries"]`)))
	fits("/rules", "rules-membership", "rules-limits", "journal-months-box", "journal-entries")
	if n := b.evalInt(`document.querySelectorAll('[data-testid="journal-entry"]').length`); n != 3 {
		t.Errorf("%d journal entries on /rules, want 3 (the bootstrap, the researcher, Ada's admission)", n)
	}
	b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	b.login(base, ada.Email)
	b.step("", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="me-account"]`)))
	if b.evalInt(`document.querySelectorAll('[data-testid="applicant-notice"]').length`) != 0 {
		t.Error("Ada, admitted, is still told she awaits admission")
	}
}

// evalInt is the whole number a JavaScript expression gives on the page.
func (b *browserTab) evalInt(expr string) int {
	b.t.Helper()
	n, err := strconv.Atoi(b.eval("String(" + expr + ")"))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
}
