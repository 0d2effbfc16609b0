package ui

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
)

// Rules is what ui needs from governance.
type Rules interface {
	Current(ctx context.Context) (governance.Versioned, error)
	// Custodians says who holds the backups (custodians.go).
	Custodians(ctx context.Context) (governance.CustodianStatus, error)
	RegisterCustodianKey(ctx context.Context, account, publicKey string) error
}

// rules answers GET /api/v1/governance/rules: public, the rulebook in force.
func (s *server) rules(c *fiber.Ctx) error {
	r, err := s.deps.Rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r)
}
