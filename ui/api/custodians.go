package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/server"
)

// Who holds the backups: the custodians the members elected
// (governance/custodians.go), as the API and the pages show them.

// custodians answers GET /api/v1/governance/custodians: public; the
// custodians' names and keys for signed-in accounts only.
func (s *api) custodians(c *fiber.Ctx) error {
	_, logged := server.Actor(c)
	v, err := s.CustodiansView(c.UserContext(), logged)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// setCustodianKey answers PUT /api/v1/me/custodian-key {"public_key"}
// (members): a custodian of the newest set registers the age X25519
// public key `coop custodian keygen` printed on their own machine.
func (s *api) setCustodianKey(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		PublicKey string `json:"public_key"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Deps.Rules.RegisterCustodianKey(c.UserContext(), a.ID, in.PublicKey); err != nil {
		return err
	}
	v, err := s.CustodiansView(c.UserContext(), true)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
