package web

import (
	"github.com/gofiber/fiber/v2"
)

// asset answers GET /static/{name}.{hash}.{ext}: the URL changes with the
// content, so the browser may keep it for a year.
func (w *web) asset(c *fiber.Ctx) error {
	a, ok := w.assets.Lookup(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(a.Body)
}
