package ui

import (
	"github.com/gofiber/fiber/v2"
)

// rules answers GET /api/v1/governance/rules: public, the rulebook in force.
func (s *server) rules(c *fiber.Ctx) error {
	r, err := s.deps.Rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r)
}
