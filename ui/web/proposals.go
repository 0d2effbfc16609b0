package web

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// proposalsPage answers GET /proposals[?status=open]: public. The list is
// the same for every visitor: it is drawn once per state of the store and
// language, and framed for each request.
func (w *web) proposalsPage(c *fiber.Ctx) error {
	p := w.page(c, "proposals", "proposals.title")
	status := c.Query("status")
	if !slices.Contains([]string{"open", "passed", "rejected", "expired"}, status) {
		status = ""
	}
	page := max(c.QueryInt("page", 1), 1)
	key := fmt.Sprintf("%s/%s/%d", p.Tr.Lang, status, page)
	list, err := w.cached.lists.get(w.Deps.Cluster.AppliedIndex(), key, func() (string, error) {
		return w.drawProposalList(c, p.Tr, status, page)
	})
	if err != nil {
		return w.errorPage(c, err)
	}
	return w.render(c, fiber.StatusOK, pages.ProposalsPage(p, templ.Raw(list)))
}

// drawProposalList renders one page of the list of proposals: only the
// language of the visitor goes in, never their account or token.
func (w *web) drawProposalList(c *fiber.Ctx, tr i18n.Tr, status string, page int) (string, error) {
	list, more, err := w.Deps.Proposals.Summaries(c.UserContext(), status, page)
	if err != nil {
		return "", err
	}
	items := make([]pages.ProposalItem, 0, len(list))
	for _, p := range list {
		items = append(items, pages.ProposalItem{ID: p.ID, Title: p.Title, Kind: string(p.Kind), Status: string(p.Status),
			Deadline: p.Deadline, ClosedAt: p.ClosedAt, Participation: p.Participation})
	}
	v := pages.Proposals{Page: components.Page{Tr: tr}, Status: status, Proposals: items}
	if more {
		v.OlderURL = fmt.Sprintf("/proposals?status=%s&page=%d", url.QueryEscape(status), page+1)
	}
	var b strings.Builder
	if err := pages.ProposalsList(v).Render(c.UserContext(), &b); err != nil {
		return "", fmt.Errorf("render proposal list: %w", err)
	}
	return b.String(), nil
}

func proposalItems(list []proposals.Proposal) []pages.ProposalItem {
	out := make([]pages.ProposalItem, 0, len(list))
	for _, p := range list {
		out = append(out, pages.ProposalItem{ID: p.ID, Title: p.Title, Kind: string(p.Kind), Status: string(p.Status),
			Deadline: p.Deadline, ClosedAt: p.ClosedAt, Participation: p.Participation})
	}
	return out
}

// proposalPage answers GET /proposals/{id}: public; members see the ballot
// form while the vote is open.
func (w *web) proposalPage(c *fiber.Ctx) error {
	return w.renderProposal(c, c.Params("id"), nil, nil)
}

// voteSubmit answers POST /proposals/{id}/vote (choice=yes|no|abstain):
// the ballot is cast or replaced, and the page shows its receipt once.
func (w *web) voteSubmit(c *fiber.Ctx) error {
	id := c.Params("id")
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/proposals/"+id)
	}
	if _, err := server.RequireRole(c, members.RoleMember); err != nil {
		return w.renderProposal(c, id, err, nil)
	}
	choice := strings.TrimSpace(c.FormValue("choice"))
	receipt, err := w.Deps.Proposals.Vote(c.UserContext(), a, id, choice)
	if err != nil {
		return w.renderProposal(c, id, err, nil)
	}
	setFlash(c, flash{Proposal: id, Choice: choice, Receipt: receipt})
	return seeOther(c, "/proposals/"+id+"#vote")
}

