package web_test

// The three journeys of issue #16, walked in French through real pages at
// a phone's width and a laptop's: a member's first hour, a researcher's
// first study, an operator's day. On every page a journey lands on,
// axe-core finds no serious or critical violation (browserTab.step), the
// page is no wider than the viewport, and every visible piece of text is
// a French catalogue message (its placeholders matching anything), or
// inside an element marked data-user (what people typed: names, titles,
// comments, pool data), or only numbers, dates and signs. Screenshots:
// screenshots/<test>/<nn-step>-<width>.png (README.md).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"

	"coop/members"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// journeyViewports are the sizes each journey is walked at: a common
// phone, then a laptop.
var journeyViewports = []struct{ width, height int64 }{{phoneWidth, 844}, {1280, 800}}

// journeyBudget bounds one journey test (both sizes, one browser).
const journeyBudget = 3 * time.Minute

// journey is one walk at one viewport width, in French.
type journey struct {
	t      *testing.T
	b      *browserTab
	base   string
	width  int
	n      int
	french *frenchCatalogue
}

// walkJourney starts one browser and walks walk at each viewport size,
// French chosen through the language switch.
func walkJourney(t *testing.T, base string, walk func(j *journey, round int)) {
	t.Helper()
	b := startBrowserWithin(t, journeyBudget)
	french := newFrenchCatalogue()
	for round, vp := range journeyViewports {
		j := &journey{t: t, b: b, base: base, width: int(vp.width), french: french}
		b.step("", chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(base+"/lang/fr?next=/"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"] main`)))
		walk(j, round)
	}
}

// visit runs a step that lands on a page, writes its screenshot as
// <nn-name>-<width>.png, then holds the page to the journey's checks.
func (j *journey) visit(name string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	j.n++
	j.b.step(fmt.Sprintf("%02d-%s-%d", j.n, name, j.width), actions...)
	j.check(name)
}

// goTo navigates to path and waits for ready.
func (j *journey) goTo(name, path, ready string) {
	j.t.Helper()
	j.visit(name, chromedp.Navigate(j.base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
}

// click clicks sel, which leads to another page, and waits for ready on
// that page (the page clicked on is marked, so that a ready it holds too
// does not answer before the next page is there).
func (j *journey) click(name, sel, ready string) {
	j.t.Helper()
	j.b.eval(`document.body.dataset.journey = "left"; ""`)
	j.visit(name, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(`body:not([data-journey]) `+ready)))
}

// logout signs out through the menu when someone is signed in.
func (j *journey) logout() {
	j.t.Helper()
	if j.b.evalInt(`document.querySelectorAll('[data-testid="logout"]').length`) > 0 {
		j.b.step("", chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-login"]`)))
	}
}

// check holds the page the tab shows: French, no wider than the
// viewport, and no text outside the French catalogue but what people
// typed.
func (j *journey) check(name string) {
	j.t.Helper()
	path := j.b.eval(`location.pathname + location.search`)
	if lang := j.b.eval(`document.documentElement.lang`); lang != "fr" {
		j.t.Errorf("%d px, %s (%s): the page is in %q, not French", j.width, name, path, lang)
	}
	if wide := j.b.evalInt(`document.documentElement.scrollWidth`); wide > j.width {
		culprits := j.b.eval(widerThan(j.width))
		j.b.screenshot(fmt.Sprintf("too-wide-%s-%d", name, j.width))
		j.t.Errorf("%d px, %s (%s): the page is %d px wide (%s)", j.width, name, path, wide, culprits)
	}
	// A chart scales to the page, but what its own box cuts off is lost.
	if clipped := j.b.eval(clippedChartTexts); clipped != "" {
		j.t.Errorf("%d px, %s (%s): a chart cuts off its text: %s", j.width, name, path, clipped)
	}
	var texts []pageText
	if err := json.Unmarshal([]byte(j.b.eval(visibleTexts)), &texts); err != nil {
		j.t.Fatalf("%s: the page's texts: %v", path, err)
	}
	var stray []string
	for _, tx := range texts {
		if !j.french.covers(tx.Text) {
			stray = append(stray, fmt.Sprintf("%q (in %s)", tx.Text, tx.Where))
		}
	}
	if len(stray) > 0 {
		j.t.Errorf("%d px, %s (%s): %d texts are not in the French catalogue:\n  %s", j.width, name, path, len(stray), strings.Join(stray, "\n  "))
	}
}

// widerThan names the last three elements that end beyond width.
func widerThan(width int) string {
	return `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > ` + fmt.Sprint(width) +
		` + 0.5).slice(-3).map(e => e.tagName + "." + e.className + "#" + (e.dataset.testid || "")).join(", ")`
}

// clippedChartTexts lists the texts of the page's SVG charts that reach
// beyond their drawing's box (its viewBox): the part outside is not drawn.
const clippedChartTexts = `[...document.querySelectorAll("svg[viewBox] text")].filter(t => {
	const vb = t.ownerSVGElement.viewBox.baseVal, b = t.getBBox();
	return b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5;
}).map(t => JSON.stringify(t.textContent) + " (" + Math.round(t.getBBox().x) + "+" + Math.round(t.getBBox().width) + " > " + t.ownerSVGElement.viewBox.baseVal.width + ")").join(", ")`

// pageText is one visible text node and where it sits.
type pageText struct {
	Text  string `json:"text"`
	Where string `json:"where"`
}

// visibleTexts lists the page's visible text nodes, whitespace collapsed,
// leaving out what people typed (inside [data-user]) and ids and tokens
// (inside <code>, for scripts and CSV headers).
const visibleTexts = `JSON.stringify((() => {
	const out = [], seen = new Set();
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const text = n.nodeValue.replace(/\s+/g, " ").trim();
		const el = n.parentElement;
		if (!text || !el || el.closest("script, style, noscript, template, code, [data-user]")) continue;
		if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
		if (seen.has(text)) continue;
		seen.add(text);
		const at = el.closest("[data-testid]");
		out.push({ text, where: el.tagName.toLowerCase() + (at ? "@" + at.dataset.testid : "") });
	}
	return out;
})())`

// frenchCatalogue tells whether a text is made of French catalogue
// messages.
type frenchCatalogue struct {
	exact    map[string]bool
	patterns []*regexp.Regexp // messages with placeholders, anchored
	// inline are the same messages unanchored, their placeholders holding
	// no letter (a number, a date): messages side by side in one text.
	inline []*regexp.Regexp
	pieces []string // messages without placeholders, longest first
}

// placeholder is a printf verb or a {name} of a catalogue message.
var placeholder = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]|\{[a-z_]+\}`)

func newFrenchCatalogue() *frenchCatalogue {
	c := &frenchCatalogue{exact: map[string]bool{}}
	for _, msg := range i18n.New().Messages("fr") {
		msg = normaliseText(msg)
		if !placeholder.MatchString(msg) {
			msg = strings.ReplaceAll(msg, "%%", "%")
			c.exact[msg] = true
			if hasLetters(msg) {
				c.pieces = append(c.pieces, msg)
			}
			continue
		}
		// A message that is only placeholders and signs ("%s · %s") says
		// nothing: it would match any text.
		if !hasLetters(placeholder.ReplaceAllString(msg, "")) {
			continue
		}
		c.patterns = append(c.patterns, regexp.MustCompile(`^`+messagePattern(msg, `.+?`)+`$`))
		c.inline = append(c.inline, regexp.MustCompile(messagePattern(msg, `[^\pL]+?`)))
	}
	slices.SortFunc(c.pieces, func(a, b string) int { return len(b) - len(a) })
	return c
}

// messagePattern is the regular expression of msg, each placeholder
// matching hole.
func messagePattern(msg, hole string) string {
	var re strings.Builder
	last := 0
	for _, loc := range placeholder.FindAllStringIndex(msg, -1) {
		re.WriteString(regexp.QuoteMeta(strings.ReplaceAll(msg[last:loc[0]], "%%", "%")))
		re.WriteString(hole)
		last = loc[1]
	}
	re.WriteString(regexp.QuoteMeta(strings.ReplaceAll(msg[last:], "%%", "%")))
	return re.String()
}

// normaliseText collapses white space (no-break spaces too) as the page's
// text is.
func normaliseText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' }), " ")
}

func hasLetters(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// neutral are the parts of a text no language owns: dates and times as
// the pages write them, months, numbers, signs.
var neutral = regexp.MustCompile(`\d{2}/\d{2}/\d{4} \d{2}:\d{2}( [A-Z]{2,5}|[+-]\d{2})?|\d{4}-\d{2}(-\d{2})?|[\p{N}\p{P}\p{S}]+`)

// covers tells whether text is a catalogue message (with anything in
// its placeholders), or messages and neutral parts side by side.
func (c *frenchCatalogue) covers(text string) bool {
	text = normaliseText(text)
	if !hasLetters(text) {
		return true
	}
	// The text, and the text without the signs the page puts around a
	// message ("— ", " :", "« »").
	sign := func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) }
	variants := []string{text, strings.TrimLeftFunc(text, sign), strings.TrimRightFunc(text, sign), strings.TrimFunc(text, sign)}
	for _, v := range variants {
		if c.exact[v] {
			return true
		}
		for _, re := range c.patterns {
			if re.MatchString(v) {
				return true
			}
		}
	}
	rest := text
	for _, re := range c.inline {
		rest = re.ReplaceAllString(rest, " ")
	}
	for _, p := range c.pieces {
		rest = strings.ReplaceAll(rest, p, " ")
	}
	rest = neutral.ReplaceAllString(rest, " ")
	return !hasLetters(rest)
}

// TestFrenchCatalogueCovers holds the catalogue check itself: French
// messages pass, with their placeholders filled or beside numbers; English
// sentences and stray words do not.
func TestFrenchCatalogueCovers(t *testing.T) {
	c := newFrenchCatalogue()
	fr := i18n.New().For("fr")
	en := i18n.New().For("en")
	for _, ok := range []string{fr.T("home.title"), fr.F("home.link.pools", 3), fr.T("nav.login") + " · " + fr.T("nav.signup"),
		"12,5 %", "03/12/2026 14:57 CET", "2026-01", "« " + fr.T("home.open") + " »", "— " + fr.F("records.delete.which", 2, "Chauffage"),
		fr.F("results.facts", fr.Num(0.5)) + " " + fr.F("results.consent_set", 62)} {
		if !c.covers(ok) {
			t.Errorf("%q is French from the catalogue, but the check refuses it", ok)
		}
	}
	for _, bad := range []string{en.T("home.title"), en.T("nav.login"), "Cannot GET /nope", "unknown column", fr.T("nav.login") + " now",
		fr.F("results.facts", "all of it") + " " + fr.F("results.consent_set", 62)} {
		if c.covers(bad) {
			t.Errorf("%q is not in the French catalogue, but the check accepts it", bad)
		}
	}
}

// A member's first hour, at each size: sign up (the rulebook wants an
// operator's admission: the dashboard says so), admitted, the dashboard,
// consent to the heating pool, a reading by the form and a French
// spreadsheet's export by upload, a vote opened before they joined (why
// they cannot vote, what they can do), a vote opened after (the form,
// the receipt, a comment in its discussion), the published results with
// their figure, the settings.
func TestBrowser_JourneyMember(t *testing.T) {
	w := admissionCoop(t, nil)
	createHeatingPool(t, w)
	ctx := context.Background()
	op := w.Session(t, "op@coop.test")
	publishResults(t, w, op, "Consommation d'hiver par région")
	base := serveOnLoopback(t, w.App)
	export := filepath.Join(t.TempDir(), "releves.csv")
	if err := os.WriteFile(export, []byte("Mois;Consommation;Système\r\n2026-02;9,75;gaz\r\n2026-03;1200,5;Pompe à chaleur\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	people := []struct{ name, email string }{{"Ada Lovelace", "ada@coop.test"}, {"Béatrice Durand", "bea@coop.test"}}

	walkJourney(t, base, func(j *journey, round int) {
		who := people[round]
		before := w.Propose(t, fmt.Sprintf("Chauffage et isolation, étude %d", round+1))
		j.goTo("signup", "/signup", `[data-testid="signup-form"]`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("name"), who.name), chromedp.SendKeys(chromedp.ID("email"), who.email),
			chromedp.SendKeys(chromedp.ID("password"), uitest.Password), chromedp.Click(chromedp.ID("accept_charter")))
		j.click("signed-up", `[data-testid="signup-submit"]`, `[data-testid="applicant-notice"]`)

		account := w.Session(t, who.email)
		if err := w.Members.Admit(ctx, op, account.ID); err != nil {
			t.Fatal(err)
		}
		after := w.Propose(t, fmt.Sprintf("Relevés d'hiver, vague %d", round+1))
		j.goTo("dashboard", "/me", `[data-testid="me-open-`+after.ID+`"]`)
		if j.b.evalInt(`document.querySelectorAll('[data-testid="me-open-`+before.ID+`"] [data-testid="me-vote-why"]').length`) != 1 {
			t.Errorf("%d px: the dashboard does not say why %s cannot vote on a proposal opened before they joined", j.width, who.name)
		}
		j.click("consent", `[data-testid="pool-heating"] [data-testid="consent-grant"]`, `[data-testid="pool-heating"] [data-testid="consent-withdraw"]`)
		j.click("records", `[data-testid="records-link"]`, `[data-testid="reading-heating"]`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("reading-heating-kwh"), "812.5"),
			chromedp.SetValue(chromedp.ID("reading-heating-system"), "heat pump"),
			chromedp.SetValue(chromedp.ID("reading-heating-month"), "2026-01"))
		j.click("reading-added", `[data-testid="reading-heating"] [data-testid="reading-submit"]`, `[data-testid="notice"]`)
		j.visit("csv-uploaded", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="upload-heating"] input[type=file]`), []string{export}),
			chromedp.Click(chromedp.CSS(`[data-testid="upload-heating"] [data-testid="upload-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="records-heating"] [data-testid="record"]:nth-child(3)`)))
		if n := j.b.evalInt(`document.querySelectorAll('[data-testid="records-heating"] [data-testid="record"]').length`); n != 3 {
			t.Errorf("%d px: %d readings listed after the form and the upload, want 3", j.width, n)
		}

		j.goTo("vote-not-eligible", "/proposals/"+before.ID, `[data-testid="vote-ineligible"]`)
		if j.b.evalInt(`document.querySelectorAll('[data-testid="vote-form"]').length`) != 0 ||
			j.b.evalInt(`document.querySelectorAll('[data-testid="vote-why"], [data-testid="vote-can"]').length`) != 2 {
			t.Errorf("%d px: on a proposal opened before %s joined, a form to vote, or no word of why not and of what they can do", j.width, who.name)
		}
		j.goTo("vote-open", "/proposals/"+after.ID, `[data-testid="vote-form"]`)
		j.b.step("", chromedp.Click(chromedp.ID("choice-yes")))
		j.click("vote-receipt", `[data-testid="vote-submit"]`, `[data-testid="receipt-code"]`)
		j.goTo("discussion", "/proposals/"+after.ID+"/discussion", `[data-testid="comment-form"]`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("comment-body"), "Pourquoi seulement l'hiver ? Les étés chauds comptent aussi."))
		j.click("commented", `[data-testid="comment-submit"]`, `[data-testid="comment"]`)
		j.goTo("results", "/results", `[data-testid="published-item"] svg`)
		j.goTo("settings", "/me/account", `[data-testid="profile-form"]`)
		j.logout()
	})
}

