package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/pages"
)

// opsMemberPage answers GET /ops/members/{id} (operators): one account,
// with what an operator may do with it; the list on /ops stays compact.
func (w *web) opsMemberPage(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, c.OriginalURL())
	if !ok {
		return err
	}
	return w.renderOpsMember(c, a, c.Params("id"), nil)
}

// renderOpsMember draws an account's page for operators; formErr is a
// refused change, shown above the forms with its status.
func (w *web) renderOpsMember(c *fiber.Ctx, a members.Account, id string, formErr error) error {
	ctx := c.UserContext()
	acct, err := w.Deps.Members.Get(ctx, id)
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "ops", "ops.title")
	p.Title = acct.Name
	v := pages.OpsMember{Page: p, Account: acct, Self: a.ID, ResetLinks: w.Deps.Mailer == nil}
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	v.Colleges = rules.Rules.Colleges
	since, ok, err := w.Deps.Members.MemberSince(ctx, acct.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	if ok {
		v.MemberSince = p.Tr.Date(since)
	}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.OpsMemberPage(v))
}
