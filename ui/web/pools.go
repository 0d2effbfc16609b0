package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/ui/pages"
	"coop/ui/server"
)

// poolsPage answers GET /pools: every pool, public.
func (w *web) poolsPage(c *fiber.Ctx) error {
	p := w.page(c, "pools", "pools.title")
	pools, err := w.Deps.Pools.Pools(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	return w.render(c, fiber.StatusOK, pages.PoolsPage(pages.Pools{Page: p, Pools: pools}))
}

// poolPage answers GET /pools/{id}: the schema and the documentation.
func (w *web) poolPage(c *fiber.Ctx) error {
	pool, err := w.Deps.Pools.Pool(c.UserContext(), c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "pools", "pools.title")
	p.Title = pool.TitleIn(p.Tr.Lang)
	return w.render(c, fiber.StatusOK, pages.PoolPage(pages.Pool{Page: p, Pool: pool}))
}

// consentSubmit answers POST /pools/{id}/consent (granted=true|false):
// the member's one click to grant or withdraw, back to the dashboard.
func (w *web) consentSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me")
	}
	pool := c.Params("id")
	var granted bool
	switch c.FormValue("granted") {
	case "true":
		granted = true
	case "false":
	default:
		return w.renderMe(c, a, pool, server.Invalid("granted_required", "granted (true or false) is required"))
	}
	if _, err := server.RequireContributor(c); err != nil {
		return w.renderMe(c, a, pool, err)
	}
	if _, err := w.Deps.Pools.SetConsent(c.UserContext(), a.ID, pool, granted); err != nil {
		return w.renderMe(c, a, pool, err)
	}
	notice := "consent_withdrawn"
	if granted {
		notice = "consent_granted"
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/me#pool-"+pool)
}
