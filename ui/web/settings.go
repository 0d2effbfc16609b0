package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/components"
	"coop/ui/pages"
	"coop/ui/server"
)

// settingsPage answers GET /me/account: the member's API tokens, the
// export and the erasure of the account.
func (w *web) settingsPage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	return w.renderSettings(c, a, settingsForm{})
}

// settingsForm is what a form of the account page leaves for the page
// drawn after it: a new token to show once, or a refusal.
type settingsForm struct {
	newToken    *members.NewToken
	token       *pages.TokenForm // the refused token form, kept; nil: the defaults
	tokenErr    error
	eraseErr    error
	profileErr  error
	passwordErr error
	// typed is the refused profile form's name and email, kept.
	typedName, typedEmail string
}

func (w *web) renderSettings(c *fiber.Ctx, a members.Account, f settingsForm) error {
	p := w.page(c, "me", "settings.title")
	toks, err := w.Deps.Members.Tokens(c.UserContext(), a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	form := pages.TokenForm{Scopes: []members.Scope{members.ScopeRead}, Days: members.DefaultTokenDays}
	if f.token != nil {
		form = *f.token
	}
	form.Operator = a.Has(members.RoleOperator)
	verified, err := w.Deps.Members.EmailVerified(c.UserContext(), a)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.Settings{Page: p, Account: a, Tokens: toks, NewToken: f.newToken, TokenForm: form,
		EmailVerified: verified, MailEnabled: w.Deps.Mailer != nil}
	status := fiber.StatusOK
	if f.profileErr != nil {
		status, v.ProfileError = w.formError(c, p.Tr, f.profileErr)
		v.Account.Name, v.Account.Email = f.typedName, f.typedEmail
	}
	if f.passwordErr != nil {
		status, v.PasswordError = w.formError(c, p.Tr, f.passwordErr)
	}
	if f.newToken != nil {
		status = fiber.StatusCreated
	}
	if f.tokenErr != nil {
		status, v.TokenError = w.formError(c, p.Tr, f.tokenErr)
	}
	if f.eraseErr != nil {
		status, v.EraseError = w.formError(c, p.Tr, f.eraseErr)
	}
	return w.render(c, status, pages.SettingsPage(v))
}

// tokenSubmit answers POST /me/tokens (name, scope..., expires_in_days):
// the new token is shown on the page this once; coop keeps only its hash.
func (w *web) tokenSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	in := members.TokenRequest{Name: c.FormValue("name"), Scopes: []string{}}
	for _, s := range c.Context().PostArgs().PeekMulti("scope") {
		in.Scopes = append(in.Scopes, string(s))
	}
	days, err := strconv.Atoi(c.FormValue("expires_in_days", strconv.Itoa(members.DefaultTokenDays)))
	if err != nil {
		days = -1 // refused with the sentence of the service
	}
	in.ExpiresInDays = days
	tok, err := w.Deps.Members.CreateToken(c.UserContext(), a, in)
	if err != nil {
		kept := pages.TokenForm{Name: in.Name, Days: days}
		for _, s := range in.Scopes {
			kept.Scopes = append(kept.Scopes, members.Scope(s))
		}
		return w.renderSettings(c, a, settingsForm{token: &kept, tokenErr: err})
	}
	return w.renderSettings(c, a, settingsForm{newToken: &tok})
}

// tokenRevokeSubmit answers POST /me/tokens/{id}/revoke.
func (w *web) tokenRevokeSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	if err := w.Deps.Members.RevokeToken(c.UserContext(), a, c.Params("id")); err != nil {
		return w.renderSettings(c, a, settingsForm{tokenErr: err})
	}
	setFlash(c, flash{Notice: "token_revoked"})
	return seeOther(c, "/me/account#tokens")
}

