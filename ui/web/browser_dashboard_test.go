package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"coop/proposals"
	"coop/ui/uitest"
)

// A member's dashboard follows the votes live: a vote closes while the
// page is open, and the page shows it among the closed ones, with its
// outcome, without a reload (SSE from NATS events, live.js).
func TestBrowser_DashboardLive(t *testing.T) {
	w := uitest.NewCoop(t)
	live := w.WithLive(t)
	base := serveOnLoopback(t, w.App)
	w.Member(t, "Marie", "marie@coop.test")
	w.Member(t, "Pierre", "pierre@coop.test")
	prop := w.Propose(t, "Winter energy use by region")
	b := startBrowser(t)

	b.login(base, "marie@coop.test")
	b.step("dashboard-live-01-open",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="me-open"] a[href="/proposals/`+prop.ID+`"]`)))
	b.axe()
	b.eval(`document.body.dataset.marker = "same-page"; ""`)
	uitest.WaitFor(t, 10*time.Second, func() bool { return live.Open.Load() >= 1 })

	ctx := context.Background()
	for _, email := range []string{"marie@coop.test", "pierre@coop.test"} {
		if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, email), prop.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	b.step("dashboard-live-02-closed",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="me-closed"] a[href="/proposals/`+prop.ID+`"]`)))
	if got := b.eval(`document.body.dataset.marker || ""`); got != "same-page" {
		t.Fatal("the dashboard reloaded instead of updating in place")
	}
	got, err := w.Deps.Proposals.Get(ctx, prop.ID)
	if err != nil || got.Status != proposals.StatusPassed {
		t.Fatalf("the proposal: %+v %v", got.Status, err)
	}
	if status := b.text(`[data-testid="me-closed"] [data-testid="status"]`); status != "Passed" {
		t.Fatalf("closed vote shown as %q", status)
	}
	if b.eval(`document.querySelector('[data-testid="me-open"] a[href="/proposals/`+prop.ID+`"]') ? "still" : ""`) != "" {
		t.Fatal("the closed vote is still listed as open")
	}
	b.axe()
}

// login logs the browser in through the login form and waits for the
// dashboard.
func (b *browserTab) login(base, email string) {
	b.t.Helper()
	b.step("", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	b.loginHere(email)
}
