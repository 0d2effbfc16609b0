package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// The attacks on the HTTP edge of issue 12 that one node shows: login
// CSRF on the login page, bodies that are not JSON, personal answers left
// to caches.

// A page of another site posts the login form with the attacker's
// credentials, so that the visitor works in the attacker's account. It
// cannot read the form cookie, but a sibling subdomain can plant one it
// chose, with the matching _csrf: the browser says the post comes from
// another site, and the form is refused. The login page's own form, with
// the cookie it set, logs in.
func TestAttack_LoginFormFromAnotherSite(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Mallory", "mallory@coop.test")
	const seed = "0123456789abcdef0123456789abcdef" // planted by the attacker
	form := url.Values{"_csrf": {server.CSRFToken(seed)}, "email": {"mallory@coop.test"}, "password": {uitest.Password}}
	for _, site := range []string{"cross-site", "same-site"} {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		req.AddCookie(&http.Cookie{Name: web.FormCookie, Value: seed})
		p := uitest.Fetch(t, w.App, req)
		if p.Resp.StatusCode != http.StatusForbidden || hasCookie(p.Resp, server.SessionCookie) {
			t.Errorf("login form posted from a %s page: %d, session cookie %v", site, p.Resp.StatusCode, hasCookie(p.Resp, server.SessionCookie))
		}
	}
	// Without the form cookie (a browser that sends no Sec-Fetch-Site).
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := uitest.Fetch(t, w.App, req); p.Resp.StatusCode != http.StatusForbidden || hasCookie(p.Resp, server.SessionCookie) {
		t.Errorf("login form without its cookie: %d", p.Resp.StatusCode)
	}
	// The page's own form.
	b := uitest.NewBrowser(t, w.App, "en")
	page := b.Get("/login")
	own := url.Values{"_csrf": {page.CSRF()}, "email": {"mallory@coop.test"}, "password": {uitest.Password}}
	req = httptest.NewRequest("POST", "/login", strings.NewReader(own.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if p := b.Do(req); p.Resp.StatusCode != http.StatusSeeOther || b.Cookies[server.SessionCookie] == "" {
		t.Fatalf("the login page's own form: %d", p.Resp.StatusCode)
	}
}

func hasCookie(resp *http.Response, name string) bool {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

// The JSON API takes application/json only (a charset is fine), and CSV
// where a route takes CSV: a form of another site can send neither.
func TestAttack_JSONRoutesRefuseOtherBodies(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	session := w.Login(t, "ada@coop.test")
	cases := []struct {
		method, path, contentType, body string
		auth                            bool
		want                            int
	}{
		{"POST", "/api/v1/login", "text/plain", `{"email":"ada@coop.test","password":"` + uitest.Password + `"}`, false, 415},
		{"POST", "/API/V1/Login", "text/plain;charset=UTF-8", `{"email":"ada@coop.test","password":"` + uitest.Password + `"}`, false, 415},
		{"POST", "/api/v1/signup", "application/x-www-form-urlencoded", "name=x&email=x@coop.test", false, 415},
		{"POST", "/api/v1/login", "", `{"email":"ada@coop.test","password":"` + uitest.Password + `"}`, false, 415},
		{"PUT", "/api/v1/pools/energy/consent", "text/plain", `{"granted":true}`, true, 415},
		{"POST", "/api/v1/proposals", "text/csv", "title\nx\n", true, 415},
		{"PUT", "/api/v1/pools/energy/consent", "application/json; charset=utf-8", `{"granted":true}`, true, 200},
		{"POST", "/api/v1/pools/energy/records", "text/csv; charset=utf-8", "kwh,region,month\n5,north,2025-01\n", true, 201},
		{"POST", "/api/v1/logout", "", "", true, 200},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		if tc.auth {
			req.Header.Set("Authorization", "Bearer "+session)
		}
		resp, body := uitest.Call(t, w.App, req)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.contentType, resp.StatusCode, body, tc.want)
			continue
		}
		if tc.want == 415 {
			if e := uitest.DecodeError(t, body); e.Code != server.CodeUnsupportedMedia || !strings.Contains(e.Message, "application/json") {
				t.Errorf("%s %s: error %+v", tc.method, tc.path, e)
			}
			if len(resp.Cookies()) > 0 {
				t.Errorf("%s %s: cookies %v on a refusal", tc.method, tc.path, resp.Cookies())
			}
		}
	}
}

// Every answer to a request that carries a credential, and every answer
// under /api/v1/me, says Cache-Control: no-store, errors included; public
// answers to anonymous visitors and the assets may be cached.
func TestAttack_PersonalAnswersAreNotCached(t *testing.T) {
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	session := w.Login(t, "ada@coop.test")
	prop := w.Propose(t, "Winter use")
	personal := []struct {
		method, path string
		auth         bool
	}{
		{"GET", "/api/v1/me", true},
		{"GET", "/api/v1/me/export", true},
		{"GET", "/api/v1/me/export/energy.csv", true},
		{"GET", "/api/v1/me/journal", true},
		{"GET", "/api/v1/me/records", true},
		{"GET", "/api/v1/proposals", true},
		{"GET", "/api/v1/proposals/" + prop.ID + "/results.csv", true},
		{"GET", "/api/v1/proposals/no-such-one", true},
		{"GET", "/api/v1/me", false},
		{"GET", "/api/v1/me/tokens", false},
		{"POST", "/api/v1/login", false},
	}
	for _, tc := range personal {
		req := uitest.JSONRequest(tc.method, tc.path, "")
		if tc.path == "/api/v1/login" {
			req = uitest.JSONRequest("POST", tc.path, `{"email":"ada@coop.test","password":"`+uitest.Password+`"}`)
		}
		if tc.auth {
			req.Header.Set("Authorization", "Bearer "+session)
		}
		resp, body := uitest.Call(t, w.App, req)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (credential %v): %d, Cache-Control %q, want no-store (%.80s)", tc.method, tc.path, tc.auth, resp.StatusCode, got, body)
		}
	}
	if resp, _ := uitest.Call(t, w.App, uitest.JSONRequest("GET", "/api/v1/proposals", "")); resp.Header.Get("Cache-Control") == "no-store" {
		t.Error("a public answer to an anonymous visitor is no-store: the rule is not per request")
	}
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = session
	css := b.Get("/").Doc.Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	if p := b.Get(css); p.Resp.StatusCode != 200 || !strings.Contains(p.Resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("an asset fetched with a session cookie: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Cache-Control"))
	}
}
