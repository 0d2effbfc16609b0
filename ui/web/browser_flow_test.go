package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"coop/members"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/uitest"
)

// flowBudget bounds the whole flow in one language.
const flowBudget = 90 * time.Second

// The whole life of a proposal, through the pages only, in each language:
// a person signs up (reading and signing the charter), consents and
// uploads a CSV (a refused file lists its bad rows; the progress bar
// fills); the operator makes another member a researcher on the
// operations page; the researcher shapes a query in the sandbox and opens
// a proposal from it; the three members of the electorate vote and the
// proposal passes at once; the researcher runs the query; the first
// member finds the use in their journal and their ballot in the published
// list. axe-core checks every page; every step leaves a screenshot.
func TestBrowser_FullFlow(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) { fullFlow(t, lang) })
	}
}

func fullFlow(t *testing.T, lang string) {
	tr := i18n.New().For(lang)
	env := uitest.OpenEnv(t)
	uitest.CreateEnergyPool(t, env)
	w := &uitest.Coop{Env: env}
	w.WithLive(t)
	base := serveOnLoopback(t, w.App)
	ctx := context.Background()
	signup := func(name, email string) members.Account {
		a, err := w.Members.SignUp(ctx, members.SignupInput{Name: name, Email: email, Password: uitest.Password, AcceptCharter: true, Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	rosa := signup("Rosa Franklin", "rosa@coop.test")
	signup("Ben Okri", "ben@coop.test")
	signup("Chloé Zhao", "chloe@coop.test")
	dir := t.TempDir()
	badCSV := filepath.Join(dir, "bad.csv")
	goodCSV := filepath.Join(dir, "energy.csv")
	os.WriteFile(badCSV, []byte("kwh,region,month\n40,north,2025-01\n500,east,2025-02\n"), 0o644)
	os.WriteFile(goodCSV, []byte("kwh,region,month\n40,north,2025-01\n60,north,2025-02\n"), 0o644)

	b := startBrowserWithin(t, flowBudget)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	logout := func() {
		b.step("", chromedp.Click(css(`[data-testid="logout"]`)), chromedp.WaitVisible(css(`[data-testid="nav-login"]`)))
	}

	// 1. Ada signs up: the charter is on the page, in her language.
	b.step("01-signup", chromedp.Navigate(base+"/signup"), chromedp.WaitVisible(css(`[data-testid="signup-form"]`)))
	if lang == "fr" {
		b.step("", chromedp.Click(css(`[data-testid="lang-fr"]`)), chromedp.WaitVisible(css(`html[lang="fr"] [data-testid="signup-form"]`)))
	}
	if got := b.text(`[data-testid="page-title"]`); got != tr.T("signup.title") {
		t.Fatalf("sign-up title %q, want %q", got, tr.T("signup.title"))
	}
	if got := b.eval("document.documentElement.lang"); got != lang {
		t.Fatalf("the sign-up page is in %q, want %s", got, lang)
	}
	if charter := b.text(`[data-testid="charter"] h3`); !strings.Contains(charter, map[string]string{"en": "Member charter", "fr": "Charte du membre"}[lang]) {
		t.Fatalf("the charter is not in %s: %q", lang, charter)
	}
	// The first Tab reaches the skip link: the page is usable from the keyboard.
	b.step("", chromedp.Reload(), chromedp.WaitVisible(css(`[data-testid="signup-form"]`)), chromedp.KeyEvent("\t"))
	if focused := b.eval("document.activeElement.dataset.testid || ''"); focused != "skip-link" {
		t.Fatalf("the first Tab focuses %q, want the skip link", focused)
	}
	b.step("02-charter-signed",
		chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@coop.test"),
		chromedp.SendKeys(chromedp.ID("password"), uitest.Password),
		chromedp.ScrollIntoView(css(`[data-testid="charter"]`)),
		chromedp.Click(chromedp.ID("accept_charter")))
	// She is logged in at once, on her dashboard.
	b.step("03-signed-up", chromedp.Click(css(`[data-testid="signup-submit"]`)), chromedp.WaitVisible(css(`[data-testid="me-account"]`)))
	if got := b.text(`[data-testid="notice"]`); got != tr.T("notice.signed_up") {
		t.Fatalf("after sign-up: %q", got)
	}

	// 2. She consents to the pool and uploads her records.
	b.step("04-dashboard")
	b.step("05-consent", chromedp.Click(css(`[data-testid="pool-energy"] [data-testid="consent-grant"]`)),
		chromedp.WaitVisible(css(`[data-testid="pool-energy"] [data-testid="consent-withdraw"]`)))
	b.step("06-records", chromedp.Click(css(`[data-testid="records-link"]`)), chromedp.WaitVisible(css(`[data-testid="upload-energy"]`)))
	b.eval(`document.body.dataset.marker = "records"; ""`)
	b.step("07-upload-refused",
		chromedp.SetUploadFiles(css(`[data-testid="upload-energy"] input[type=file]`), []string{badCSV}),
		chromedp.Click(css(`[data-testid="upload-energy"] [data-testid="upload-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="row-error"]`)))
	if rows := b.eval(`String(document.querySelectorAll('[data-testid="row-error"]').length)`); rows != "2" {
		t.Fatalf("%s bad rows listed, want 2 (kwh and region of row 2)", rows)
	}
	if b.eval(`document.body.dataset.uploadProgress || ""`) != "100" || b.eval(`document.body.dataset.marker || ""`) != "records" {
		t.Fatal("the upload did not go through the progress bar (upload.js)")
	}
	b.step("08-uploaded",
		chromedp.SetUploadFiles(css(`[data-testid="upload-energy"] input[type=file]`), []string{goodCSV}),
		chromedp.Click(css(`[data-testid="upload-energy"] [data-testid="upload-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="notice"]`)))
	if got, want := b.text(`[data-testid="notice"]`), tr.N("notice.records_added", 2); got != want {
		t.Fatalf("after the upload: %q, want %q", got, want)
	}
	if n := b.eval(`String(document.querySelectorAll('[data-testid="record"]').length)`); n != "2" {
		t.Fatalf("%s records listed after the upload", n)
	}
	logout()

	// 3. The operator makes Rosa a researcher.
	b.login(base, "op@coop.test")
	b.step("09-ops", chromedp.Click(css(`[data-testid="ops-link"]`)), chromedp.WaitVisible(css(`[data-testid="ops-members"]`)))
	row := `[data-testid="member-` + rosa.ID + `"]`
	b.step("10-member-page", chromedp.Click(css(row+` [data-testid="member-link"]`)), chromedp.WaitVisible(css(`[data-testid="grant-researcher"]`)))
	b.step("10-researcher-granted", chromedp.Click(css(`[data-testid="grant-researcher"]`)),
		chromedp.WaitVisible(css(`[data-testid="revoke-researcher"]`)))
	logout()

	// 4. Rosa shapes a query on the synthetic twin and proposes it.
	b.login(base, "rosa@coop.test")
	b.step("11-sandbox", chromedp.Click(css(`[data-testid="sandbox-link"]`)), chromedp.WaitVisible(css(`[data-testid="sandbox-form"]`)))
	b.step("12-sandbox-answer",
		chromedp.SetValue(chromedp.ID("aggregate"), "mean"),
		chromedp.SetValue(chromedp.ID("field"), "kwh"),
		chromedp.SetValue(chromedp.ID("group_by_1"), "region"),
		chromedp.Click(css(`[data-testid="sandbox-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="sandbox-chart"] svg`)))
	title := "Winter energy by region (" + lang + ")"
	b.step("13-proposal-form", chromedp.Click(css(`[data-testid="propose-link"]`)), chromedp.WaitVisible(css(`[data-testid="propose-form"]`)),
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.SendKeys(chromedp.ID("purpose"), "Find out whether homes in the north use more energy in winter."))
	b.step("14-proposal-filed", chromedp.Click(css(`[data-testid="propose-submit"]`)), chromedp.WaitVisible(css(`[data-testid="filed-notice"]`)))
	b.step("14-proposal-open", chromedp.Click(css(`[data-testid="filed-proposal"]`)), chromedp.WaitVisible(css(`[data-testid="vote-ineligible"], [data-testid="proposal-links"]`)))
	if got := b.text(`[data-testid="page-title"]`); got != title {
		t.Fatalf("proposal page %q", got)
	}
	id := strings.TrimPrefix(b.eval(`location.pathname`), "/proposals/")
	prop, err := w.Deps.Proposals.Get(ctx, id)
	if err != nil || prop.Status != proposals.StatusOpen || prop.Query == nil || prop.Query.Field != "kwh" || prop.Query.GroupBy[0] != "region" {
		t.Fatalf("the proposal as opened: %+v %v", prop, err)
	}
	logout()

	// Five more members contribute after the vote opened: they are not in
	// its electorate, but the query may draw on their data.
	for i := range 5 {
		m := signup("Contributor "+strconv.Itoa(i), "contributor"+strconv.Itoa(i)+"@coop.test")
		w.ConsentAndContribute(t, m, "north")
	}

	// 5. The three members of the electorate vote; the last ballot closes
	// the vote at once.
	var receipt string
	for i, email := range []string{"ben@coop.test", "chloe@coop.test", "ada@coop.test"} {
		b.login(base, email)
		name := strconv.Itoa(15 + 2*i)
		b.step(name+"-vote", chromedp.Navigate(base+"/proposals/"+id), chromedp.WaitVisible(css(`[data-testid="vote-form"]`)),
			chromedp.Click(chromedp.ID("choice-yes")))
		b.step(strconv.Itoa(16+2*i)+"-receipt", chromedp.Click(css(`[data-testid="vote-submit"]`)), chromedp.WaitVisible(css(`[data-testid="receipt"]`)))
		if email == "ada@coop.test" {
			receipt = b.text(`[data-testid="receipt-code"]`)
		}
		logout()
	}
	uitest.WaitFor(t, 10*time.Second, func() bool {
		p, err := w.Deps.Proposals.Get(ctx, id)
		return err == nil && p.Status != proposals.StatusOpen
	})
	if p, _ := w.Deps.Proposals.Get(ctx, id); p.Status != proposals.StatusPassed {
		t.Fatalf("the vote ended %s, want passed", p.Status)
	}

	// 6. Rosa runs the query members voted for.
	b.login(base, "rosa@coop.test")
	b.step("21-passed", chromedp.Navigate(base+"/proposals/"+id), chromedp.WaitVisible(css(`[data-testid="run-form"]`)))
	if got := b.text(`[data-testid="status"]`); got != tr.T("status.passed") {
		t.Fatalf("status %q", got)
	}
	b.step("22-results", chromedp.Click(css(`[data-testid="run-submit"]`)), chromedp.WaitVisible(css(`[data-testid="results"] svg`)))
	// The results come as a CSV file too: a line per region of the run.
	csvURL := b.eval(`document.querySelector('[data-testid="results-csv"]').getAttribute("href")`)
	req := httptest.NewRequest("GET", csvURL, nil)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "rosa@coop.test"))
	if resp, body := uitest.Call(t, w.App, req); resp.StatusCode != 200 || !strings.HasPrefix(body, "run,at,region,value,ci_low,ci_high,members_noisy,suppressed,epsilon_spent,consent_set_index,consent_set_hash,deleted_at\n") ||
		!strings.Contains(body, ",north,") {
		t.Fatalf("results CSV %s: %d\n%s", csvURL, resp.StatusCode, body)
	}
	logout()
	b.step("23-published", chromedp.Click(css(`[data-testid="nav-results"]`)),
		chromedp.WaitVisible(css(`[data-testid="published-item"] a[href^="/proposals/`+id+`"]`)))

	// 7. Ada sees the use in her journal, and her ballot in the list.
	b.login(base, "ada@coop.test")
	b.step("24-journal", chromedp.WaitVisible(css(`[data-testid="journal"] a[href="/proposals/`+id+`"]`)))
	if got := b.text(`[data-testid="journal"] a[href="/proposals/` + id + `"]`); got != title {
		t.Fatalf("the journal names the proposal %q, want %q", got, title)
	}
	if ledger := b.text(`[data-testid="privacy-ledger"] strong`); ledger == tr.F("me.ledger", tr.Num(0)) {
		t.Fatalf("the privacy ledger still says %q after a run on her data", ledger)
	}
	b.step("25-ballots", chromedp.Navigate(base+"/proposals/"+id+"/ballots"), chromedp.WaitVisible(css(`[data-testid="receipt-form"]`)),
		chromedp.SendKeys(chromedp.ID("receipt"), receipt))
	b.step("26-receipt-checked", chromedp.Click(css(`[data-testid="receipt-submit"]`)), chromedp.WaitVisible(css(`[data-testid="receipt-check"]`)))
	if got, want := b.text(`[data-testid="receipt-found"]`), tr.F("ballots.found", tr.T("choice.yes")); got != want {
		t.Fatalf("receipt check %q, want %q", got, want)
	}
}

// loginHere fills the login form the tab shows and waits for the
// dashboard.
func (b *browserTab) loginHere(email string) {
	b.t.Helper()
	b.step("", chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), uitest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="me-account"]`)))
}
