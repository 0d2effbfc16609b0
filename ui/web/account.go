package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/components"
	"coop/ui/pages"
	"coop/ui/server"
)

// signupPage answers GET /signup: the form and the member charter.
func (w *web) signupPage(c *fiber.Ctx) error {
	return w.renderSignup(c, "", "", nil)
}

// signupSubmit answers POST /signup: on success the person is logged in
// and lands on their dashboard.
func (w *web) signupSubmit(c *fiber.Ctx) error {
	name, email := c.FormValue("name"), c.FormValue("email")
	if !formAllowed(c) {
		return w.renderSignup(c, name, email, server.CSRFRefused())
	}
	in := members.SignupInput{Name: name, Email: email, Password: c.FormValue("password"),
		AcceptCharter: c.FormValue("accept_charter") != "", Lang: server.Lang(c)}
	a, err := w.Deps.Members.SignUp(c.UserContext(), in)
	if err != nil {
		return w.renderSignup(c, name, email, err)
	}
	sess, err := w.SignedUp(c, in, a)
	if err != nil {
		// The account exists: the login page is the way on.
		setFlash(c, flash{Notice: "signed_up_login"})
		return seeOther(c, "/login")
	}
	server.SetSessionCookie(c, sess.Token, sess.ExpiresAt)
	notice := "signed_up"
	if w.Deps.Mailer != nil {
		notice = "signed_up_verify"
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/me")
}

func (w *web) renderSignup(c *fiber.Ctx, name, email string, formErr error) error {
	p := w.page(c, "signup", "signup.title")
	charter, err := members.CurrentCharter(members.CharterMember, p.Tr.Lang)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.Signup{Page: p, Name: name, Email: email, Charter: components.ParseText(charter.Text), Version: charter.Version}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.SignupPage(v))
}

// loginPage answers GET /login[?next=PATH].
func (w *web) loginPage(c *fiber.Ctx) error {
	return w.renderLogin(c, "", safeNext(c.Query("next"), ""), nil)
}

// loginSubmit answers POST /login: the session cookie, then the page the
// visitor came for (their dashboard by default).
func (w *web) loginSubmit(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), safeNext(c.FormValue("next"), "")
	if !formAllowed(c) {
		return w.renderLogin(c, email, next, server.CSRFRefused())
	}
	sess, err := w.Deps.Members.Login(c.UserContext(), members.LoginInput{Email: email, Password: c.FormValue("password"), Address: w.ClientIP(c)})
	if err != nil {
		return w.renderLogin(c, email, next, err)
	}
	server.SetSessionCookie(c, sess.Token, sess.ExpiresAt)
	return seeOther(c, safeNext(next, "/me"))
}

func (w *web) renderLogin(c *fiber.Ctx, email, next string, formErr error) error {
	p := w.page(c, "login", "login.title")
	v := pages.Login{Page: p, Email: strings.TrimSpace(email), Next: next}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.LoginPage(v))
}

// logoutSubmit answers POST /logout: the session ends, back to the front
// page.
func (w *web) logoutSubmit(c *fiber.Ctx) error {
	if tok, ok := server.BrowserSession(c); ok {
		if err := w.Deps.Members.Logout(c.UserContext(), tok); err != nil {
			return w.errorPage(c, err)
		}
	}
	c.ClearCookie(server.SessionCookie)
	setFlash(c, flash{Notice: "logged_out"})
	return seeOther(c, "/")
}
