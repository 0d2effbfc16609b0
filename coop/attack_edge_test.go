package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// The attacks on the HTTP edge of issue 12, replayed through real nodes:
// the login limits (per account and address, never a lock-out), login
// CSRF, and the client address behind reverse proxies. The nodes believe
// X-Forwarded-For from loopback (--trusted-proxies), so one test client
// plays visitors at several addresses.

const memberPassword = "quiet harbour violin 77"

// edgeConfig is a test node that trusts loopback as its reverse proxy.
func edgeConfig(t *testing.T, id string) Config {
	cfg := testConfig(t, id)
	cfg.TrustedProxies = "127.0.0.1/32,::1"
	return cfg
}

// from sends a request as a visitor at addr (through the trusted proxy on
// loopback, which appends the visitor's address to X-Forwarded-For).
func from(t *testing.T, addr, method, url, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func loginBody(email, password string) string {
	return fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
}

// signUp makes an account through the API.
func signUp(t *testing.T, url, name, email string) {
	t.Helper()
	resp, body := from(t, "", "POST", url+"/api/v1/signup", "application/json",
		fmt.Sprintf(`{"name":%q,"email":%q,"password":%q,"accept_charter":true}`, name, email, memberPassword))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign-up of %s: %d %s", email, resp.StatusCode, body)
	}
}

// TestAttack_WrongPasswordsLockNoMemberOut replays break 6 on three
// nodes: ten wrong passwords for a member, from one address and spread
// over the nodes, used to give the member 429 on the right password for 15
// minutes. Now the attacker's address is refused for that account on every
// node, while the member, from another address, logs in with the right
// password (and a wrong one there is a plain 401, not 429).
func TestAttack_WrongPasswordsLockNoMemberOut(t *testing.T) {
	first := startNode(t, edgeConfig(t, "n1"))
	waitReady(t, first)
	nodes := []*Node{first}
	for _, id := range []string{"n2", "n3"} {
		cfg := edgeConfig(t, id)
		cfg.Join = first.URL()
		nodes = append(nodes, startNode(t, cfg))
	}
	for _, n := range nodes {
		waitReady(t, n)
	}
	signUp(t, first.URL(), "Ada", "ada@coop.test")
	const attacker, member = "198.51.100.7", "203.0.113.9"

	for i := range 10 {
		n := nodes[i%3]
		resp, body := from(t, attacker, "POST", n.URL()+"/api/v1/login", "application/json", loginBody("ada@coop.test", "not her password 1"))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d via %s: %d %s", i+1, n.ID(), resp.StatusCode, body)
		}
	}
	for _, n := range nodes {
		resp, body := from(t, attacker, "POST", n.URL()+"/api/v1/login", "application/json", loginBody("ada@coop.test", memberPassword))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("the attacker's address after 10 failures, via %s: %d %s (Retry-After %q), want 429",
				n.ID(), resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	resp, body := from(t, member, "POST", nodes[1].URL()+"/api/v1/login", "application/json", loginBody("ada@coop.test", "a typo in it 2"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong password from the member's address: %d %s, want 401", resp.StatusCode, body)
	}
	resp, body = from(t, member, "POST", nodes[2].URL()+"/api/v1/login", "application/json", loginBody("ada@coop.test", memberPassword))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"token":"coop_s_`) {
		t.Fatalf("the member's right password from another address: %d %s, want 200 and a session", resp.StatusCode, body)
	}
}

// TestAttack_LoginTellsNoEmailApart: only existing accounts used to lock,
// which told which emails have an account. A known and an unknown email
// get the same answer to a wrong password, and the same 429 after ten.
func TestAttack_LoginTellsNoEmailApart(t *testing.T) {
	n := startNode(t, edgeConfig(t, "n1"))
	waitReady(t, n)
	signUp(t, n.URL(), "Ada", "ada@coop.test")
	digits := regexp.MustCompile(`[0-9]+`)

	answers := map[string][]string{}
	for _, email := range []string{"ada@coop.test", "nobody@coop.test"} {
		addr := "198.51.100.20"
		if email == "nobody@coop.test" {
			addr = "198.51.100.21"
		}
		for i := range 11 {
			resp, body := from(t, addr, "POST", n.URL()+"/api/v1/login", "application/json", loginBody(email, "guess number "+fmt.Sprint(i)))
			answers[email] = append(answers[email], fmt.Sprintf("%d %s", resp.StatusCode, digits.ReplaceAllString(body, "N")))
		}
	}
	known, unknown := answers["ada@coop.test"], answers["nobody@coop.test"]
	for i := range known {
		if known[i] != unknown[i] {
			t.Errorf("attempt %d: a known email got %q, an unknown one %q", i+1, known[i], unknown[i])
		}
	}
	if !strings.HasPrefix(known[0], "401 ") || !strings.HasPrefix(known[10], "429 ") {
		t.Errorf("answers %q, want 401 first and 429 on the 11th", known)
	}
}

// TestAttack_APILoginFromAnotherSiteSetsNoCookie replays break 5: a page
// of another site posts a form (Content-Type text/plain, a body that
// parses as JSON) to /api/v1/login, which logged the visitor's browser in
// as the attacker. Now the JSON API takes application/json only (415), and
// its login returns a token without setting any cookie.
func TestAttack_APILoginFromAnotherSiteSetsNoCookie(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	waitReady(t, n)
	body := loginBody(testOperatorEmail, testOperatorPassword)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		resp, got := from(t, "", "POST", n.URL()+"/api/v1/login", ct, body)
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(got, `"code":"unsupported_media_type"`) {
			t.Errorf("login as %q: %d %s, want 415 with the JSON error", ct, resp.StatusCode, got)
		}
		if len(resp.Cookies()) > 0 {
			t.Errorf("login as %q set cookies %v", ct, resp.Cookies())
		}
	}
	resp, got := from(t, "", "POST", n.URL()+"/api/v1/login", "application/json; charset=utf-8", body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(got, `"token":"coop_s_`) {
		t.Fatalf("login as JSON: %d %s", resp.StatusCode, got)
	}
	if len(resp.Cookies()) > 0 {
		t.Errorf("the API login set cookies %v: it returns a token only", resp.Cookies())
	}
}

// TestAttack_ForwardedForFromAnUntrustedPeerIsIgnored: a client that
// writes its own X-Forwarded-For, to a node that trusts no proxy, is still
// counted at its own address: its sixth request in the minute is refused
// (--requests-per-minute 5). Behind a trusted proxy, the address the proxy
// appended counts, whatever the client wrote to its left; and visitors at
// different addresses have a minute each.
func TestAttack_ForwardedForFromAnUntrustedPeerIsIgnored(t *testing.T) {
	direct := testConfig(t, "n1")
	direct.RequestsPerMinute = 5
	n := startNode(t, direct)
	waitReady(t, n)
	sixthRefused(t, n.URL()+"/api/v1/governance/rules", "a forged X-Forwarded-For", func(i int) string {
		return fmt.Sprintf("192.0.2.%d", i+1)
	})

	proxied := edgeConfig(t, "n1")
	proxied.RequestsPerMinute = 5
	p := startNode(t, proxied)
	waitReady(t, p)
	rules := p.URL() + "/api/v1/governance/rules"
	// The client wrote the first address; the proxy appended the real one.
	sixthRefused(t, rules, "a forged first hop behind the proxy", func(i int) string {
		return fmt.Sprintf("192.0.2.%d, 198.51.100.50", i+1)
	})
	for i := range 6 {
		if resp, body := from(t, fmt.Sprintf("198.51.100.%d", 100+i), "GET", rules, "", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("visitor %d behind the proxy: %d %s, want 200 (each address has its own minute)", i+1, resp.StatusCode, body)
		}
	}

	unlimited := testConfig(t, "n1")
	unlimited.RequestsPerMinute = 0
	u := startNode(t, unlimited)
	waitReady(t, u)
	for i := range 30 {
		if resp, body := from(t, "", "GET", u.URL()+"/api/v1/governance/rules", "", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d with --requests-per-minute 0: %d %s", i+1, resp.StatusCode, body)
		}
	}
}

// sixthRefused sends six requests to url, the i-th with X-Forwarded-For
// forwarded(i): the first five pass, the sixth is refused (a limit of 5 a
// minute on one address).
func sixthRefused(t *testing.T, url, what string, forwarded func(i int) string) {
	t.Helper()
	for i := range 6 {
		resp, body := from(t, forwarded(i), "GET", url, "", "")
		want := http.StatusOK
		if i == 5 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d with %s: %d %s, want %d", i+1, what, resp.StatusCode, body, want)
		}
	}
}

