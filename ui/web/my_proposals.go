package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/proposals"
	"coop/ui/pages"
	"coop/ui/server"
)

// myProposalsPage answers GET /me/proposals: a researcher's proposals and
// grants, with the privacy budget each has left.
func (w *web) myProposalsPage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/proposals")
	}
	list, err := w.Deps.Proposals.ByRequester(c.UserContext(), a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.MyProposals{Page: w.page(c, "mine", "mine.title")}
	for _, p := range list {
		row := pages.MyProposal{Item: proposalItems([]proposals.Proposal{p})[0]}
		if g := p.Grant; g != nil {
			row.Grant = &pages.GrantView{EpsilonTotal: g.EpsilonTotal, EpsilonLeft: g.BudgetLeft, ExpiresAt: g.ExpiresAt}
		}
		v.Proposals = append(v.Proposals, row)
	}
	return w.render(c, fiber.StatusOK, pages.MyProposalsPage(v))
}
