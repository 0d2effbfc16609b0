package web_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"coop/ui"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// The contract: /, /signup and /proposals answer 200 in the language
// Accept-Language asks, without redirects.
func TestPages_LanguageFromAcceptLanguage(t *testing.T) {
	w := uitest.NewCoop(t)
	cat := i18n.New()
	titles := map[string]string{"/": "home.title", "/signup": "signup.title", "/proposals": "proposals.title"}
	for path, key := range titles {
		for _, accept := range []string{"fr", "en", "fr-FR,fr;q=0.9,en;q=0.8", "en-GB,en;q=0.9"} {
			want := accept[:2]
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Accept-Language", accept)
			p := uitest.Fetch(t, w.App, req)
			if p.Resp.StatusCode != 200 {
				t.Fatalf("GET %s (%s): %d", path, accept, p.Resp.StatusCode)
			}
			if ct := p.Resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("GET %s: Content-Type %q", path, ct)
			}
			if got, _ := p.Doc.Find("html").Attr("lang"); got != want {
				t.Errorf("GET %s (%s): <html lang=%q>, want %q", path, accept, got, want)
			}
			if got, wantTitle := strings.TrimSpace(p.TestID("page-title").Text()), cat.For(want).T(key); got != wantTitle {
				t.Errorf("GET %s (%s): title %q, want %q", path, accept, got, wantTitle)
			}
			if p.TestID("skip-link").Length() != 1 || p.TestID("nav-proposals").Length() != 1 {
				t.Errorf("GET %s: the layout lacks its skip link or nav", path)
			}
		}
	}
}

