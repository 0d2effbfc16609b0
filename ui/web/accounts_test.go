package web_test

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
	"coop/ui/server"
	"coop/ui/uitest"
)

// mailCoop is a web coop that sends email through a real SMTP server on
// loopback, and keeps its logs.
func mailCoop(t *testing.T) (*uitest.Coop, *mailtest.Server, *bytes.Buffer) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	env := uitest.OpenEnv(t)
	var logs bytes.Buffer
	env.Deps.Mailer, env.Deps.PublicURL = sender, "http://coop.test"
	env.Deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	return uitest.CoopOn(t, env), srv, &logs
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
	b := uitest.NewBrowser(t, w.App, "fr")
	form := b.Get("/signup")
	p := b.Post("/signup", url.Values{"_csrf": {form.CSRF()}, "name": {"Zoé"}, "email": {"zoe@coop.test"},
		"password": {uitest.Password}, "accept_charter": {"yes"}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/me" || b.Cookies[server.SessionCookie] == "" {
		t.Fatalf("sign-up: %d %q\n%s", p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body)
	}
	me := b.Get("/me")
	if me.Resp.StatusCode != 200 || uitest.Text(me.TestID("notice")) != fr.T("notice.signed_up_verify") {
		t.Fatalf("after sign-up: %d %q", me.Resp.StatusCode, uitest.Text(me.TestID("notice")))
	}
	verify := srv.WaitFor(t, "zoe@coop.test", 1)
	if verify.Subject != fr.T("mail.verify.subject") || !strings.HasPrefix(verify.Body, "Bonjour Zoé,") {
		t.Fatalf("verification email %+v", verify)
	}

	acct := b.Get("/me/account")
	if uitest.Text(acct.TestID("email-status")) != fr.F("profile.verified", "zoe@coop.test") &&
		uitest.Text(acct.TestID("email-status")) != fr.F("profile.unverified", "zoe@coop.test") {
		t.Fatalf("email status %q", uitest.Text(acct.TestID("email-status")))
	}
	if acct.Doc.Find("#advanced [data-testid=token-form]").Length() != 1 || acct.Doc.Find("#profile [data-testid=profile-form]").Length() != 1 {
		t.Fatal("API tokens are not under advanced, or the profile form is missing")
	}
	checkForms(t, "/me/account", acct, server.CSRFToken(b.Cookies[server.SessionCookie]))
	v := b.Get(linkIn(t, verify.Body))
	if r := b.Post("/email/verify", url.Values{"_csrf": {v.CSRF()}, "token": {v.Doc.Find(`input[name="token"]`).AttrOr("value", "")}}); r.Resp.StatusCode != 303 {
		t.Fatalf("verify: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if got := uitest.Text(b.Get("/me/account").TestID("email-status")); got != fr.F("profile.verified", "zoe@coop.test") {
		t.Fatalf("after the link: %q", got)
	}

	csrf := url.Values{"_csrf": {server.CSRFToken(b.Cookies[server.SessionCookie])}}
	with := func(kv ...string) url.Values {
		out := url.Values{"_csrf": csrf["_csrf"]}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	if r := b.Post("/me/profile", with("name", "Zoé Martin", "email", "zoe@coop.test")); r.Resp.StatusCode != 303 {
		t.Fatalf("rename: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	r := b.Post("/me/profile", with("name", "Zoé Martin", "email", "zoe.martin@coop.test", "current_password", "wrong wrong wrong"))
	if r.Resp.StatusCode != 403 || uitest.Text(r.Doc.Find("#profile-error strong")) != fr.T("err.current_password") ||
		r.TestID("profile-email").AttrOr("value", "") != "zoe.martin@coop.test" {
		t.Fatalf("a new address with a wrong password: %d %q", r.Resp.StatusCode, uitest.Text(r.Doc.Find("#profile-error")))
	}
	if r := b.Post("/me/profile", with("name", "Zoé Martin", "email", "zoe.martin@coop.test", "current_password", uitest.Password)); r.Resp.StatusCode != 303 {
		t.Fatalf("new address: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	srv.WaitFor(t, "zoe.martin@coop.test", 1)
	if got := uitest.Text(b.Get("/me/account").TestID("email-status")); got != fr.F("profile.unverified", "zoe.martin@coop.test") {
		t.Fatalf("a new address is unverified: %q", got)
	}

	other := w.Login(t, "zoe.martin@coop.test")
	r = b.Post("/me/password", with("current_password", "wrong wrong wrong", "new_password", "quiet river stones 7"))
	if r.Resp.StatusCode != 403 || uitest.Text(r.Doc.Find("#password-error strong")) != fr.T("err.current_password") {
		t.Fatalf("wrong current password: %d", r.Resp.StatusCode)
	}
	before := b.Cookies[server.SessionCookie]
	if r := b.Post("/me/password", with("current_password", uitest.Password, "new_password", "quiet river stones 7")); r.Resp.StatusCode != 303 {
		t.Fatalf("change password: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if b.Cookies[server.SessionCookie] == before || b.Get("/me/account").Resp.StatusCode != 200 {
		t.Fatal("this browser is not logged in again after its password change")
	}
	if _, err := w.Members.Authenticate(t.Context(), other); err == nil {
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
	w.Member(t, "Ada", "ada@coop.test")
	fr := i18n.New().For("fr")
	b := uitest.NewBrowser(t, w.App, "fr")
	if href := b.Get("/login").TestID("forgot-link").AttrOr("href", ""); href != "/password/forgot" {
		t.Fatalf("no forgotten-password link on the login page: %q", href)
	}
	answer := func(email string) string {
		form := b.Get("/password/forgot")
		p := b.Post("/password/forgot", url.Values{"_csrf": {form.CSRF()}, "email": {email}})
		if p.Resp.StatusCode != 200 {
			t.Fatalf("forgot %s: %d", email, p.Resp.StatusCode)
		}
		return uitest.Text(p.TestID("forgot-sent"))
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
	form := b.Get(link)
	token := form.Doc.Find(`input[name="token"]`).AttrOr("value", "")
	weak := b.Post("/password/reset", url.Values{"_csrf": {form.CSRF()}, "token": {token}, "password": {"password1234"}})
	if weak.Resp.StatusCode != 400 {
		t.Fatalf("weak password: %d", weak.Resp.StatusCode)
	}
	if r := b.Post("/password/reset", url.Values{"_csrf": {form.CSRF()}, "token": {token}, "password": {"quiet river stones 7"}}); r.Resp.StatusCode != 303 || r.Resp.Header.Get("Location") != "/login" {
		t.Fatalf("reset: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	again := b.Post("/password/reset", url.Values{"_csrf": {form.CSRF()}, "token": {token}, "password": {"another fine passphrase 9"}})
	if again.Resp.StatusCode != 400 || uitest.Text(again.Doc.Find("#reset-error strong")) != fr.T("err.bad_link") {
		t.Fatalf("a spent link: %d %q", again.Resp.StatusCode, uitest.Text(again.Doc.Find("#reset-error")))
	}
	loginAPI(t, w.App, "ada@coop.test", "quiet river stones 7")

	// The API: the same 202 for any address; confirm with the token.
	var bodies []string
	for _, email := range []string{"ada@coop.test", "nobody@coop.test", "not an address"} {
		resp, body := uitest.Call(t, w.App, uitest.JSONRequest("POST", "/api/v1/password/reset", `{"email":"`+email+`"}`))
		if resp.StatusCode != 202 {
			t.Fatalf("API reset %s: %d %s", email, resp.StatusCode, body)
		}
		bodies = append(bodies, body)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("API answers differ: %q", bodies)
	}
	token = strings.TrimPrefix(linkIn(t, srv.WaitFor(t, "ada@coop.test", 2).Body), "/password/reset?token=")
	resp, body := uitest.Call(t, w.App, uitest.JSONRequest("POST", "/api/v1/password/reset/confirm", `{"token":"`+token+`","password":"api chosen passphrase 5"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("API confirm: %d %s", resp.StatusCode, body)
	}
	loginAPI(t, w.App, "ada@coop.test", "api chosen passphrase 5")
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
	env := uitest.OpenEnv(t)
	var logs bytes.Buffer
	env.Deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	env.Deps.PublicURL = "http://coop.test"
	w := uitest.CoopOn(t, env)
	ada := w.Member(t, "Ada", "ada@coop.test")
	fr := i18n.New().For("fr")
	if got := uitest.Text(uitest.NewBrowser(t, w.App, "fr").Get("/password/forgot").TestID("forgot-no-mail")); got != fr.T("forgot.no_mail") {
		t.Fatalf("forgot page without email: %q", got)
	}
	resp, body := uitest.Call(t, w.App, uitest.JSONRequest("POST", "/api/v1/password/reset", `{"email":"ada@coop.test"}`))
	if resp.StatusCode != 503 {
		t.Fatalf("API reset without email: %d %s", resp.StatusCode, body)
	}

	op := uitest.NewBrowser(t, w.App, "fr")
	op.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	if op.Get("/ops/members/"+ada.ID).TestID("reset-link-issue").Length() != 1 {
		t.Fatal("no reset-link button on the account's page")
	}
	p := op.Post("/ops/members/"+ada.ID+"/reset-link", url.Values{"_csrf": {server.CSRFToken(op.Cookies[server.SessionCookie])}})
	link := uitest.Text(p.TestID("reset-link-url"))
	if p.Resp.StatusCode != 201 || !strings.HasPrefix(link, "http://coop.test/password/reset?token=coop_r_") {
		t.Fatalf("operator's link: %d %q", p.Resp.StatusCode, link)
	}
	u, _ := url.Parse(link)
	b := uitest.NewBrowser(t, w.App, "fr")
	form := b.Get(u.RequestURI())
	if r := b.Post("/password/reset", url.Values{"_csrf": {form.CSRF()}, "token": {u.Query().Get("token")}, "password": {"quiet river stones 7"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("reset with the operator's link: %d", r.Resp.StatusCode)
	}
	loginAPI(t, w.App, "ada@coop.test", "quiet river stones 7")

	req := uitest.JSONRequest("POST", "/api/v1/members/"+ada.ID+"/reset-link", `{}`)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "op@coop.test"))
	resp, body = uitest.Call(t, w.App, req)
	var out struct {
		URL string `json:"url"`
	}
	json.Unmarshal([]byte(body), &out)
	if resp.StatusCode != 201 || !strings.Contains(out.URL, "token=coop_r_") {
		t.Fatalf("API reset link: %d %s", resp.StatusCode, body)
	}
	req = uitest.JSONRequest("POST", "/api/v1/members/"+ada.ID+"/reset-link", `{}`)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "rosalind@coop.test")) // not an operator
	if resp, _ := uitest.Call(t, w.App, req); resp.StatusCode != 403 {
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
	resp, body := uitest.Call(t, w.App, uitest.JSONRequest("POST", "/api/v1/signup", `{"name":"Ann","email":"ann@coop.test","password":"`+uitest.Password+`","accept_charter":true}`))
	var out struct {
		ID, Token string
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 201 || out.ID == "" || out.Token == "" {
		t.Fatalf("sign-up: %d %s", resp.StatusCode, body)
	}
	bearer := func(method, path, body string) (int, string) {
		req := uitest.JSONRequest(method, path, body)
		req.Header.Set("Authorization", "Bearer "+out.Token)
		resp, b := uitest.Call(t, w.App, req)
		return resp.StatusCode, b
	}
	if code, body := bearer("GET", "/api/v1/me", ""); code != 200 || !strings.Contains(body, out.ID) {
		t.Fatalf("/me with the sign-up's token: %d %s", code, body)
	}
	if code, body := bearer("PATCH", "/api/v1/me", `{"email":"ann2@coop.test"}`); code != 403 {
		t.Fatalf("new email without the password: %d %s", code, body)
	}
	if code, body := bearer("PATCH", "/api/v1/me", `{"name":"Ann B","email":"ann2@coop.test","current_password":"`+uitest.Password+`"}`); code != 200 ||
		!strings.Contains(body, `"email":"ann2@coop.test"`) || !strings.Contains(body, `"name":"Ann B"`) {
		t.Fatalf("PATCH /me: %d %s", code, body)
	}
	if code, body := bearer("POST", "/api/v1/me/password", `{"current_password":"`+uitest.Password+`","new_password":"quiet river stones 7"}`); code != 200 {
		t.Fatalf("password: %d %s", code, body)
	}
	loginAPI(t, w.App, "ann2@coop.test", "quiet river stones 7")
}

// loginAPI logs in through the API or fails the test.
func loginAPI(t *testing.T, app *fiber.App, email, password string) {
	t.Helper()
	resp, body := uitest.Call(t, app, uitest.JSONRequest("POST", "/api/v1/login", `{"email":"`+email+`","password":"`+password+`"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
}
