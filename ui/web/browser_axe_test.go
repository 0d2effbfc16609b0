package web_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// axe-core checks each page a browser test visits. It is vendored, pinned,
// by testdata/axe/vendor.sh and read from there: the coop binary never
// holds it and no page serves it. DevTools evaluates it, so the pages'
// Content-Security-Policy (no inline script) stays as it is.

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe/axe.min.js")
	return string(b), err
})

// axeFinding is one rule a page breaks, with the elements that break it.
type axeFinding struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun runs every axe rule on the page and keeps the violations of
// serious or critical impact.
const axeRun = `(async () => {
	const r = await axe.run(document, { resultTypes: ["violations"] });
	return JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical"));
})()`

// axe fails the test on any serious or critical accessibility violation
// of the page as it is now, and prints each with its elements.
func (b *browserTab) axe() {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core is not vendored (run ui/web/testdata/axe/vendor.sh): %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if loaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)); !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
			b.t.Fatalf("inject axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	var found []axeFinding
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		b.t.Fatalf("axe-core's answer: %v", err)
	}
	url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if len(found) == 0 {
		b.t.Logf("axe-core: no serious or critical violation on %s", url)
		return
	}
	var msg strings.Builder
	for _, f := range found {
		msg.WriteString("\n  [" + f.Impact + "] " + f.ID + ": " + f.Help + " (" + f.URL + ")")
		for _, n := range f.Nodes {
			target, _ := json.Marshal(n.Target)
			msg.WriteString("\n      " + string(target) + " " + n.HTML)
			if n.Summary != "" {
				msg.WriteString("\n        " + strings.ReplaceAll(n.Summary, "\n", "\n        "))
			}
		}
	}
	b.screenshot("axe-failed")
	b.t.Fatalf("axe-core: %d serious or critical violations on %s:%s", len(found), url, msg.String())
}

// axeNewPage runs axe when the tab holds a page it has not checked yet:
// every step checks the page it lands on.
func (b *browserTab) axeNewPage() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	origin, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.readyState === "loading" ? 0 : performance.timeOrigin`))
	if err != nil || origin == 0 || origin == b.axed {
		return
	}
	b.axed = origin
	b.axe()
}
