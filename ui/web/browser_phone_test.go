package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"coop/ui/i18n"
	"coop/ui/uitest"
)

// phoneWidth is the viewport of a common phone, in CSS pixels.
const phoneWidth = 390

// touchedPrefixes are the catalogue keys of the parts this check holds:
// data entry, charts, accounts, error pages, the pool labels, who votes
// and why not, the receipt, the researchers' forms, the operators' pages
// and every refusal.
var touchedPrefixes = []string{"upload.", "reading.", "rowerr.", "chart.", "error.", "profile.", "password.", "forgot.",
	"reset.", "verify.", "settings.", "tokens.", "records.", "sandbox.", "notice.", "login.", "signup.", "me.",
	"vote.", "filed.", "epsilon.", "propose.", "health.", "ops.", "opspools.", "retention.", "err.", "nav.", "duration."}

// Every page, in French, in a 390 px viewport: nothing is wider than the
// screen (document.documentElement.scrollWidth <= 390), and the visible
// text holds no English sentence of the catalogue nor an English id the
// schema gives a French label to. Anonymous visitor, member, researcher
// and operator, as each may see the pages.
func TestBrowser_PhoneWidthInFrench(t *testing.T) {
	w := uitest.NewCoop(t)
	heating := createHeatingPool(t, w)
	base := serveOnLoopback(t, w.App)
	ctx := context.Background()
	ada := w.Member(t, "Ada Lovelace-Byron de la Montagne", "ada.lovelace-byron.de.la.montagne@example-cooperative.test")
	for _, pool := range []string{"energy", "heating"} {
		if _, err := w.Deps.Pools.SetConsent(ctx, ada.ID, pool, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Deps.Pools.Contribute(ctx, ada.ID, "heating", []map[string]any{
		{"kwh": 812.5, "system": "heat pump", "month": "2026-01"}, {"kwh": 640.0, "system": "gas", "month": "2026-02"}}, "seed"); err != nil {
		t.Fatal(err)
	}
	w.ConsentAndContribute(t, ada, "north")
	w.Member(t, "Béa", "bea@coop.test") // a second voter: the vote stays open after Ada's ballot
	prop := w.Propose(t, "Consommation d'hiver par région")
	if err := w.Deps.Proposals.Comment(ctx, w.Session(t, ada.Email), prop.ID, "Pourquoi seulement l'hiver ?"); err != nil {
		t.Fatal(err)
	}
	recs, err := w.Deps.Pools.Records(ctx, ada.ID, "heating")
	if err != nil || len(recs) == 0 {
		t.Fatal(recs, err)
	}

	fr, en := i18n.New().Messages("fr"), i18n.New().Messages("en")
	var english []string
	for k, v := range en {
		for _, p := range touchedPrefixes {
			if strings.HasPrefix(k, p) && v != fr[k] && len(v) >= 12 && !strings.Contains(v, "%") {
				english = append(english, v)
			}
		}
	}
	sort.Strings(english)
	// English ids the schema labels in French (but not those the unlabelled
	// energy pool shares: there the id is all there is).
	var ids []string
	for _, f := range heating.Fields {
		if f.Labels["fr"] != "" && f.Labels["fr"] != f.Name && f.Name != "kwh" && f.Name != "month" {
			ids = append(ids, f.Name)
		}
		for _, v := range f.Values {
			if l := f.ValueLabel("fr", v); l != v {
				ids = append(ids, v)
			}
		}
	}

	french := newFrenchCatalogue()
	b := startBrowserWithin(t, 4*time.Minute)
	b.step("", chromedp.EmulateViewport(phoneWidth, 844), chromedp.Navigate(base+"/lang/fr?next=/"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"] main`)))
	var failures []string
	var check func(who, path string)
	visit := func(who, path, ready string) {
		b.t.Helper()
		name := fmt.Sprintf("phone-%s-%s", who, strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-").Replace(strings.Trim(path, "/")))
		b.step(name, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		check(who, path)
	}
	// check holds the page the browser shows now.
	check = func(who, path string) {
		b.t.Helper()
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatalf("%s: scrollWidth: %v", path, err)
		}
		if wide > phoneWidth {
			culprits := b.eval(widerThan(phoneWidth))
			failures = append(failures, fmt.Sprintf("%s %s is %d px wide (%s)", who, path, wide, culprits))
		}
		// Ids in <code> are for scripts and CSV headers: not prose.
		visible := b.eval(`(() => { const codes = [...document.querySelectorAll("code")];
			codes.forEach(e => e.hidden = true); const t = document.body.innerText; codes.forEach(e => e.hidden = false); return t })()`)
		for _, s := range english {
			if strings.Contains(visible, s) {
				failures = append(failures, fmt.Sprintf("%s %s shows English: %q", who, path, s))
			}
		}
		for _, id := range ids {
			if containsWord(visible, id) {
				failures = append(failures, fmt.Sprintf("%s %s shows the id %q instead of its French label", who, path, id))
			}
		}
		// Every text but what people typed comes from the French catalogue
		// (the journeys' check, browser_journeys_test.go).
		var texts []pageText
		if err := json.Unmarshal([]byte(b.eval(visibleTexts)), &texts); err != nil {
			t.Fatalf("%s: the page's texts: %v", path, err)
		}
		for _, tx := range texts {
			if !french.covers(tx.Text) {
				failures = append(failures, fmt.Sprintf("%s %s shows %q (in %s), which is not in the French catalogue", who, path, tx.Text, tx.Where))
			}
		}
	}
	main := `main`
	for _, path := range []string{"/", "/rules", "/pools", "/pools/heating", "/proposals", "/proposals/" + prop.ID,
		"/results", "/signup", "/login", "/password/forgot", "/nope"} {
		visit("visitor", path, main)
	}
	b.login(base, ada.Email)
	for _, path := range []string{"/me", "/me/records", "/me/records/" + recs[0].ID + "/edit", "/me/account", "/me/charter",
		"/proposals/" + prop.ID, "/proposals/" + prop.ID + "/discussion", "/proposals/" + prop.ID + "/objection",
		"/proposals/" + prop.ID + "/ballots"} {
		visit("member", path, main)
	}
	// Ada votes: the receipt, its copy button and its download.
	b.step("phone-member-receipt", chromedp.Navigate(base+"/proposals/"+prop.ID), chromedp.Click(chromedp.CSS(`[data-testid="choice-yes"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="vote-submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="receipt-copy"]`)))
	check("member", "/proposals/"+prop.ID+"#receipt")
	b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	b.login(base, "rosalind@coop.test")
	for _, path := range []string{"/sandbox?pool=heating&aggregate=mean&field=kwh&group_by=system&group_by=month",
		"/sandbox?pool=heating&aggregate=histogram&field=kwh", "/sandbox", "/sandbox?pool=heating&step=pool", "/proposals/new",
		"/proposals/new?pool=heating", "/proposals/" + prop.ID + "/filed", "/me/proposals"} {
		visit("researcher", path, main)
	}
	visit("researcher", "/proposals/"+prop.ID, `[data-testid="vote-ineligible"]`) // the requester
	b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	b.login(base, "op@coop.test")
	for _, path := range []string{"/ops", "/ops/pools", "/ops?q=ada", "/ops/members/" + ada.ID, "/proposals/" + prop.ID + "/discussion",
		"/proposals/" + prop.ID + "/ballots"} {
		visit("operator", path, main)
	}
	visit("operator", "/proposals/"+prop.ID, `[data-testid="vote-ineligible"]`) // not a member
	if len(failures) > 0 {
		t.Fatalf("%d problems at %d px in French:\n%s", len(failures), phoneWidth, strings.Join(failures, "\n"))
	}
}

// containsWord tells whether text holds word with no letter around it.
func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		before, after := j == 0 || !isLetter(text[j-1]), j+len(word) == len(text) || !isLetter(text[j+len(word)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }
