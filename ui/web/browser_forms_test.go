package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"coop/ui/i18n"
	"coop/ui/uitest"
)

// forms.js in a real browser, at 390 px in French: the query form's
// fields follow the chosen pool without a reload (its step button then
// hidden); each field of a new pool shows its type's inputs only; the
// receipt's copy button appears and copies. axe-core checks every page.
func TestBrowser_FormsFollowTheirChoices(t *testing.T) {
	w := uitest.NewCoop(t)
	createHeatingPool(t, w)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Béa", "bea@coop.test")
	prop := w.Propose(t, "Consommation d'hiver")
	base := serveOnLoopback(t, w.App)
	fr := i18n.New().For("fr")
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	display := func(b *browserTab, testID string) string {
		return b.eval(`getComputedStyle(document.querySelector('[data-testid="` + testID + `"]')).display`)
	}

	b := startBrowserWithin(t, 3*time.Minute)
	b.step("", chromedp.EmulateViewport(phoneWidth, 844), chromedp.Navigate(base+"/lang/fr?next=/"), chromedp.WaitVisible(css(`html[lang="fr"] main`)))
	b.login(base, "rosalind@coop.test")
	b.step("forms-propose", chromedp.Navigate(base+"/proposals/new"), chromedp.WaitVisible(css(`[data-testid="pool-first"]`)))
	if got := display(b, "pool-step"); got != "none" {
		t.Errorf("the pool's step button shows with the script: display %q", got)
	}
	b.eval(`(() => { const s = document.querySelector("#pool"); s.value = "heating"; s.dispatchEvent(new Event("change")); return "" })()`)
	b.step("forms-propose-heating", chromedp.WaitVisible(css(`body[data-pool-fields="heating"]`)), chromedp.WaitVisible(css(`#field`)))
	if got := b.eval(`[...document.querySelectorAll("#field option")].map(o => o.value).join(",")`); got != ",kwh" {
		t.Errorf("the heating pool's number fields: %q", got)
	}
	if got := b.eval(`location.pathname`); got != "/proposals/new" {
		t.Errorf("the page reloaded: %q", got)
	}

	b.step("", chromedp.Click(css(`[data-testid="logout"]`)), chromedp.WaitVisible(css(`[data-testid="nav-login"]`)))
	b.login(base, "op@coop.test")
	b.step("forms-pool", chromedp.Navigate(base+"/ops/pools"), chromedp.WaitVisible(css(`[data-testid="pool-form"]`)))
	if display(b, "pool-field-number-0") == "none" || display(b, "pool-field-category-0") != "none" || display(b, "pool-field-month-0") != "none" {
		t.Fatal("a number field shows another type's inputs")
	}
	b.eval(`(() => { const s = document.querySelector("#ftype-0"); s.value = "category"; s.dispatchEvent(new Event("change")); return "" })()`)
	if display(b, "pool-field-category-0") == "none" || display(b, "pool-field-number-0") != "none" {
		t.Fatal("a category field does not show its values' input")
	}
	if got := b.eval(`String(document.querySelector("#fmin-0").disabled)`); got != "true" {
		t.Errorf("a hidden input still posts: disabled %q", got)
	}

	b.step("", chromedp.Click(css(`[data-testid="logout"]`)), chromedp.WaitVisible(css(`[data-testid="nav-login"]`)))
	b.login(base, "ada@coop.test")
	b.step("forms-receipt", chromedp.Navigate(base+"/proposals/"+prop.ID), chromedp.Click(css(`[data-testid="choice-yes"]`)),
		chromedp.Click(css(`[data-testid="vote-submit"]`)), chromedp.WaitVisible(css(`[data-testid="receipt-copy"]`)))
	b.step("forms-receipt-copied", chromedp.Click(css(`[data-testid="receipt-copy"]`)), chromedp.WaitVisible(css(`body[data-copied="yes"]`)))
	if got := b.text(`[data-copy-status]`); got != fr.T("vote.receipt.copied") {
		t.Errorf("after the copy: %q", got)
	}
}
