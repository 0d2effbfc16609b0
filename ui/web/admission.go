package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/pages"
	"coop/ui/server"
)

// applicantsFor is the queue of applicants as a sees it: every applicant
// with an admit button for an operator, the same names with sponsor
// buttons for a member when the rulebook admits by sponsorship.
func (w *web) applicantsFor(ctx context.Context, a members.Account) (pages.Applicants, error) {
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return pages.Applicants{}, err
	}
	list, err := w.Deps.Members.Applicants(ctx, a)
	if err != nil {
		return pages.Applicants{}, err
	}
	return pages.Applicants{List: list, Membership: rules.Rules.Membership, AsOperator: a.Has(members.RoleOperator)}, nil
}

// opsAdmitSubmit answers POST /ops/applicants/{id}/admit: an operator
// admits an applicant, as POST /api/v1/members/{id}/admit does.
func (w *web) opsAdmitSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	if err := w.Deps.Members.Admit(c.UserContext(), a, c.Params("id")); err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: "admitted"})
	return seeOther(c, "/ops#applicants")
}

// sponsorSubmit answers POST /me/applicants/{id}/sponsor: a member vouches
// for an applicant, as POST /api/v1/members/{id}/sponsor does.
func (w *web) sponsorSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me")
	}
	got, err := w.Deps.Members.Sponsor(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return w.renderMe(c, a, "", err)
	}
	notice := "sponsored"
	if got.Admitted {
		notice = "sponsored_admitted"
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/me#applicants")
}
