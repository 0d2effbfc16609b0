package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
)

// FormCookie holds a random seed for the forms of visitors who are not
// logged in (sign-up, login): their _csrf field must match it (a
// double-submit cookie: HttpOnly, SameSite=Lax, so another site can
// neither read it nor send it with a cross-site post), so another site
// cannot post them (login CSRF). server.RefuseCrossSite also refuses any page form
// a browser says comes from another site, which covers a cookie planted
// by a sibling subdomain. Logged-in forms use the session's token, which
// the Authenticate middleware (ui/server) checks.
const (
	FormCookie     = "coop_form"
	localFormToken = "ui.form_token"
)

// formToken is the _csrf value of the forms on this page.
func (w *web) formToken(c *fiber.Ctx) string {
	if tok, ok := server.BrowserSession(c); ok {
		return server.CSRFToken(tok)
	}
	if t, ok := c.Locals(localFormToken).(string); ok {
		return t
	}
	seed := c.Cookies(FormCookie)
	if len(seed) != 32 {
		var b [16]byte
		rand.Read(b[:])
		seed = hex.EncodeToString(b[:])
		c.Cookie(&fiber.Cookie{Name: FormCookie, Value: seed, Path: "/", HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
	}
	t := server.CSRFToken(seed)
	c.Locals(localFormToken, t)
	return t
}

// formAllowed tells whether a posted form carries a valid _csrf. With a
// session cookie the middleware has checked it already.
func formAllowed(c *fiber.Ctx) bool {
	if _, ok := server.BrowserSession(c); ok {
		return true
	}
	seed := c.Cookies(FormCookie)
	if seed == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.FormValue(server.CSRFField)), []byte(server.CSRFToken(seed))) == 1
}
