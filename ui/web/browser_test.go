package web_test

// Browser tests: Debian's chromium, headless, drives the pages of a real
// coop served on a 127.0.0.1 listener. They need /usr/bin/chromium (CI
// installs it with .ci/install-deps) and FAIL without it.
//
// Screenshots: every step writes a PNG into screenshots/<test name>/ at
// the repository's root, or under the folder the environment variable
// COOP_SCREENSHOTS names. axe-core checks every page a step lands on
// (browser_axe_test.go).

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"
)

const (
	chromiumPath = "/usr/bin/chromium"
	// browserBudget bounds a whole browser test; stepTimeout one step;
	// shotTimeout one screenshot (a long page on a phone is a tall image:
	// on a loaded machine it takes longer than a step).
	browserBudget = 50 * time.Second
	stepTimeout   = 20 * time.Second
	shotTimeout   = 45 * time.Second
)

// serveOnLoopback serves app on a real 127.0.0.1 listener until the test
// ends and returns its base URL.
func serveOnLoopback(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

// browserTab is one headless chromium tab and the folder its screenshots
// go to.
type browserTab struct {
	t     *testing.T
	ctx   context.Context
	shots string
	axed  float64 // performance.timeOrigin of the last page axe-core checked
}

// startBrowser starts chromium for the test; the browser ends with the
// test or after browserBudget, whichever comes first.
func startBrowser(t *testing.T) *browserTab {
	t.Helper()
	return startBrowserWithin(t, browserBudget)
}

// startBrowserWithin starts chromium for at most budget.
func startBrowserWithin(t *testing.T, budget time.Duration) *browserTab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s (apt-get install chromium; CI runs .ci/install-deps): %v", chromiumPath, err)
	}
	shots := screenshotDir(t)
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in, first-out)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 900),
	)
	bounded, cancelBudget := context.WithTimeout(context.Background(), budget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(bounded, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelBudget()
	})
	// The first Do starts the browser, bound to ctx (not to a step's timeout).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return &browserTab{t: t, ctx: ctx, shots: shots}
}

// screenshotDir is the test's folder (its name, "/" made "-") under
// $COOP_SCREENSHOTS, by default under screenshots/ at the repository's
// root (ignored by git; README.md names it). Each run replaces the
// test's folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("COOP_SCREENSHOTS")
	if root == "" {
		root = filepath.Join("..", "..", "screenshots")
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// step runs actions within stepTimeout, then writes a screenshot called
// name (none when name is ""). A failing step leaves a screenshot of the
// page as it was, named after the step.
func (b *browserTab) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + failedName(name))
		if errors.Is(err, context.DeadlineExceeded) {
			b.t.Fatalf("step %s: still waiting after %v: %v", name, stepTimeout, err)
		}
		b.t.Fatalf("step %s: %v", name, err)
	}
	b.axeNewPage()
	if name != "" {
		b.screenshot(name)
	}
}

func failedName(name string) string {
	if name == "" {
		return "step"
	}
	return name
}

// screenshot writes the whole page as shots/name.png.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, shotTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

// text is the visible text of the first element sel matches.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval runs a JavaScript expression from the test (DevTools, not the page:
// the CSP still forbids the page any inline script) and returns a string.
func (b *browserTab) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}
