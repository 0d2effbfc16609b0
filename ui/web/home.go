package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/proposals"
	"coop/ui/pages"
)

// homeOpenMax bounds the open votes the front page lists.
const homeOpenMax = 10

// homePage answers GET /: what the cooperative is, the votes open now.
func (w *web) homePage(c *fiber.Ctx) error {
	p := w.page(c, "home", "home.title")
	open, _, err := w.Deps.Proposals.List(c.UserContext(), string(proposals.StatusOpen), 1)
	if err != nil {
		return w.errorPage(c, err)
	}
	pools, err := w.Deps.Pools.Pools(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	if len(open) > homeOpenMax {
		open = open[:homeOpenMax]
	}
	return w.render(c, fiber.StatusOK, pages.HomePage(pages.Home{Page: p, Open: proposalItems(open), Pools: len(pools)}))
}