// publishResults has six members contribute to the energy pool and pass
// a knowledge proposal whose query the researcher runs: /results then
// shows a figure.
func publishResults(t *testing.T, w *uitest.Coop, op members.Account, title string) proposals.Proposal {
	t.Helper()
	ctx := context.Background()
	var voters []members.Account
	for i := range 6 {
		a := w.Member(t, fmt.Sprintf("Voisin %d", i), fmt.Sprintf("voisin%d@coop.test", i))
		if err := w.Members.Admit(ctx, op, a.ID); err != nil {
			t.Fatal(err)
		}
		w.ConsentAndContribute(t, a, []string{"north", "south"}[i%2])
		voters = append(voters, a)
	}
	prop := w.Propose(t, title)
	for _, a := range voters {
		if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, a.Email), prop.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	uitest.WaitFor(t, 10*time.Second, func() bool {
		p, err := w.Deps.Proposals.Get(ctx, prop.ID)
		return err == nil && p.Status != proposals.StatusOpen
	})
	if _, err := w.Deps.Proposals.RunQuery(ctx, w.Session(t, "rosalind@coop.test"), prop.ID, nil); err != nil {
		t.Fatal(err)
	}
	return prop
}

// csvAs fetches path with email's session, as the browser's download
// would.
func csvAs(t *testing.T, w *uitest.Coop, email, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: w.Login(t, email)})
	return uitest.Call(t, w.App, req)
}

