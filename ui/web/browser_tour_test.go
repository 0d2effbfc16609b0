package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"coop/ui/uitest"
)

// Every kind of page, as the visitor who may see it, in each language,
// through axe-core (the full flow covers the rest): public pages, a
// proposal's discussion and objection, the account and charter pages,
// the correction of a record, the operators' pages, an error page.
func TestBrowser_AxeTour(t *testing.T) {
	w := uitest.NewCoop(t)
	base := serveOnLoopback(t, w.App)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	prop := w.Propose(t, "Winter energy use by region")
	ctx := context.Background()
	if err := w.Deps.Proposals.Comment(ctx, w.Session(t, "ada@coop.test"), prop.ID, "Why winter only?"); err != nil {
		t.Fatal(err)
	}
	if err := w.Deps.Proposals.Comment(ctx, w.Session(t, "rosalind@coop.test"), prop.ID, "Winter is when bills hurt."); err != nil {
		t.Fatal(err)
	}
	recs, err := w.Deps.Pools.Records(ctx, ada.ID, "energy")
	if err != nil || len(recs) == 0 {
		t.Fatalf("%v %v", recs, err)
	}
	b := startBrowser(t)
	visit := func(name, path, ready string) {
		b.step(name, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
	}
	for _, lang := range []string{"en", "fr"} {
		b.step("", chromedp.Navigate(base+"/lang/"+lang+"?next=/"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] main`)))
		b.axe()
		visit("tour-"+lang+"-rules", "/rules", `[data-testid="page-title"]`)
		visit("tour-"+lang+"-results-none", "/results", `[data-testid="published-empty"]`)
		visit("tour-"+lang+"-pools", "/pools", `[data-testid="page-title"]`)
		visit("tour-"+lang+"-pool", "/pools/energy", `[data-testid="page-title"]`)
		visit("tour-"+lang+"-proposals", "/proposals", `[data-testid="proposal-list"]`)
		visit("tour-"+lang+"-not-found", "/proposals/nope", `#page-error`)

		b.login(base, "ada@coop.test")
		visit("tour-"+lang+"-discussion", "/proposals/"+prop.ID+"/discussion", `[data-testid="comments"]`)
		visit("tour-"+lang+"-objection", "/proposals/"+prop.ID+"/objection", `[data-testid="objection-form"]`)
		visit("tour-"+lang+"-ballots-unpublished", "/proposals/"+prop.ID+"/ballots", `[data-testid="ballots-unpublished"]`)
		visit("tour-"+lang+"-rectify", "/me/records/"+recs[0].ID+"/edit", `[data-testid="rectify-form"]`)
		visit("tour-"+lang+"-account", "/me/account", `[data-testid="token-form"]`)
		b.step("tour-"+lang+"-token-created", chromedp.Click(chromedp.CSS(`[data-testid="tokens-section"] summary`)),
			chromedp.WaitVisible(chromedp.ID("token-name")), chromedp.SendKeys(chromedp.ID("token-name"), "script "+lang),
			chromedp.Click(chromedp.CSS(`[data-testid="token-submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-token"]`)))
		visit("tour-"+lang+"-charters", "/me/charter", `[data-testid="charter-member"]`)
		visit("tour-"+lang+"-my-proposals", "/me/proposals", `[data-testid="mine-empty"]`)
		b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))

		b.login(base, "op@coop.test")
		visit("tour-"+lang+"-ops", "/ops", `[data-testid="ops-members"]`)
		visit("tour-"+lang+"-ops-pools", "/ops/pools", `[data-testid="pool-form"]`)
		b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	}
}
