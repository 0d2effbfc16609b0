package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/server"
)

// runRetention answers POST /api/v1/retention/runs (operators): one
// retention run now (coop also runs one every hour), with what it removed.
func (s *api) runRetention(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return err
	}
	rep, err := s.Deps.Members.RunRetention(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// accessJournalLimit bounds the access journal one request reads.
const accessJournalLimit = 200

// accessJournal answers GET /api/v1/journal (operators): the latest uses
// of pooled data with the number of members each touched, never who.
func (s *api) accessJournal(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return err
	}
	list, err := s.Deps.Pools.AccessSummary(c.UserContext(), accessJournalLimit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"accesses": list})
}
