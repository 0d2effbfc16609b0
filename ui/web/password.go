package web

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"coop/ui/pages"
	"coop/ui/server"
)

// forgotPage answers GET /password/forgot: the address a reset link goes
// to (or, without email, the advice to ask an operator).
func (w *web) forgotPage(c *fiber.Ctx) error {
	return w.renderForgot(c, pages.Forgot{}, nil)
}

// forgotSubmit answers POST /password/forgot (email): the same page and
// words for any address; the link leaves by email when an account uses it.
func (w *web) forgotSubmit(c *fiber.Ctx) error {
	email := c.FormValue("email")
	if !formAllowed(c) {
		return w.renderForgot(c, pages.Forgot{Email: email}, server.CSRFRefused())
	}
	if w.Deps.Mailer == nil {
		return w.renderForgot(c, pages.Forgot{}, nil)
	}
	w.IssueReset(email, server.Lang(c))
	return w.renderForgot(c, pages.Forgot{Sent: true}, nil)
}

func (w *web) renderForgot(c *fiber.Ctx, v pages.Forgot, formErr error) error {
	v.Page = w.page(c, "login", "forgot.title")
	v.MailEnabled = w.Deps.Mailer != nil
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, v.Page.Tr, formErr)
	}
	return w.render(c, status, pages.ForgotPage(v))
}

// resetPage answers GET /password/reset?token=: the new password's form.
func (w *web) resetPage(c *fiber.Ctx) error {
	return w.renderLinkForm(c, "reset.title", c.Query("token"), nil, pages.ResetPage)
}

// resetSubmit answers POST /password/reset (token, password): on success,
// to the login page.
func (w *web) resetSubmit(c *fiber.Ctx) error {
	token := c.FormValue("token")
	if !formAllowed(c) {
		return w.renderLinkForm(c, "reset.title", token, server.CSRFRefused(), pages.ResetPage)
	}
	if err := w.Deps.Members.ResetPassword(c.UserContext(), token, c.FormValue("password")); err != nil {
		return w.renderLinkForm(c, "reset.title", token, err, pages.ResetPage)
	}
	if tok, ok := server.BrowserSession(c); ok { // the reset ended every session, this one too
		w.Deps.Members.Logout(c.UserContext(), tok)
		c.ClearCookie(server.SessionCookie)
	}
	setFlash(c, flash{Notice: "password_reset"})
	return seeOther(c, "/login")
}

// verifyPage answers GET /email/verify?token=: a button confirms.
func (w *web) verifyPage(c *fiber.Ctx) error {
	return w.renderLinkForm(c, "verify.title", c.Query("token"), nil, pages.VerifyPage)
}

// verifySubmit answers POST /email/verify (token).
func (w *web) verifySubmit(c *fiber.Ctx) error {
	token := c.FormValue("token")
	if !formAllowed(c) {
		return w.renderLinkForm(c, "verify.title", token, server.CSRFRefused(), pages.VerifyPage)
	}
	if err := w.Deps.Members.VerifyEmail(c.UserContext(), token); err != nil {
		return w.renderLinkForm(c, "verify.title", token, err, pages.VerifyPage)
	}
	setFlash(c, flash{Notice: "email_verified"})
	if _, ok := server.Actor(c); ok {
		return seeOther(c, "/me/account#profile")
	}
	return seeOther(c, "/login")
}

func (w *web) renderLinkForm(c *fiber.Ctx, titleKey, token string, formErr error, page func(pages.LinkForm) templ.Component) error {
	v := pages.LinkForm{Page: w.page(c, "", titleKey), Token: token}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, v.Page.Tr, formErr)
	}
	return w.render(c, status, page(v))
}

// opsResetLinkSubmit answers POST /ops/members/{id}/reset-link: the
// account's one-time reset link, shown to the operator this once.
func (w *web) opsResetLinkSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	link, err := w.Deps.Members.IssueResetFor(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return w.renderOpsMember(c, a, c.Params("id"), err)
	}
	p := w.page(c, "ops", "ops.title")
	return w.render(c, fiber.StatusCreated, pages.ResetLinkPage(pages.ResetLink{Page: p, Name: link.Account.Name,
		URL: w.LinkURL("/password/reset", link.Token), ExpiresAt: link.ExpiresAt}))
}
