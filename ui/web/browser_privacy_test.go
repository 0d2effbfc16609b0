package web_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"coop/members"
	"coop/ui/uitest"
)

// The pages that show the privacy figures fit a 390 px phone: a preview
// with its errors and warnings, results with their intervals and consent
// set hash, the dashboard's ledger of consent sets with its tokens, and
// the rulebook's privacy section; axe-core checks each.
func TestBrowser_PrivacyPagesFitAPhone(t *testing.T) {
	w := uitest.NewCoop(t)
	base := serveOnLoopback(t, w.App)
	ctx := context.Background()
	var voters []members.Account
	for i := range 6 {
		a := w.Member(t, fmt.Sprintf("Member %d", i), fmt.Sprintf("m%d@coop.test", i))
		w.ConsentAndContribute(t, a, []string{"north", "south"}[i%2])
		voters = append(voters, a)
	}
	passed := w.Propose(t, "Winter energy by region, with a long title that has to wrap on a phone")
	for _, a := range voters {
		if _, err := w.Deps.Proposals.Vote(ctx, a, passed.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Deps.Proposals.RunQuery(ctx, w.Session(t, "rosalind@coop.test"), passed.ID, nil); err != nil {
		t.Fatal(err)
	}
	open := w.Propose(t, "Still open")

	b := startBrowser(t)
	if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	b.login(base, "m1@coop.test")
	for _, pg := range []struct{ name, path, wait string }{
		{"phone-preview", "/proposals/" + open.ID, `[data-testid="preview"]`},
		{"phone-results", "/proposals/" + passed.ID, `[data-testid="consent-hash"]`},
		{"phone-ledger", "/me", `[data-testid="consent-sets"]`},
		{"phone-rules", "/rules", `[data-testid="rules-privacy"]`},
	} {
		b.step(pg.name, chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.wait))) // axe-core runs on each new page
		if width, _ := strconv.Atoi(b.eval(`String(document.documentElement.scrollWidth)`)); width > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", pg.path, width)
		}
	}
}
