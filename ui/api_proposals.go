package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
)

// Proposals is what ui needs from the proposals service.
type Proposals interface {
	Create(ctx context.Context, actor members.Account, d proposals.Draft) (proposals.Proposal, error)
	Open(ctx context.Context, actor members.Account, id string) (proposals.Proposal, error)
	Get(ctx context.Context, id string) (proposals.Proposal, error)
	List(ctx context.Context, status string, page int) ([]proposals.Proposal, bool, error)
	Summaries(ctx context.Context, status string, page int) ([]proposals.Summary, bool, error)
	ByRequester(ctx context.Context, accountID string) ([]proposals.Proposal, error)
	Vote(ctx context.Context, actor members.Account, id, choice string) (string, error)
	Ballots(ctx context.Context, id string) ([]proposals.PublishedBallot, error)
	Comment(ctx context.Context, actor members.Account, id, body string) error
	Comments(ctx context.Context, reader, id string) ([]proposals.Comment, error)
	Object(ctx context.Context, actor members.Account, id string, object bool) error
	Objecting(ctx context.Context, id, accountID string) (bool, error)
	RunQuery(ctx context.Context, actor members.Account, id string, q *pooling.Query) (proposals.Result, error)
	Results(ctx context.Context, actor members.Account, id string) ([]proposals.Result, error)
	Preview(ctx context.Context, actor members.Account, id string) (proposals.Preview, error)
	// Proxies, secret ballots and turnout (api_ballots.go).
	Cast(ctx context.Context, actor members.Account, id, choice string) (proposals.Receipt, error)
	GiveProxy(ctx context.Context, actor members.Account, id, to string) (proposals.ProxyView, error)
	Proxies(ctx context.Context, actor members.Account, id string) (proposals.ProxyView, error)
	SetStandingProxy(ctx context.Context, actor members.Account, to string) (proposals.StandingProxy, error)
	Standing(ctx context.Context, actor members.Account) (proposals.StandingProxy, error)
	SecretVotes(ctx context.Context, actor members.Account) ([]proposals.SecretVote, error)
	IssueToken(ctx context.Context, actor members.Account, id string, blinded []byte) ([]byte, error)
	CastSecret(ctx context.Context, id string, b proposals.SecretBallot) (proposals.SecretReceipt, error)
	TokenKeys(ctx context.Context, id string) (proposals.SecretList, error)
	Turnout(ctx context.Context, since time.Time) (map[governance.Kind][]governance.Turnout, error)
	InElectorate(ctx context.Context, id, accountID string) (bool, error)
}

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

// eligibility tells the caller of GET /proposals/{id}, while its vote is
// open, whether they vote on it, and why not (proposals.Ineligibility).
type eligibility struct {
	Votes  bool   `json:"votes"`
	Reason string `json:"reason,omitempty"`
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