// profileSubmit answers POST /me/profile (name, email, current_password):
// the member's name and email, as PATCH /api/v1/me.
func (w *web) profileSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	name, email := c.FormValue("name"), c.FormValue("email")
	updated, err := w.Deps.Members.UpdateProfile(c.UserContext(), a, name, email, c.FormValue("current_password"))
	if err == nil && updated.Email != a.Email {
		err = w.SendVerification(c.UserContext(), updated, server.Lang(c))
	}
	if err != nil {
		return w.renderSettings(c, a, settingsForm{profileErr: err, typedName: name, typedEmail: email})
	}
	notice := "profile_saved"
	if updated.Email != a.Email && w.Deps.Mailer != nil {
		notice = "profile_saved_verify"
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/me/account#profile")
}

// passwordSubmit answers POST /me/password (current_password,
// new_password): the sessions end and this browser gets a new one.
func (w *web) passwordSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	if err := w.Relogin(c, a, c.FormValue("current_password"), c.FormValue("new_password")); err != nil {
		return w.renderSettings(c, a, settingsForm{passwordErr: err})
	}
	setFlash(c, flash{Notice: "password_changed"})
	return seeOther(c, "/me/account#password")
}

// verifyResendSubmit answers POST /me/email/verification: a new link to
// the member's address.
func (w *web) verifyResendSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	err := server.ErrNoMail()
	if w.Deps.Mailer != nil {
		err = w.SendVerification(c.UserContext(), a, server.Lang(c))
	}
	if err != nil {
		return w.renderSettings(c, a, settingsForm{profileErr: err, typedName: a.Name, typedEmail: a.Email})
	}
	setFlash(c, flash{Notice: "verification_sent"})
	return seeOther(c, "/me/account#profile")
}

// eraseSubmit answers POST /me/delete (email=the account's address,
// confirm=yes): the account stops at once and its pooled data is erased,
// as DELETE /api/v1/me does.
func (w *web) eraseSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/account")
	}
	if c.FormValue("confirm") != "yes" || !strings.EqualFold(strings.TrimSpace(c.FormValue("email")), a.Email) {
		return w.renderSettings(c, a, settingsForm{eraseErr: server.Invalid("erase_confirm", "to erase your account, type its email address and tick the box").On("confirm_email")})
	}
	if err := w.Deps.Members.DeleteAccount(c.UserContext(), a, a.ID); err != nil {
		return w.renderSettings(c, a, settingsForm{eraseErr: err})
	}
	c.ClearCookie(server.SessionCookie)
	setFlash(c, flash{Notice: "account_erased"})
	return seeOther(c, "/")
}

// chartersPage answers GET /me/charter: the charters the account's roles
// call for, to read and sign.
func (w *web) chartersPage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/charter")
	}
	return w.renderCharters(c, a, nil)
}

func (w *web) renderCharters(c *fiber.Ctx, a members.Account, formErr error) error {
	p := w.page(c, "me", "charters.title")
	v := pages.Charters{Page: p, Current: a.CharterCurrent}
	for _, kind := range chartersOf(a) {
		ch, err := members.CurrentCharter(kind, p.Tr.Lang)
		if err != nil {
			return w.errorPage(c, err)
		}
		v.Charters = append(v.Charters, pages.CharterView{Kind: string(kind), Version: ch.Version, Text: components.ParseText(ch.Text)})
	}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.ChartersPage(v))
}

// chartersOf lists the charters an account's roles call for.
func chartersOf(a members.Account) []members.CharterKind {
	var out []members.CharterKind
	if a.Contributes() || a.Has(members.RoleResearcher) {
		out = append(out, members.CharterMember)
	}
	if a.Has(members.RoleOperator) {
		out = append(out, members.CharterOperator)
	}
	return out
}

// charterSubmit answers POST /me/charter (kind, accept=yes): the current
// version is signed in the page's language.
func (w *web) charterSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/charter")
	}
	if c.FormValue("accept") != "yes" {
		return w.renderCharters(c, a, server.Invalid("charter_tick", "tick the box to sign the charter").On("accept"))
	}
	if err := w.Deps.Members.SignCharter(c.UserContext(), a, members.CharterKind(c.FormValue("kind")), server.Lang(c)); err != nil {
		return w.renderCharters(c, a, err)
	}
	setFlash(c, flash{Notice: "charter_signed"})
	return seeOther(c, "/me")
}