// A researcher's first study, at each size: sign in, read the heating
// pool's documentation, file a proposal (the pool first, then only its
// fields; the help on epsilon), the confirmation, the proposal as the
// requester sees it, the sandbox's synthetic answer; once the members
// passed it, run the query: the results with their figure, and as CSV.
func TestBrowser_JourneyResearcher(t *testing.T) {
	w := uitest.NewCoop(t)
	createHeatingPool(t, w)
	ctx := context.Background()
	var voters []members.Account
	for i := range 6 {
		a := w.Member(t, fmt.Sprintf("Foyer %d", i), fmt.Sprintf("foyer%d@coop.test", i))
		if _, err := w.Deps.Pools.SetConsent(ctx, a.ID, "heating", true); err != nil {
			t.Fatal(err)
		}
		rows := []map[string]any{{"kwh": float64(700 + 10*i), "system": "gas", "month": "2026-01"}, {"kwh": float64(400 + 10*i), "system": "heat pump", "month": "2026-01"}}
		if _, err := w.Deps.Pools.Contribute(ctx, a.ID, "heating", rows, ""); err != nil {
			t.Fatal(err)
		}
		voters = append(voters, w.Session(t, a.Email))
	}
	base := serveOnLoopback(t, w.App)

	walkJourney(t, base, func(j *journey, round int) {
		j.goTo("login", "/login", `[data-testid="login-form"]`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("email"), "rosalind@coop.test"), chromedp.SendKeys(chromedp.ID("password"), uitest.Password))
		j.click("dashboard", `[data-testid="login-submit"]`, `[data-testid="me-account"]`)
		j.goTo("pool-docs", "/pools/heating", `[data-testid="page-title"]`)
		j.goTo("propose", "/proposals/new", `[data-testid="pool-first"]`)
		j.b.eval(`(() => { const s = document.querySelector("#pool"); s.value = "heating"; s.dispatchEvent(new Event("change")); return "" })()`)
		j.visit("propose-fields", chromedp.WaitVisible(chromedp.CSS(`body[data-pool-fields="heating"]`)), chromedp.WaitVisible(chromedp.ID("field")))
		if j.b.evalInt(`document.querySelectorAll('[data-testid="epsilon-help"]').length`) != 1 {
			t.Errorf("%d px: no help on epsilon on the proposal form", j.width)
		}
		title := fmt.Sprintf("Pompe à chaleur ou gaz : la consommation d'hiver (%d)", round+1)
		j.b.step("", chromedp.SendKeys(chromedp.ID("title"), title),
			chromedp.SendKeys(chromedp.ID("purpose"), "Savoir si les foyers chauffés au gaz consomment plus que les autres."),
			chromedp.SetValue(chromedp.ID("aggregate"), "mean"), chromedp.SetValue(chromedp.ID("field"), "kwh"),
			chromedp.SetValue(chromedp.ID("group_by_1"), "system"))
		j.click("filed", `[data-testid="propose-submit"]`, `[data-testid="filed-notice"]`)
		j.click("proposal", `[data-testid="filed-proposal"]`, `[data-testid="vote-ineligible"]`)
		id := strings.TrimPrefix(j.b.eval(`location.pathname`), "/proposals/")
		j.click("sandbox", `[data-testid="nav-sandbox"]`, `[data-testid="sandbox-form"]`)
		j.goTo("sandbox-answer", "/sandbox?pool=heating&aggregate=mean&field=kwh&group_by=system", `[data-testid="sandbox-chart"] svg`)

		for _, v := range voters {
			if _, err := w.Deps.Proposals.Vote(ctx, v, id, "yes"); err != nil {
				t.Fatal(err)
			}
		}
		uitest.WaitFor(t, 10*time.Second, func() bool {
			p, err := w.Deps.Proposals.Get(ctx, id)
			return err == nil && p.Status == proposals.StatusPassed
		})
		j.goTo("passed", "/proposals/"+id, `[data-testid="run-form"]`)
		j.click("results", `[data-testid="run-submit"]`, `[data-testid="results"] svg`)
		href := j.b.eval(`document.querySelector('[data-testid="results-csv"]').getAttribute("href")`)
		if resp, body := csvAs(t, w, "rosalind@coop.test", href); resp.StatusCode != 200 || !strings.Contains(body, ",gas,") || !strings.Contains(body, ",heat pump,") {
			t.Errorf("%d px: results CSV %s: %d\n%s", j.width, href, resp.StatusCode, body)
		}
		j.logout()
	})
}