// The language switch sets a cookie that wins over Accept-Language, and
// never sends the visitor to another site.
func TestPages_LanguageSwitch(t *testing.T) {
	w := uitest.NewCoop(t)
	b := uitest.NewBrowser(t, w.App, "en")
	p := b.Get("/lang/fr?next=" + url.QueryEscape("/proposals?status=open"))
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/proposals?status=open" || b.Cookies["lang"] != "fr" {
		t.Fatalf("switch: %d %q, cookies %v", p.Resp.StatusCode, p.Resp.Header.Get("Location"), b.Cookies)
	}
	if got, _ := b.Get("/proposals").Doc.Find("html").Attr("lang"); got != "fr" {
		t.Fatalf("after the switch to French: lang %q", got)
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`} {
		p := b.Get("/lang/en?next=" + url.QueryEscape(next))
		if loc := p.Resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
	if p := b.Get("/lang/de"); p.Resp.StatusCode != 404 {
		t.Errorf("unknown language: %d", p.Resp.StatusCode)
	}
}

// Every form carries _csrf: the session's token when logged in, a token
// tied to a cookie of its own otherwise.
func TestPages_FormsCarryCSRF(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Propose(t, "Winter energy")

	anon := uitest.NewBrowser(t, w.App, "en")
	for _, path := range []string{"/signup", "/login"} {
		p := anon.Get(path)
		checkForms(t, path, p, server.CSRFToken(anon.Cookies[web.FormCookie]))
	}

	tok := w.Login(t, "ada@coop.test")
	member := uitest.NewBrowser(t, w.App, "fr")
	member.Cookies[server.SessionCookie] = tok
	prop := w.Propose(t, "Summer energy")
	for _, path := range []string{"/", "/me", "/proposals/" + prop.ID, "/pools/energy"} {
		p := member.Get(path)
		if p.Resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, p.Resp.StatusCode)
		}
		checkForms(t, path, p, server.CSRFToken(tok))
	}
	if n := member.Get("/me").Doc.Find("form").Length(); n < 2 {
		t.Fatalf("/me has %d forms, want logout and consent", n)
	}
}

func checkForms(t *testing.T, path string, p uitest.Page, want string) {
	t.Helper()
	forms := p.Doc.Find("form")
	if forms.Length() == 0 {
		t.Fatalf("%s: no form", path)
	}
	for i := range forms.Length() {
		f := forms.Eq(i)
		action, _ := f.Attr("action")
		if method, _ := f.Attr("method"); method == "get" {
			if f.Find(`input[name="_csrf"]`).Length() != 0 {
				t.Errorf("%s: the GET form %q carries the CSRF token into a URL", path, action)
			}
			continue // a search changes nothing
		}
		got, _ := f.Find(`input[type="hidden"][name="_csrf"]`).Attr("value")
		if got == "" || got != want {
			t.Errorf("%s: form %q carries _csrf %q, want %q", path, action, got, want)
		}
		if method, _ := f.Attr("method"); method != "post" {
			t.Errorf("%s: form %q has method %q", path, action, method)
		}
	}
}

// A form posted from a logged-in browser without its token is refused,
// whatever the page route; with the token it goes through.
func TestPages_PostWithoutCSRFIsRefused(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	prop := w.Propose(t, "Winter energy")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")

	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/pools/energy/consent", url.Values{"granted": {"true"}}},
		{"/proposals/" + prop.ID + "/vote", url.Values{"choice": {"yes"}}},
		{"/logout", url.Values{}},
		{"/pools/energy/consent", url.Values{"granted": {"true"}, "_csrf": {"forged"}}},
	} {
		if p := b.Post(tc.path, tc.form); p.Resp.StatusCode != 403 {
			t.Errorf("POST %s without a valid _csrf: %d, want 403", tc.path, p.Resp.StatusCode)
		}
	}
	if p := b.Get("/me"); p.TestID("consent-state").First().Text() != "Not given" {
		t.Fatalf("a refused form changed the consent: %q", p.TestID("consent-state").First().Text())
	}

	p := b.Post("/pools/energy/consent", url.Values{"granted": {"true"}, "_csrf": {server.CSRFToken(b.Cookies[server.SessionCookie])}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/me#pool-energy" {
		t.Fatalf("consent with its token: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
	me := b.Get("/me")
	if got := me.TestID("consent-state").First().Text(); got != "Granted" {
		t.Fatalf("consent state after granting: %q", got)
	}
	if me.TestID("notice").Length() != 1 || me.TestID("consent-withdraw").Length() != 1 {
		t.Fatalf("after granting: no notice or no withdraw button:\n%s", me.Body)
	}

	// Sign-up and login forms of anonymous visitors need the token tied to
	// their form cookie.
	anon := uitest.NewBrowser(t, w.App, "fr")
	p = anon.Post("/login", url.Values{"email": {"ada@coop.test"}, "password": {uitest.Password}})
	if p.Resp.StatusCode != 403 || p.TestID("form-error").Length() != 1 || anon.Cookies[server.SessionCookie] != "" {
		t.Fatalf("login without a token: %d, session %q", p.Resp.StatusCode, anon.Cookies[server.SessionCookie])
	}
	if got, want := strings.TrimSpace(p.TestID("form-error").Text()), i18n.New().For("fr").T("err.csrf"); got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

// A person signs up, logs in, consents and votes through the pages alone,
// and the errors on the way are in the page's language, next to the form.
func TestPages_SignupLoginConsentVote(t *testing.T) {
	w := uitest.NewCoop(t)
	fr := i18n.New().For("fr")
	b := uitest.NewBrowser(t, w.App, "fr")

	signup := b.Get("/signup")
	if signup.TestID("charter").Find("h3").Length() == 0 || signup.TestID("signup-accept").Length() != 1 {
		t.Fatal("the sign-up page lacks the charter or its checkbox")
	}
	form := url.Values{"_csrf": {signup.CSRF()}, "name": {"Marie Curie"}, "email": {"marie@coop.test"}, "password": {"short"}, "accept_charter": {"yes"}}
	p := b.Post("/signup", form)
	if p.Resp.StatusCode != 400 || strings.TrimSpace(p.TestID("form-error").Text()) != fr.P("err.password_short", map[string]string{"min": "12"}) {
		t.Fatalf("weak password: %d %q", p.Resp.StatusCode, p.TestID("form-error").Text())
	}
	if v, _ := p.TestID("signup-name").Attr("value"); v != "Marie Curie" {
		t.Fatalf("the name was not kept: %q", v)
	}
	form.Set("password", uitest.Password)
	form.Del("accept_charter")
	if p := b.Post("/signup", form); p.Resp.StatusCode != 400 || strings.TrimSpace(p.TestID("form-error").Text()) != fr.T("err.charter") {
		t.Fatalf("charter not ticked: %d %q", p.Resp.StatusCode, p.TestID("form-error").Text())
	}
	form.Set("accept_charter", "yes")
	if p := b.Post("/signup", form); p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/me" {
		t.Fatalf("sign-up: %d %q %s", p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body)
	}
	if me := b.Get("/me"); me.Resp.StatusCode != 200 || me.TestID("notice").Text() != fr.T("notice.signed_up") {
		t.Fatalf("not logged in after the sign-up, or no welcome: %d %q", me.Resp.StatusCode, me.TestID("notice").Text())
	}
	b.Post("/logout", url.Values{"_csrf": {server.CSRFToken(b.Cookies[server.SessionCookie])}})
	w.Member(t, "Other", "other@coop.test") // two voters: the vote stays open after one ballot
	prop := w.Propose(t, "Winter energy")

	login := b.Get("/login?next=/proposals/" + prop.ID)
	bad := b.Post("/login", url.Values{"_csrf": {login.CSRF()}, "email": {"marie@coop.test"}, "password": {"wrong password here"}})
	if bad.Resp.StatusCode != 401 || strings.TrimSpace(bad.TestID("form-error").Text()) != fr.T("err.login") {
		t.Fatalf("wrong password: %d %q", bad.Resp.StatusCode, bad.TestID("form-error").Text())
	}
	p = b.Post("/login", url.Values{"_csrf": {login.CSRF()}, "email": {"marie@coop.test"}, "password": {uitest.Password}, "next": {"/proposals/" + prop.ID}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/proposals/"+prop.ID || b.Cookies[server.SessionCookie] == "" {
		t.Fatalf("login: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}

	page := b.Get("/proposals/" + prop.ID)
	if page.TestID("vote-form").Length() != 1 || page.TestID("receipt").Length() != 0 {
		t.Fatalf("an open proposal shows no ballot to a member:\n%s", page.Body)
	}
	for _, id := range []string{"proposal-query", "proposal-privacy", "proposal-purpose", "participation"} {
		if strings.TrimSpace(page.TestID(id).Text()) == "" {
			t.Errorf("the proposal page lacks %s", id)
		}
	}
	if !strings.Contains(page.TestID("proposal-query").Text(), "kWh") {
		t.Errorf("the query in plain words lacks the unit: %q", page.TestID("proposal-query").Text())
	}
	if p := b.Post("/proposals/"+prop.ID+"/vote", url.Values{"_csrf": {page.CSRF()}}); p.Resp.StatusCode != 400 ||
		strings.TrimSpace(p.TestID("form-error").Text()) != fr.T("err.choice") {
		t.Fatalf("a ballot without a choice: %d %q", p.Resp.StatusCode, p.TestID("form-error").Text())
	}
	p = b.Post("/proposals/"+prop.ID+"/vote", url.Values{"_csrf": {page.CSRF()}, "choice": {"no"}})
	if p.Resp.StatusCode != 303 {
		t.Fatalf("vote: %d %s", p.Resp.StatusCode, p.Body)
	}
	voted := b.Get("/proposals/" + prop.ID)
	receipt := strings.TrimSpace(voted.TestID("receipt-code").Text())
	if len(receipt) < 16 || !voted.TestID("choice-no").Is("[checked]") {
		t.Fatalf("after voting: receipt %q, checked no %v", receipt, voted.TestID("choice-no").Is("[checked]"))
	}
	if again := b.Get("/proposals/" + prop.ID); again.TestID("receipt").Length() != 0 {
		t.Fatal("the receipt is shown a second time")
	}
	// The vote can be changed: a new ballot replaces the first.
	if p := b.Post("/proposals/"+prop.ID+"/vote", url.Values{"_csrf": {page.CSRF()}, "choice": {"yes"}}); p.Resp.StatusCode != 303 {
		t.Fatalf("second vote: %d", p.Resp.StatusCode)
	}
	if got := b.Get("/proposals/" + prop.ID).TestID("participation").Text(); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("participation after changing the vote: %q", got)
	}

	me := b.Get("/me")
	if me.Resp.StatusCode != 200 || !strings.Contains(me.TestID("page-title").Text(), "Marie Curie") {
		t.Fatalf("/me: %d %q", me.Resp.StatusCode, me.TestID("page-title").Text())
	}
	if href, _ := me.TestID("export-json").Attr("href"); href != "/api/v1/me/export" {
		t.Fatalf("export link %q", href)
	}
	logout := b.Post("/logout", url.Values{"_csrf": {me.CSRF()}})
	if logout.Resp.StatusCode != 303 || b.Cookies[server.SessionCookie] != "" {
		t.Fatalf("logout: %d, session %q", logout.Resp.StatusCode, b.Cookies[server.SessionCookie])
	}
	if p := b.Get("/me"); p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/login?next=%2Fme" {
		t.Fatalf("/me after logout: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
}

// Once the whole electorate has voted the proposal closes, and its page
// draws the tally as an SVG chart with labels and numbers in text.
func TestPages_TallyChart(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	prop := w.Propose(t, "Winter energy")
	for email, choice := range map[string]string{"ada@coop.test": "yes", "grace@coop.test": "abstain"} {
		if _, err := w.Deps.Proposals.Vote(t.Context(), w.Session(t, email), prop.ID, choice); err != nil {
			t.Fatal(err)
		}
	}
	b := uitest.NewBrowser(t, w.App, "en")
	p := b.Get("/proposals/" + prop.ID)
	if got := p.TestID("status").First().Text(); got != "Passed" {
		t.Fatalf("status %q", got)
	}
	chart := p.TestID("tally-chart").Find("svg")
	if chart.Length() != 1 || chart.AttrOr("role", "") != "img" || chart.Find("title").Text() == "" {
		t.Fatalf("no accessible chart:\n%s", p.Body)
	}
	for key, want := range map[string]string{"yes": "Yes 1 · 50%", "no": "No 0 · 0%", "abstain": "Abstain 1 · 50%", "none": "Did not vote 0 · 0%"} {
		if got := strings.Join(strings.Fields(p.TestID("bar-"+key).Text()), " "); got != want {
			t.Errorf("bar %s: %q, want %q", key, got, want)
		}
	}
	if p.TestID("vote-form").Length() != 0 || p.TestID("grant").Length() != 1 {
		t.Fatalf("a closed proposal shows a ballot, or no grant")
	}
}

// The stylesheet is served under its content hash with a long cache; the
// pages hold no inline script or style, as the CSP forbids them.
func TestPages_AssetsAndCSP(t *testing.T) {
	w := uitest.NewCoop(t)
	b := uitest.NewBrowser(t, w.App, "en")
	home := b.Get("/")
	css, _ := home.Doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if !strings.HasPrefix(css, "/static/app.") || !strings.HasSuffix(css, ".css") || len(css) < len("/static/app.123456789abc.css") {
		t.Fatalf("stylesheet URL %q", css)
	}
	resp, body := uitest.Call(t, w.App, httptest.NewRequest("GET", css, nil))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(body, ":focus-visible") {
		t.Fatalf("GET %s: %d %q %q", css, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if resp, _ := uitest.Call(t, w.App, httptest.NewRequest("GET", "/static/app.000000000000.css", nil)); resp.StatusCode != 404 {
		t.Fatalf("a stale asset URL: %d", resp.StatusCode)
	}

	w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Winter energy")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	for _, path := range []string{"/", "/rules", "/pools", "/pools/energy", "/proposals", "/proposals/" + prop.ID, "/signup", "/login", "/me"} {
		p := b.Get(path)
		if p.Resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, p.Resp.StatusCode)
		}
		if csp := p.Resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		// Scripts only from files of this site (live updates, secret
		// ballots), never inline.
		if p.Doc.Find("script:not([src]), style, [style], [onclick], [onload], [onsubmit], [onchange]").Length() > 0 {
			t.Errorf("GET %s: inline script or style", path)
		}
		p.Doc.Find("script[src]").Each(func(_ int, sc *goquery.Selection) {
			src, _ := sc.Attr("src")
			if !strings.HasPrefix(src, "/static/live.") && !strings.HasPrefix(src, "/static/ballot.") || strings.TrimSpace(sc.Text()) != "" {
				t.Errorf("GET %s: script %q", path, src)
			}
		})
		if p.Resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, p.Resp.Header.Get("Cache-Control"))
		}
		p.Doc.Find("input:not([type=hidden]), select, textarea").Each(func(_ int, in *goquery.Selection) {
			if id := in.AttrOr("id", ""); id == "" || p.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
				t.Errorf("GET %s: input %q has no label", path, in.AttrOr("name", ""))
			}
		})
	}
}

// A page that cannot be shown is an HTML page in the visitor's language
// with the error's status.
func TestPages_NotFound(t *testing.T) {
	w := uitest.NewCoop(t)
	fr := i18n.New().For("fr")
	for _, path := range []string{"/proposals/nope", "/pools/nope"} {
		p := uitest.NewBrowser(t, w.App, "fr").Get(path)
		if p.Resp.StatusCode != 404 || !strings.HasPrefix(p.Resp.Header.Get("Content-Type"), "text/html") ||
			!strings.HasPrefix(p.TestID("page-title").Text(), fr.T("error.title")) || p.TestID("form-error").Length() != 1 {
			t.Fatalf("GET %s: %d %q\n%s", path, p.Resp.StatusCode, p.Resp.Header.Get("Content-Type"), p.Body)
		}
	}
}

// An error on a page route is a page in the visitor's language; on the API
// it stays the JSON body.
func TestErrorsOnPagesAreHTML(t *testing.T) {
	app := ui.New(uitest.OpenEnv(t).Deps)
	req := httptest.NewRequest("GET", "/proposals/no-such-id", nil)
	req.Header.Set("Accept-Language", "fr")
	resp, body := uitest.Call(t, app, req)
	if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `lang="fr"`) {
		t.Fatalf("page error: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = uitest.Call(t, app, httptest.NewRequest("GET", "/api/v1/proposals/no-such-id", nil))
	if resp.StatusCode != 404 || uitest.DecodeError(t, body).Code != "not_found" {
		t.Fatalf("API error: %d %s", resp.StatusCode, body)
	}
}