// TestEdge_SessionCookieSecureBehindATLSProxy: a reverse proxy that ends
// TLS and says so (X-Forwarded-Proto: https) from a trusted address gets a
// Secure session cookie for its visitor, and HSTS; the same header from a
// peer that is not a trusted proxy changes nothing.
func TestEdge_SessionCookieSecureBehindATLSProxy(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		cfg := testConfig(t, "n1")
		if trusted {
			cfg = edgeConfig(t, "n1")
		}
		n := startNode(t, cfg)
		waitReady(t, n)
		secure := webLogin(t, n.URL(), testOperatorEmail, testOperatorPassword, "https")
		if secure != trusted {
			t.Errorf("trusted proxy %v: session cookie Secure = %v", trusted, secure)
		}
		req := mustRequest(t, "GET", n.URL()+"/healthz", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if hsts := resp.Header.Get("Strict-Transport-Security"); (hsts != "") != trusted {
			t.Errorf("trusted proxy %v: Strict-Transport-Security %q", trusted, hsts)
		}
	}
}

// webLogin logs in through the login page, as a browser behind a proxy
// that forwards the scheme proto, and tells whether the session cookie is
// Secure.
func webLogin(t *testing.T, base, email, password, proto string) (secure bool) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: testClient.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) *http.Response {
		req.Header.Set("X-Forwarded-Proto", proto)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := do(mustRequest(t, "GET", base+"/login", nil))
	token := formToken(t, resp)
	// The jar keeps Secure cookies for https URLs only: carry them by hand.
	req := mustRequest(t, "POST", base+"/login", strings.NewReader(url.Values{
		"_csrf": {token}, "email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp = do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login form: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "coop_session" {
			return c.Secure
		}
	}
	t.Fatalf("the login form set no session cookie: %v", resp.Cookies())
	return false
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// formToken reads the _csrf field of the page's first form.
func formToken(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	token, ok := doc.Find(`form input[name="_csrf"]`).First().Attr("value")
	if !ok || token == "" {
		t.Fatal("no _csrf field on the page")
	}
	return token
}
