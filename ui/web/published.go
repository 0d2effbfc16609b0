package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/proposals"
	"coop/ui/pages"
)

// publishedPage answers GET /results: public, the latest released run of
// every knowledge proposal that passed (newest proposals first, the
// first page of each status). A reuse proposal's results are its
// requester's only: never here.
func (w *web) publishedPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := w.page(c, "results", "published.title")
	v := pages.Published{Page: p}
	for _, status := range []proposals.Status{proposals.StatusPassed, proposals.StatusExpired} {
		list, _, err := w.Deps.Proposals.List(ctx, string(status), 1)
		if err != nil {
			return w.errorPage(c, err)
		}
		for _, prop := range list {
			if prop.Kind != "knowledge" || prop.Query == nil {
				continue
			}
			results, err := w.Deps.Proposals.Results(ctx, members.Account{}, prop.ID)
			if err != nil {
				return w.errorPage(c, err)
			}
			if len(results) == 0 {
				continue
			}
			v.Items = append(v.Items, pages.PublishedItem{ID: prop.ID, Title: prop.Title, ClosedAt: prop.ClosedAt,
				Runs: len(results), Latest: resultView(p.Tr, w.poolOf(ctx, prop.Pool), prop, results[0], len(v.Items))})
		}
	}
	return w.render(c, fiber.StatusOK, pages.PublishedPage(v))
}
