package api

import (
	"github.com/gofiber/fiber/v2"
)

// rules answers GET /api/v1/governance/rules: public, the rulebook in force.
func (s *api) rules(c *fiber.Ctx) error {
	r, err := s.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r)
}