// An operator's day, at each size: sign in, the operations page (the
// health summary, the applicants' queue, the members fifty a page), the
// second page of members, a search, admitting an applicant, a new pool
// made field by field type (a number, a category with French labels, a
// month), the pool's page, an account's page.
func TestBrowser_JourneyOperator(t *testing.T) {
	w := admissionCoop(t, nil)
	ctx := context.Background()
	op := w.Session(t, "op@coop.test")
	for i := range members.AccountsPageSize {
		a := w.Member(t, fmt.Sprintf("Membre %02d", i), fmt.Sprintf("membre%02d@coop.test", i))
		if err := w.Members.Admit(ctx, op, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	applicants := []members.Account{w.Member(t, "Zoé Martin", "zoe@coop.test"), w.Member(t, "Yves Bernard", "yves@coop.test")}
	base := serveOnLoopback(t, w.App)

	walkJourney(t, base, func(j *journey, round int) {
		applicant := applicants[round]
		j.b.login(base, "op@coop.test") // the login page and the dashboard: the researcher's journey
		j.click("ops", `[data-testid="nav-ops"]`, `[data-testid="ops-members"]`)
		for _, part := range []string{"ops-health", "health-disk", "health-backup", "health-lag", "ops-applicants", "applicant-" + applicant.ID, "members-next"} {
			if j.b.evalInt(`document.querySelectorAll('[data-testid="`+part+`"]').length`) != 1 {
				t.Errorf("%d px: /ops shows no %s", j.width, part)
			}
		}
		j.click("members-page-2", `[data-testid="members-next"]`, `[data-testid="members-prev"]`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("members-q"), applicant.Name))
		j.click("members-search", `[data-testid="members-search-submit"]`, `[data-testid="member-`+applicant.ID+`"]`)
		j.click("admitted", `[data-testid="applicant-`+applicant.ID+`"] [data-testid="admit"]`, `[data-testid="notice"]`)
		if n := j.b.evalInt(`document.querySelectorAll('[data-testid="applicant-` + applicant.ID + `"]').length`); n != 0 {
			t.Errorf("%d px: %s is still in the applicants' queue once admitted", j.width, applicant.Name)
		}

		j.click("pool-form", `[data-testid="ops-pools-link"]`, `[data-testid="pool-form"]`)
		id := fmt.Sprintf("releves-%d", round+1)
		j.b.eval(`(() => { const s = document.querySelector("#ftype-1"); s.value = "category"; s.dispatchEvent(new Event("change"));
			const m = document.querySelector("#ftype-2"); m.value = "month"; m.dispatchEvent(new Event("change")); return "" })()`)
		j.b.step("", chromedp.SendKeys(chromedp.ID("pool-id"), id), chromedp.SendKeys(chromedp.ID("pool-title"), "Relevés d'eau"),
			chromedp.SendKeys(chromedp.ID("fname-0"), "litres"), chromedp.SendKeys(chromedp.ID("flabel-fr-0"), "Volume"),
			chromedp.SendKeys(chromedp.ID("flabel-en-0"), "Volume"), chromedp.SendKeys(chromedp.ID("fmin-0"), "0"),
			chromedp.SendKeys(chromedp.ID("fmax-0"), "50000"), chromedp.SendKeys(chromedp.ID("funit-0"), "L"),
			chromedp.SendKeys(chromedp.ID("fname-1"), "source"), chromedp.SendKeys(chromedp.ID("flabel-fr-1"), "Source"),
			chromedp.SendKeys(chromedp.ID("flabel-en-1"), "Source"),
			chromedp.SendKeys(chromedp.ID("fvalues-1"), "city | Réseau de la ville | City network\nwell | Puits | Well"),
			chromedp.SendKeys(chromedp.ID("fname-2"), "month"),
			chromedp.SendKeys(chromedp.ID("doc-provenance"), "Compteurs d'eau"), chromedp.SendKeys(chromedp.ID("doc-collection_method"), "Formulaire mensuel"),
			chromedp.SendKeys(chromedp.ID("doc-update_frequency"), "Chaque mois"), chromedp.SendKeys(chromedp.ID("doc-format"), "CSV"),
			chromedp.SendKeys(chromedp.ID("doc-pseudonymisation"), "Une clé par membre"))
		if j.b.eval(`getComputedStyle(document.querySelector('[data-testid="pool-field-number-1"]')).display`) != "none" {
			t.Errorf("%d px: a category field shows a number's inputs", j.width)
		}
		j.click("pool-created", `[data-testid="pool-submit"]`, `[data-testid="notice"]`)
		pool, err := w.Deps.Pools.Pool(ctx, id)
		if err != nil || len(pool.Fields) != 3 || pool.Fields[1].ValueLabel("fr", "well") != "Puits" || pool.Fields[2].Type != "month" {
			t.Errorf("%d px: the pool made through the form: %+v %v", j.width, pool, err)
		}
		j.goTo("member", "/ops/members/"+applicant.ID, `[data-testid="grant-researcher"]`)
		j.logout()
	})
}
