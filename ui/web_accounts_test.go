package ui

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"coop/ui/i18n"
	"coop/ui/mail"
	"coop/ui/mail/mailtest"
)

// mailCoop is a web coop that sends email through a real SMTP server on
// loopback, and keeps its logs.
func mailCoop(t *testing.T) (*webCoop, *mailtest.Server, *bytes.Buffer) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	env := openEnv(t)
	var logs bytes.Buffer
	env.deps.Mailer, env.deps.PublicURL = sender, "http://coop.test"
	env.deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	return webCoopOn(t, env), srv, &logs
}

// linkIn finds the coop link of an email and returns its path and query.
func linkIn(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, "http://coop.test/")
	if i < 0 {
		t.Fatalf("no link in %q", body)
	}
	raw := strings.Fields(body[i:])[0]
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// A person who signs up is logged in at once and gets a link that
// confirms their address; on /me/account they change their name, their
// email (with the current password, and a new link) and their password
// (the other sessions end, this one goes on); API tokens are under
// "advanced". Every refusal is in French.
func TestPagesAccounts_SignupProfileEmailPassword(t *testing.T) {
	t.Parallel()
	w, srv, logs := mailCoop(t)
	fr := i18n.New().For("fr")
	b := newBrowser(t, w.app, "fr")
	form := b.get("/signup")
	p := b.post("/signup", url.Values{"_csrf": {form.csrf()}, "name": {"Zoé"}, "email": {"zoe@coop.test"},
		"password": {testPassword}, "accept_charter": {"yes"}})
	if p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/me" || b.cookies[sessionCookie] == "" {
		t.Fatalf("sign-up: %d %q\n%s", p.resp.StatusCode, p.resp.Header.Get("Location"), p.body)
	}
	me := b.get("/me")
	if me.resp.StatusCode != 200 || text(me.testID("notice")) != fr.T("notice.signed_up_verify") {
		t.Fatalf("after sign-up: %d %q", me.resp.StatusCode, text(me.testID("notice")))
	}
	verify := srv.WaitFor(t, "zoe@coop.test", 1)
	if verify.Subject != fr.T("mail.verify.subject") || !strings.HasPrefix(verify.Body, "Bonjour Zoé,") {
		t.Fatalf("verification email %+v", verify)
	}

	acct := b.get("/me/account")
	if text(acct.testID("email-status")) != fr.F("profile.verified", "zoe@coop.test") &&
		text(acct.testID("email-status")) != fr.F("profile.unverified", "zoe@coop.test") {
		t.Fatalf("email status %q", text(acct.testID("email-status")))
	}
	if acct.doc.Find("#advanced [data-testid=token-form]").Length() != 1 || acct.doc.Find("#profile [data-testid=profile-form]").Length() != 1 {
		t.Fatal("API tokens are not under advanced, or the profile form is missing")
	}
	checkForms(t, "/me/account", acct, csrfToken(b.cookies[sessionCookie]))
	v := b.get(linkIn(t, verify.Body))
	if r := b.post("/email/verify", url.Values{"_csrf": {v.csrf()}, "token": {v.doc.Find(`input[name="token"]`).AttrOr("value", "")}}); r.resp.StatusCode != 303 {
		t.Fatalf("verify: %d\n%s", r.resp.StatusCode, r.body)
	}
	if got := text(b.get("/me/account").testID("email-status")); got != fr.F("profile.verified", "zoe@coop.test") {
		t.Fatalf("after the link: %q", got)
	}

	csrf := url.Values{"_csrf": {csrfToken(b.cookies[sessionCookie])}}
	with := func(kv ...string) url.Values {
		out := url.Values{"_csrf": csrf["_csrf"]}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	if r := b.post("/me/profile", with("name", "Zoé Martin", "email", "zoe@coop.test")); r.resp.StatusCode != 303 {
		t.Fatalf("rename: %d\n%s", r.resp.StatusCode, r.body)
	}
	r := b.post("/me/profile", with("name", "Zoé Martin", "email", "zoe.martin@coop.test", "current_password", "wrong wrong wrong"))
	if r.resp.StatusCode != 403 || text(r.doc.Find("#profile-error strong")) != fr.T("err.current_password") ||
		r.testID("profile-email").AttrOr("value", "") != "zoe.martin@coop.test" {
		t.Fatalf("a new address with a wrong password: %d %q", r.resp.StatusCode, text(r.doc.Find("#profile-error")))
	}
	if r := b.post("/me/profile", with("name", "Zoé Martin", "email", "zoe.martin@coop.test", "current_password", testPassword)); r.resp.StatusCode != 303 {
		t.Fatalf("new address: %d\n%s", r.resp.StatusCode, r.body)
	}
	srv.WaitFor(t, "zoe.martin@coop.test", 1)
	if got := text(b.get("/me/account").testID("email-status")); got != fr.F("profile.unverified", "zoe.martin@coop.test") {
		t.Fatalf("a new address is unverified: %q", got)
	}

	other := w.login(t, "zoe.martin@coop.test")
	r = b.post("/me/password", with("current_password", "wrong wrong wrong", "new_password", "quiet river stones 7"))
	if r.resp.StatusCode != 403 || text(r.doc.Find("#password-error strong")) != fr.T("err.current_password") {
		t.Fatalf("wrong current password: %d", r.resp.StatusCode)
	}
	before := b.cookies[sessionCookie]
	if r := b.post("/me/password", with("current_password", testPassword, "new_password", "quiet river stones 7")); r.resp.StatusCode != 303 {
		t.Fatalf("change password: %d\n%s", r.resp.StatusCode, r.body)
	}
	if b.cookies[sessionCookie] == before || b.get("/me/account").resp.StatusCode != 200 {
		t.Fatal("this browser is not logged in again after its password change")
	}
	if _, err := w.members.Authenticate(t.Context(), other); err == nil {
		t.Fatal("another session survived the password change")
	}
	if strings.Contains(logs.String(), "coop_v_") || strings.Contains(logs.String(), "quiet river") {
		t.Fatal("a link or a password reached the logs")
	}
}

