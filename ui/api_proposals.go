package ui

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
)

// listProposals answers GET /api/v1/proposals[?status=open][&page=2]:
// public, newest first, proposals.PageSize a page.
func (s *server) listProposals(c *fiber.Ctx) error {
	page := c.QueryInt("page", 1)
	ps, more, err := s.deps.Proposals.List(c.UserContext(), c.Query("status"), page)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposals": ps, "page": max(page, 1), "more": more})
}

// createProposal answers POST /api/v1/proposals.
func (s *server) createProposal(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	var d proposals.Draft
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	p, err := s.deps.Proposals.Create(c.UserContext(), a, d)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// getProposal answers GET /api/v1/proposals/{id}: public.
func (s *server) getProposal(c *fiber.Ctx) error {
	p, err := s.deps.Proposals.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	a, ok := actor(c)
	if !ok || p.Status != proposals.StatusOpen {
		return c.JSON(p)
	}
	why, err := s.ineligibility(c.UserContext(), a, p)
	if err != nil {
		return err
	}
	return c.JSON(struct {
		proposals.Proposal
		Eligibility eligibility `json:"eligibility"`
	}{p, eligibility{Votes: why == "", Reason: why}})
}

// openProposal answers POST /api/v1/proposals/{id}/open (its requester).
func (s *server) openProposal(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Proposals.Open(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// castBallot answers POST /api/v1/proposals/{id}/ballots {"choice"}.
func (s *server) castBallot(c *fiber.Ctx) error {
	a, err := requireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		Choice string `json:"choice"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Proposals.Cast(c.UserContext(), a, c.Params("id"), in.Choice)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// ballotList answers GET /api/v1/proposals/{id}/ballots: the published,
// pseudonymous list once the vote is closed, for every signed-in account
// (members, the requester, operators, guests), so anyone may recount.
func (s *server) ballotList(c *fiber.Ctx) error {
	if _, err := requireAccount(c); err != nil {
		return err
	}
	list, err := s.deps.Proposals.Ballots(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := fiber.Map{"ballots": list}
	// A secret vote: the keys that check every token, and how many tokens
	// each signed (no more lines than that).
	keys, err := s.deps.Proposals.TokenKeys(c.UserContext(), c.Params("id"))
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
func (s *server) comments(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	prop, err := s.deps.Proposals.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	list, err := s.deps.Proposals.Comments(c.UserContext(), a.ID, prop.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"comments": list})
}

// addComment answers POST /api/v1/proposals/{id}/comments {"body"}.
func (s *server) addComment(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.deps.Proposals.Comment(c.UserContext(), a, c.Params("id"), in.Body); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"commented": true})
}

// setObjection answers PUT /api/v1/proposals/{id}/objection {"object"}.
func (s *server) setObjection(c *fiber.Ctx) error {
	a, err := requireContributor(c)
	if err != nil {
		return err
	}
	var in struct {
		Object *bool `json:"object"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Object == nil {
		return invalid("object_required", "object (true or false) is required").On("object")
	}
	if err := s.deps.Proposals.Object(c.UserContext(), a, c.Params("id"), *in.Object); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"object": *in.Object})
}

// runQuery answers POST /api/v1/proposals/{id}/queries: {} runs exactly
// the voted query.
func (s *server) runQuery(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Query *pooling.Query `json:"query"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	res, err := s.deps.Proposals.RunQuery(c.UserContext(), a, c.Params("id"), in.Query)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// results answers GET /api/v1/proposals/{id}/results: a knowledge
// proposal's released results are published, to anyone; a reuse
// proposal's go to its requester only.
func (s *server) results(c *fiber.Ctx) error {
	a, _ := actor(c)
	res, err := s.deps.Proposals.Results(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": res})
}

// preview answers GET /api/v1/proposals/{id}/preview (accounts): what the
// query would produce, on the synthetic twin, with the error to expect;
// for members while the vote is open, the pool's noisy size of the day.
func (s *server) preview(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Proposals.Preview(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// myProposals answers GET /api/v1/me/proposals: the proposals the caller
// submitted, newest first, with their grants and the budget left.
func (s *server) myProposals(c *fiber.Ctx) error {
	a, err := requireAccount(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Proposals.ByRequester(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"proposals": list})
}
