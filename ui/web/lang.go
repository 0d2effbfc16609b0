package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// langCookie keeps the language a visitor chose; lang reads it before
// Accept-Language.
const langCookie = "lang"

// switchLang answers GET /lang/{fr|en}?next=PATH: it remembers the choice
// for a year and goes back to the page.
func (w *web) switchLang(c *fiber.Ctx) error {
	l := c.Params("lang")
	if l != "fr" && l != "en" {
		return fiber.ErrNotFound
	}
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: l, Path: "/", Expires: time.Now().AddDate(1, 0, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
	return seeOther(c, safeNext(c.Query("next"), "/"))
}
