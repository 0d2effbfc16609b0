package ui

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
)

// runRetention answers POST /api/v1/retention/runs (operators): one
// retention run now (coop also runs one every hour), with what it removed.
func (s *server) runRetention(c *fiber.Ctx) error {
	if _, err := requireRole(c, members.RoleOperator); err != nil {
		return err
	}
	rep, err := s.deps.Members.RunRetention(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(rep)
}
