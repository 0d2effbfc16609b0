package api

import (
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/proposals"
	"coop/ui/server"
)

// The routes of proxies, secret ballots and the turnout of votes (issue
// 15; proposals/DESIGN.md).

// proxyBody is the body of PUT /proposals/{id}/proxy and PUT /me/proxy.
type proxyBody struct {
	To string `json:"to"`
}

func decodeProxy(c *fiber.Ctx) (string, error) {
	var in proxyBody
	if err := server.DecodeJSON(c, &in); err != nil {
		return "", err
	}
	if to := strings.TrimSpace(in.To); to != "" {
		return to, nil
	}
	return "", server.Invalid("proxy_to_required", "to (the member id of who carries your vote) is required; DELETE takes your vote back").On("to")
}

// proxyOf answers GET /api/v1/proposals/{id}/proxy (members): the
// member's proxy on this vote and the votes they carry.
func (s *api) proxyOf(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	v, err := s.Deps.Proposals.Proxies(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// giveProxy answers PUT /api/v1/proposals/{id}/proxy {"to"}: the member
// gives their vote on an open ballot to another member of its electorate
// (409 past the holder's cap, or on a secret or closed vote).
func (s *api) giveProxy(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	to, err := decodeProxy(c)
	if err != nil {
		return err
	}
	v, err := s.Deps.Proposals.GiveProxy(c.UserContext(), a, c.Params("id"), to)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// takeBackProxy answers DELETE /api/v1/proposals/{id}/proxy: the member
// keeps their vote on this ballot (a standing proxy included).
func (s *api) takeBackProxy(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	v, err := s.Deps.Proposals.GiveProxy(c.UserContext(), a, c.Params("id"), "")
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// standingProxy answers GET /api/v1/me/proxy (members).
func (s *api) standingProxy(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	v, err := s.Deps.Proposals.Standing(c.UserContext(), a)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// setStandingProxy answers PUT /api/v1/me/proxy {"to"} and DELETE
// /api/v1/me/proxy: a standing proxy, until revoked, on every open
// ballot where both members are in the electorate.
func (s *api) setStandingProxy(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	to := ""
	if c.Method() == fiber.MethodPut {
		if to, err = decodeProxy(c); err != nil {
			return err
		}
	}
	v, err := s.Deps.Proposals.SetStandingProxy(c.UserContext(), a, to)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// secretVotes answers GET /api/v1/me/secret-votes (members): the open
// secret votes the member may take a voting token for. A client takes
// them all at once, when the member signs in.
func (s *api) secretVotes(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	v, err := s.Deps.Proposals.SecretVotes(c.UserContext(), a)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"votes": v})
}

// votingToken answers POST /api/v1/proposals/{id}/voting-token
// {"blinded"}: the vote's key signs the member's blinded token, once per
// member (the same blinded message again gets the same signature).
func (s *api) votingToken(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		Blinded string `json:"blinded"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	blinded, err := base64.StdEncoding.DecodeString(in.Blinded)
	if err != nil || len(blinded) == 0 {
		return server.Invalid("blinded_invalid", "blinded is the blinded token, base64 (RFC 9474)").On("blinded")
	}
	sig, err := s.Deps.Proposals.IssueToken(c.UserContext(), a, c.Params("id"), blinded)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"blind_signature": base64.StdEncoding.EncodeToString(sig)})
}

// castSecretBallot answers POST /api/v1/proposals/{id}/secret-ballots: a
// ballot cast with a voting token, by a request that carries no
// credential (server.Authenticate refuses one before looking it up: a session
// would otherwise be touched, and its time written, as the ballot is).
func (s *api) castSecretBallot(c *fiber.Ctx) error {
	var b proposals.SecretBallot
	if err := server.DecodeJSON(c, &b); err != nil {
		return err
	}
	r, err := s.Deps.Proposals.CastSecret(c.UserContext(), c.Params("id"), b)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// months

// turnout answers GET /api/v1/governance/turnout: public.
func (s *api) turnout(c *fiber.Ctx) error {
	t, err := s.TurnoutOf(c)
	if err != nil {
		return err
	}
	return c.JSON(t)
}
