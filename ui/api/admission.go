package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
)

// admit answers POST /api/v1/members/{id}/admit (operators): the
// applicant becomes a member who votes, as the rulebook's
// membership.admission allows.
func (s *api) admit(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	if err := s.Deps.Members.Admit(c.UserContext(), a, c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"admitted": true})
}

// sponsor answers POST /api/v1/members/{id}/sponsor (admitted members,
// under membership.admission "sponsors"): how many sponsors the applicant
// has now, how many admission needs, and whether they are admitted.
func (s *api) sponsor(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	got, err := s.Deps.Members.Sponsor(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(got)
}

// listApplicants answers GET /api/v1/members/applicants: to operators, and
// to members when the rulebook admits by sponsorship.
func (s *api) listApplicants(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	list, err := s.Deps.Members.Applicants(c.UserContext(), a)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"applicants": list})
}

// membershipJournal answers GET /api/v1/members/journal?page=N (members
// and operators): every admission, sponsorship and role change, who made
// it and when, newest first, with the counts of each month.
func (s *api) membershipJournal(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	j, err := s.Deps.Members.MembershipJournal(c.UserContext(), a, c.QueryInt("page", 1))
	if err != nil {
		return err
	}
	return c.JSON(j)
}
