package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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
	w := newWebCoop(t)
	w.member(t, "Mallory", "mallory@coop.test")
	const seed = "0123456789abcdef0123456789abcdef" // planted by the attacker
	form := url.Values{"_csrf": {csrfToken(seed)}, "email": {"mallory@coop.test"}, "password": {testPassword}}
	for _, site := range []string{"cross-site", "same-site"} {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		req.AddCookie(&http.Cookie{Name: formCookie, Value: seed})
		p := fetch(t, w.app, req)
		if p.resp.StatusCode != http.StatusForbidden || hasCookie(p.resp, sessionCookie) {
			t.Errorf("login form posted from a %s page: %d, session cookie %v", site, p.resp.StatusCode, hasCookie(p.resp, sessionCookie))
		}
	}
	// Without the form cookie (a browser that sends no Sec-Fetch-Site).
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := fetch(t, w.app, req); p.resp.StatusCode != http.StatusForbidden || hasCookie(p.resp, sessionCookie) {
		t.Errorf("login form without its cookie: %d", p.resp.StatusCode)
	}
	// The page's own form.
	b := newBrowser(t, w.app, "en")
	page := b.get("/login")
	own := url.Values{"_csrf": {page.csrf()}, "email": {"mallory@coop.test"}, "password": {testPassword}}
	req = httptest.NewRequest("POST", "/login", strings.NewReader(own.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if p := b.do(req); p.resp.StatusCode != http.StatusSeeOther || b.cookies[sessionCookie] == "" {
		t.Fatalf("the login page's own form: %d", p.resp.StatusCode)
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
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	session := w.login(t, "ada@coop.test")
	cases := []struct {
		method, path, contentType, body string
		auth                            bool
		want                            int
	}{
		{"POST", "/api/v1/login", "text/plain", `{"email":"ada@coop.test","password":"` + testPassword + `"}`, false, 415},
		{"POST", "/API/V1/Login", "text/plain;charset=UTF-8", `{"email":"ada@coop.test","password":"` + testPassword + `"}`, false, 415},
		{"POST", "/api/v1/signup", "application/x-www-form-urlencoded", "name=x&email=x@coop.test", false, 415},
		{"POST", "/api/v1/login", "", `{"email":"ada@coop.test","password":"` + testPassword + `"}`, false, 415},
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
		resp, body := call(t, w.app, req)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.contentType, resp.StatusCode, body, tc.want)
			continue
		}
		if tc.want == 415 {
			if e := decodeError(t, body); e.Code != codeUnsupportedMedia || !strings.Contains(e.Message, "application/json") {
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
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	session := w.login(t, "ada@coop.test")
	prop := w.propose(t, "Winter use")
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
		req := jsonRequest(tc.method, tc.path, "")
		if tc.path == "/api/v1/login" {
			req = jsonRequest("POST", tc.path, `{"email":"ada@coop.test","password":"`+testPassword+`"}`)
		}
		if tc.auth {
			req.Header.Set("Authorization", "Bearer "+session)
		}
		resp, body := call(t, w.app, req)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (credential %v): %d, Cache-Control %q, want no-store (%.80s)", tc.method, tc.path, tc.auth, resp.StatusCode, got, body)
		}
	}
	if resp, _ := call(t, w.app, jsonRequest("GET", "/api/v1/proposals", "")); resp.Header.Get("Cache-Control") == "no-store" {
		t.Error("a public answer to an anonymous visitor is no-store: the rule is not per request")
	}
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = session
	css := b.get("/").doc.Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	if p := b.get(css); p.resp.StatusCode != 200 || !strings.Contains(p.resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("an asset fetched with a session cookie: %d %q", p.resp.StatusCode, p.resp.Header.Get("Cache-Control"))
	}
}
