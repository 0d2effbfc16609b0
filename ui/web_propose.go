package ui

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/pages"
)

// proposalNewPage answers GET /proposals/new[?pool=&aggregate=...]
// (researchers): the form of a new proposal, its query prefilled from the
// sandbox's link and its privacy from the rulebook.
func (w *web) proposalNewPage(c *fiber.Ctx) error {
	if _, ok, err := w.researcherPage(c); !ok {
		return err
	}
	ctx := c.UserContext()
	rules, err := w.deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.ProposalNew{Kind: "knowledge", Query: queryForm(c),
		MinCohort:    strconv.Itoa(rules.Rules.Disclosure.MinCohortFloor),
		EpsilonTotal: "1", EpsilonPerQuery: "0.5", VotingMinutes: "10080", GrantDays: "30"}
	return w.renderProposalNew(c, v, nil)
}

// renderProposalNew draws the form; formErr is a refused submission.
func (w *web) renderProposalNew(c *fiber.Ctx, v pages.ProposalNew, formErr error) error {
	v.Page = w.page(c, "proposals", "propose.title")
	pools, err := w.deps.Pools.Pools(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	v.Pools = pools
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, v.Page.Tr, formErr)
	}
	return w.render(c, status, pages.ProposalNewPage(v))
}

// proposalNewSubmit answers POST /proposals/new (researchers): the
// proposal is created (opened, or kept as a draft) and the browser goes to
// its page; a refusal re-renders the form with what was typed.
func (w *web) proposalNewSubmit(c *fiber.Ctx) error {
	a, ok, err := w.researcherPage(c)
	if !ok {
		return err
	}
	get := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	v := pages.ProposalNew{Title: get("title"), Purpose: get("purpose"), Kind: get("kind"), Organisation: get("organisation"),
		Query: queryForm(c), MinCohort: get("min_cohort"), EpsilonTotal: get("epsilon_total"),
		EpsilonPerQuery: get("epsilon_per_query"), VotingMinutes: get("voting_minutes"), GrantDays: get("grant_days"),
		RetentionDays: get("retention_days"), Draft: c.FormValue("draft") != ""}
	d, err := draftOf(v)
	if err != nil {
		return w.renderProposalNew(c, v, err)
	}
	prop, err := w.deps.Proposals.Create(c.UserContext(), a, d)
	if err != nil {
		return w.renderProposalNew(c, v, err)
	}
	return seeOther(c, "/proposals/"+prop.ID)
}

// draftOf turns the form into a draft; numbers that do not read are an
// invalid form.
func draftOf(v pages.ProposalNew) (proposals.Draft, error) {
	d := proposals.Draft{Title: v.Title, Purpose: v.Purpose, Kind: governance.Kind(v.Kind), Organisation: v.Organisation,
		Pool: v.Query.Pool, Query: toQuery(v.Query), Draft: v.Draft}
	var bad raftdata.Problems
	atoi := func(name, s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad.Add(invalid("not_whole_number", "%s: %q is not a whole number", name, s).With("value", s).On(name))
		}
		return n
	}
	atof := func(name, s string) float64 {
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			bad.Add(invalid("not_number", "%s: %q is not a number", name, s).With("value", s).On(name))
		}
		return f
	}
	d.VotingMinutes = atoi("voting_minutes", v.VotingMinutes)
	d.GrantDays = atoi("grant_days", v.GrantDays)
	if d.Kind == governance.Reuse { // a knowledge proposal's results are kept
		d.RetentionDays = atoi("retention_days", v.RetentionDays)
	}
	if d.Query != nil {
		d.Privacy = &proposals.Privacy{MinCohort: atoi("min_cohort", v.MinCohort),
			EpsilonTotal: atof("epsilon_total", v.EpsilonTotal), EpsilonPerQuery: atof("epsilon_per_query", v.EpsilonPerQuery)}
	}
	return d, bad.Err(raftdata.CodeInvalid, "not a number: ")
}
