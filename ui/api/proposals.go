package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui/server"
)

// listProposals answers GET /api/v1/proposals[?status=open][&page=2]:
// public, newest first, proposals.PageSize a page.
func (s *api) listProposals(c *fiber.Ctx) error {
	page := c.QueryInt("page", 1)
	ps, more, err := s.Deps.Proposals.List(c.UserContext(), c.Query("status"), page)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposals": ps, "page": max(page, 1), "more": more})
}

// createProposal answers POST /api/v1/proposals.
func (s *api) createProposal(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var d proposals.Draft
	if err := server.DecodeJSON(c, &d); err != nil {
		return err
	}
	p, err := s.Deps.Proposals.Create(c.UserContext(), a, d)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// getProposal answers GET /api/v1/proposals/{id}: public.
func (s *api) getProposal(c *fiber.Ctx) error {
	p, err := s.Deps.Proposals.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	a, ok := server.Actor(c)
	if !ok || p.Status != proposals.StatusOpen {
		return c.JSON(p)
	}
	why, err := s.Ineligibility(c.UserContext(), a, p)
	if err != nil {
		return err
	}
	return c.JSON(struct {
		proposals.Proposal
		Eligibility server.Eligibility `json:"eligibility"`
	}{p, server.Eligibility{Votes: why == "", Reason: why}})
}

// openProposal answers POST /api/v1/proposals/{id}/open (its requester).
func (s *api) openProposal(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	p, err := s.Deps.Proposals.Open(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// castBallot answers POST /api/v1/proposals/{id}/ballots {"choice"}.
func (s *api) castBallot(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		Choice string `json:"choice"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.Deps.Proposals.Cast(c.UserContext(), a, c.Params("id"), in.Choice)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// ballotList answers GET /api/v1/proposals/{id}/ballots: the published,
// pseudonymous list once the vote is closed, for every signed-in account
// (members, the requester, operators, guests), so anyone may recount.
func (s *api) ballotList(c *fiber.Ctx) error {
	if _, err := server.RequireAccount(c); err != nil {
		return err
	}
	list, err := s.Deps.Proposals.Ballots(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := fiber.Map{"ballots": list}
	// A secret vote: the keys that check every token, and how many tokens
	// each signed (no more lines than that).
	keys, err := s.Deps.Proposals.TokenKeys(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if len(keys.PublicKeys) > 0 {
		out["public_keys"], out["tokens_issued"] = keys.PublicKeys, keys.TokensIssued
	}
	return c.JSON(out)
}

// comments answers GET /api/v1/proposals/{id}/comments: every signed-in
// account reads a discussion; its authors show as pseudonyms, to everyone.
func (s *api) comments(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	prop, err := s.Deps.Proposals.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	list, err := s.Deps.Proposals.Comments(c.UserContext(), a.ID, prop.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"comments": list})
}

// addComment answers POST /api/v1/proposals/{id}/comments {"body"}.
func (s *api) addComment(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Deps.Proposals.Comment(c.UserContext(), a, c.Params("id"), in.Body); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"commented": true})
}

// setObjection answers PUT /api/v1/proposals/{id}/objection {"object"}.
func (s *api) setObjection(c *fiber.Ctx) error {
	a, err := server.RequireContributor(c)
	if err != nil {
		return err
	}
	var in struct {
		Object *bool `json:"object"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Object == nil {
		return server.Invalid("object_required", "object (true or false) is required").On("object")
	}
	if err := s.Deps.Proposals.Object(c.UserContext(), a, c.Params("id"), *in.Object); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"object": *in.Object})
}

// runQuery answers POST /api/v1/proposals/{id}/queries: {} runs exactly
// the voted query.
func (s *api) runQuery(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Query *pooling.Query `json:"query"`
	}
	if len(c.Body()) > 0 {
		if err := server.DecodeJSON(c, &in); err != nil {
			return err
		}
	}
	res, err := s.Deps.Proposals.RunQuery(c.UserContext(), a, c.Params("id"), in.Query)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// results answers GET /api/v1/proposals/{id}/results: a knowledge
// proposal's released results are published, to anyone; a reuse
// proposal's go to its requester only.
func (s *api) results(c *fiber.Ctx) error {
	a, _ := server.Actor(c)
	res, err := s.Deps.Proposals.Results(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": res})
}

// preview answers GET /api/v1/proposals/{id}/preview (accounts): what the
// query would produce, on the synthetic twin, with the error to expect;
// for members while the vote is open, the pool's noisy size of the day.
func (s *api) preview(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	p, err := s.Deps.Proposals.Preview(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// myProposals answers GET /api/v1/me/proposals: the proposals the caller
// submitted, newest first, with their grants and the budget left.
func (s *api) myProposals(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	list, err := s.Deps.Proposals.ByRequester(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposals": list})
}