// renderProposal draws a proposal's page; voteErr is a refused ballot and
// runErr a refused run of the query, each shown next to its form with its
// status.
func (w *web) renderProposal(c *fiber.Ctx, id string, voteErr, runErr error) error {
	tr := w.cat.For(server.Lang(c))
	shared, err := w.cached.proposals.get(w.Deps.Cluster.AppliedIndex(), tr.Lang+"/"+id, func() (proposalShared, error) {
		return w.drawProposal(c.UserContext(), tr, id)
	})
	if err != nil {
		return w.errorPage(c, err)
	}
	prop, v := shared.prop, shared.view
	v.Page = w.page(c, "proposals", "proposals.title")
	v.Page.Title = prop.Title

	if prop.Status == proposals.StatusOpen {
		a, _ := server.Actor(c)
		if err := w.voterStatus(c.UserContext(), tr, a, prop, &v.Vote); err != nil {
			return w.errorPage(c, err)
		}
		// A secret vote is cast with a voting token (ballots.templ), never
		// through the open ballot's form.
		v.Vote.Show = v.Vote.Show && !prop.Secret
	}
	if err := w.proposalData(c, prop, shared.pool, &v); err != nil {
		return w.errorPage(c, err)
	}
	if err := w.voteWays(c, prop, &v); err != nil {
		return w.errorPage(c, err)
	}
	if f, ok := readFlash(c); ok && f.Proposal == prop.ID && f.Receipt != "" {
		v.Vote.Choice, v.Vote.Receipt, v.Vote.Hash = f.Choice, f.Receipt, proposals.ReceiptHash(f.Receipt)
		v.Vote.Script = w.assets.URL("forms.js")
	}
	status := fiber.StatusOK
	if err, ok := c.Locals(localProxyError).(error); ok {
		status, _ = w.formError(c, tr, err)
	}
	if voteErr != nil {
		var fe components.FormError
		status, fe = w.formError(c, tr, voteErr)
		v.Vote.Error = fe
		v.Vote.Choice = c.FormValue("choice")
	}
	if runErr != nil {
		var fe components.FormError
		status, fe = w.formError(c, tr, runErr)
		v.Run.Error = fe
	}
	return w.render(c, status, pages.ProposalPage(v, templ.Raw(shared.head), templ.Raw(shared.about), templ.Raw(shared.facts)))
}

// proposalShared is what a proposal's page shows every visitor alike, in
// one language: the proposal and the view drawn from it, its pool and the
// rules. It is kept in the state cache and never changed once drawn.
type proposalShared struct {
	prop proposals.Proposal
	pool *pooling.Pool  // nil: none, or gone
	view pages.Proposal // without the frame and what depends on the visitor
	// The parts of the page drawn from the view alone, in HTML
	// (pages.ProposalTop, ProposalAbout, ProposalFacts).
	head, about, facts string
}

func (w *web) drawProposal(ctx context.Context, tr i18n.Tr, id string) (proposalShared, error) {
	prop, err := w.Deps.Proposals.Get(ctx, id)
	if err != nil {
		return proposalShared{}, err
	}
	v := pages.Proposal{
		ID: prop.ID, Title: prop.Title, Purpose: paragraphs(prop.Purpose), Kind: string(prop.Kind),
		Status: string(prop.Status), Organisation: prop.Organisation, PoolID: prop.Pool,
		OpenedAt: prop.OpenedAt, Deadline: prop.Deadline, ClosedAt: prop.ClosedAt, Participation: prop.Participation,
		Outcome: outcome(tr, prop),
	}
	var pool *pooling.Pool
	if prop.Pool != "" {
		v.PoolTitle = prop.Pool
		if pl, err := w.Deps.Pools.Pool(ctx, prop.Pool); err == nil {
			pool, v.PoolTitle = &pl, pl.TitleIn(tr.Lang)
		}
	}
	if prop.Query != nil {
		v.Query = describeQuery(tr, pool, v.PoolTitle, *prop.Query)
	}
	if prop.Privacy != nil {
		rules, err := w.Deps.Rules.Current(ctx)
		if err != nil {
			return proposalShared{}, err
		}
		v.Privacy = describePrivacy(tr, prop, rules.Rules.Disclosure.MaxEpsilonPerProposal)
	}
	if prop.Tally != nil {
		chart := tallyChart(tr, *prop.Tally)
		v.Chart = &chart
	}
	if g := prop.Grant; g != nil {
		v.Grant = &pages.GrantView{EpsilonTotal: g.EpsilonTotal, EpsilonLeft: g.BudgetLeft, ExpiresAt: g.ExpiresAt}
	}
	shared := proposalShared{prop: prop, pool: pool, view: v}
	v.Page = components.Page{Tr: tr}
	for _, part := range []struct {
		out  *string
		draw func(pages.Proposal) templ.Component
	}{{&shared.head, pages.ProposalTop}, {&shared.about, pages.ProposalAbout}, {&shared.facts, pages.ProposalFacts}} {
		var b strings.Builder
		if err := part.draw(v).Render(ctx, &b); err != nil {
			return proposalShared{}, fmt.Errorf("render proposal %s: %w", id, err)
		}
		*part.out = b.String()
	}
	return shared, nil
}

// paragraphs splits a text on blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
