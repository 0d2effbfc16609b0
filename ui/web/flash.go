package web

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// flashCookie carries a one-time message from a form's redirect to the
// page it lands on; the page clears it.
const flashCookie = "coop_flash"

// flash is that message: a notice key, or a ballot's receipt (shown once,
// on the proposal's page only).
type flash struct {
	Notice   string
	Proposal string
	Choice   string
	Receipt  string
	Count    int // the number a counted notice speaks of (records added)
}

func setFlash(c *fiber.Ctx, f flash) {
	v := url.Values{}
	v.Set("n", f.Notice)
	v.Set("p", f.Proposal)
	v.Set("c", f.Choice)
	v.Set("r", f.Receipt)
	if f.Count != 0 {
		v.Set("k", strconv.Itoa(f.Count))
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(v.Encode())),
		Path: "/", MaxAge: 120, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
}

func readFlash(c *fiber.Ctx) (flash, bool) {
	raw := c.Cookies(flashCookie)
	if raw == "" {
		return flash{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return flash{}, true
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return flash{}, true
	}
	count, _ := strconv.Atoi(v.Get("k"))
	return flash{Notice: v.Get("n"), Proposal: v.Get("p"), Choice: v.Get("c"), Receipt: v.Get("r"), Count: count}, true
}

func clearFlash(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
}
