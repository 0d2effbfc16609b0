package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_LiveParticipation opens an open proposal's page in headless
// Chromium against a real node (embedded NATS), then votes through the API:
// the page's participation updates without a reload (SSE + live.js).
func TestBrowser_LiveParticipation(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium): %v", chromium, err)
	}
	n, cfg, id := startDemo(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	budget, cancelBudget := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancelBudget()
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()

	sel := chromedp.CSS(`[data-live=participation]`)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(n.URL()+"/proposals/"+id)); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitVisible(sel)); err != nil {
		t.Fatalf("participation on the page: %v", err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatal(err)
	}
	password, _ := readDemoPassword(t, cfg.Data)
	// Give the page a moment to open its stream, then vote until the page
	// shows the new count (the first ballot may land before the stream).
	deadline := time.Now().Add(20 * time.Second)
	for i := 1; ; i++ {
		tok := loginAs(t, n.URL(), "member"+itoa(i)+"@"+demoEmailDomain, password)
		if status, body := apiCall(t, "POST", n.URL()+"/api/v1/proposals/"+id+"/ballots", tok, "application/json", `{"choice":"yes"}`); status != 201 {
			t.Fatalf("vote: %d %s", status, body)
		}
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := chromedp.Run(wait, chromedp.Poll[bool](`document.querySelector("[data-live=participation]").getAttribute("data-count") == "`+itoa(i)+`"`))
		cancel()
		now, _ := chromedp.Run(ctx, chromedp.Text(sel))
		if err == nil {
			if now == before || !strings.Contains(now, itoa(i)) {
				t.Fatalf("participation shows %q (was %q)", now, before)
			}
			return
		}
		if time.Now().After(deadline) || i >= 10 {
			t.Fatalf("the page never updated: still %q after %d ballots", now, i)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