// A forgotten password: the same answer for any address, a link only to
// an account's; the link sets a new password once. The API does the same.
func TestPagesAccounts_PasswordResetByEmail(t *testing.T) {
	t.Parallel()
	w, srv, logs := mailCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	fr := i18n.New().For("fr")
	b := newBrowser(t, w.app, "fr")
	if href := b.get("/login").testID("forgot-link").AttrOr("href", ""); href != "/password/forgot" {
		t.Fatalf("no forgotten-password link on the login page: %q", href)
	}
	answer := func(email string) string {
		form := b.get("/password/forgot")
		p := b.post("/password/forgot", url.Values{"_csrf": {form.csrf()}, "email": {email}})
		if p.resp.StatusCode != 200 {
			t.Fatalf("forgot %s: %d", email, p.resp.StatusCode)
		}
		return text(p.testID("forgot-sent"))
	}
	if known, unknown := answer("ada@coop.test"), answer("nobody@coop.test"); known != unknown || known != fr.T("forgot.sent") {
		t.Fatalf("answers differ: %q / %q", known, unknown)
	}
	msg := srv.WaitFor(t, "ada@coop.test", 1)
	if msg.Subject != fr.T("mail.reset.subject") {
		t.Fatalf("reset email %+v", msg)
	}
	link := linkIn(t, msg.Body)
	if !strings.HasPrefix(link, "/password/reset?token=coop_r_") {
		t.Fatalf("link %q", link)
	}
	form := b.get(link)
	token := form.doc.Find(`input[name="token"]`).AttrOr("value", "")
	weak := b.post("/password/reset", url.Values{"_csrf": {form.csrf()}, "token": {token}, "password": {"password1234"}})
	if weak.resp.StatusCode != 400 {
		t.Fatalf("weak password: %d", weak.resp.StatusCode)
	}
	if r := b.post("/password/reset", url.Values{"_csrf": {form.csrf()}, "token": {token}, "password": {"quiet river stones 7"}}); r.resp.StatusCode != 303 || r.resp.Header.Get("Location") != "/login" {
		t.Fatalf("reset: %d\n%s", r.resp.StatusCode, r.body)
	}
	again := b.post("/password/reset", url.Values{"_csrf": {form.csrf()}, "token": {token}, "password": {"another fine passphrase 9"}})
	if again.resp.StatusCode != 400 || text(again.doc.Find("#reset-error strong")) != fr.T("err.bad_link") {
		t.Fatalf("a spent link: %d %q", again.resp.StatusCode, text(again.doc.Find("#reset-error")))
	}
	loginAPI(t, w.app, "ada@coop.test", "quiet river stones 7")

	// The API: the same 202 for any address; confirm with the token.
	var bodies []string
	for _, email := range []string{"ada@coop.test", "nobody@coop.test", "not an address"} {
		resp, body := call(t, w.app, jsonRequest("POST", "/api/v1/password/reset", `{"email":"`+email+`"}`))
		if resp.StatusCode != 202 {
			t.Fatalf("API reset %s: %d %s", email, resp.StatusCode, body)
		}
		bodies = append(bodies, body)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("API answers differ: %q", bodies)
	}
	token = strings.TrimPrefix(linkIn(t, srv.WaitFor(t, "ada@coop.test", 2).Body), "/password/reset?token=")
	resp, body := call(t, w.app, jsonRequest("POST", "/api/v1/password/reset/confirm", `{"token":"`+token+`","password":"api chosen passphrase 5"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("API confirm: %d %s", resp.StatusCode, body)
	}
	loginAPI(t, w.app, "ada@coop.test", "api chosen passphrase 5")
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d emails sent, want 2 (none to unknown addresses)", n)
	}
	if strings.Contains(logs.String(), "coop_r_") {
		t.Fatal("a reset link reached the logs")
	}
}

// With no mail server, the forgotten-password page says to ask an
// operator, who issues a one-time reset link (page and API), shown once
// and never logged.
func TestPagesAccounts_OperatorResetLinkWithoutEmail(t *testing.T) {
	t.Parallel()
	env := openEnv(t)
	var logs bytes.Buffer
	env.deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	env.deps.PublicURL = "http://coop.test"
	w := webCoopOn(t, env)
	ada := w.member(t, "Ada", "ada@coop.test")
	fr := i18n.New().For("fr")
	if got := text(newBrowser(t, w.app, "fr").get("/password/forgot").testID("forgot-no-mail")); got != fr.T("forgot.no_mail") {
		t.Fatalf("forgot page without email: %q", got)
	}
	resp, body := call(t, w.app, jsonRequest("POST", "/api/v1/password/reset", `{"email":"ada@coop.test"}`))
	if resp.StatusCode != 503 {
		t.Fatalf("API reset without email: %d %s", resp.StatusCode, body)
	}

	op := newBrowser(t, w.app, "fr")
	op.cookies[sessionCookie] = w.login(t, "op@coop.test")
	if op.get("/ops/members/"+ada.ID).testID("reset-link-issue").Length() != 1 {
		t.Fatal("no reset-link button on the account's page")
	}
	p := op.post("/ops/members/"+ada.ID+"/reset-link", url.Values{"_csrf": {csrfToken(op.cookies[sessionCookie])}})
	link := text(p.testID("reset-link-url"))
	if p.resp.StatusCode != 201 || !strings.HasPrefix(link, "http://coop.test/password/reset?token=coop_r_") {
		t.Fatalf("operator's link: %d %q", p.resp.StatusCode, link)
	}
	u, _ := url.Parse(link)
	b := newBrowser(t, w.app, "fr")
	form := b.get(u.RequestURI())
	if r := b.post("/password/reset", url.Values{"_csrf": {form.csrf()}, "token": {u.Query().Get("token")}, "password": {"quiet river stones 7"}}); r.resp.StatusCode != 303 {
		t.Fatalf("reset with the operator's link: %d", r.resp.StatusCode)
	}
	loginAPI(t, w.app, "ada@coop.test", "quiet river stones 7")

	req := jsonRequest("POST", "/api/v1/members/"+ada.ID+"/reset-link", `{}`)
	req.Header.Set("Authorization", "Bearer "+w.login(t, "op@coop.test"))
	resp, body = call(t, w.app, req)
	var out struct {
		URL string `json:"url"`
	}
	json.Unmarshal([]byte(body), &out)
	if resp.StatusCode != 201 || !strings.Contains(out.URL, "token=coop_r_") {
		t.Fatalf("API reset link: %d %s", resp.StatusCode, body)
	}
	req = jsonRequest("POST", "/api/v1/members/"+ada.ID+"/reset-link", `{}`)
	req.Header.Set("Authorization", "Bearer "+w.login(t, "rosalind@coop.test")) // not an operator
	if resp, _ := call(t, w.app, req); resp.StatusCode != 403 {
		t.Fatalf("a member asks for a reset link: %d", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "coop_r_") {
		t.Fatal("a reset link reached the logs")
	}
}

// The API's sign-up logs in at once (the token is in the answer, with
// the id) and the account's name, email and password change by the API.
func TestAPI_SignupLogsInAndAccountChanges(t *testing.T) {
	t.Parallel()
	w, _, _ := mailCoop(t)
	resp, body := call(t, w.app, jsonRequest("POST", "/api/v1/signup", `{"name":"Ann","email":"ann@coop.test","password":"`+testPassword+`","accept_charter":true}`))
	var out struct {
		ID, Token string
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 201 || out.ID == "" || out.Token == "" {
		t.Fatalf("sign-up: %d %s", resp.StatusCode, body)
	}
	bearer := func(method, path, body string) (int, string) {
		req := jsonRequest(method, path, body)
		req.Header.Set("Authorization", "Bearer "+out.Token)
		resp, b := call(t, w.app, req)
		return resp.StatusCode, b
	}
	if code, body := bearer("GET", "/api/v1/me", ""); code != 200 || !strings.Contains(body, out.ID) {
		t.Fatalf("/me with the sign-up's token: %d %s", code, body)
	}
	if code, body := bearer("PATCH", "/api/v1/me", `{"email":"ann2@coop.test"}`); code != 403 {
		t.Fatalf("new email without the password: %d %s", code, body)
	}
	if code, body := bearer("PATCH", "/api/v1/me", `{"name":"Ann B","email":"ann2@coop.test","current_password":"`+testPassword+`"}`); code != 200 ||
		!strings.Contains(body, `"email":"ann2@coop.test"`) || !strings.Contains(body, `"name":"Ann B"`) {
		t.Fatalf("PATCH /me: %d %s", code, body)
	}
	if code, body := bearer("POST", "/api/v1/me/password", `{"current_password":"`+testPassword+`","new_password":"quiet river stones 7"}`); code != 200 {
		t.Fatalf("password: %d %s", code, body)
	}
	loginAPI(t, w.app, "ann2@coop.test", "quiet river stones 7")
}

// loginAPI logs in through the API or fails the test.
func loginAPI(t *testing.T, app *fiber.App, email, password string) {
	t.Helper()
	resp, body := call(t, app, jsonRequest("POST", "/api/v1/login", `{"email":"`+email+`","password":"`+password+`"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
}
