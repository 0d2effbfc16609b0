package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// proposalNewPage answers GET /proposals/new[?pool=&aggregate=...]
// (researchers): the form of a new proposal, its query prefilled from the
// sandbox's link, its privacy and the length of its vote from the
// rulebook (the shortest vote the rulebook allows for its kind).
func (w *web) proposalNewPage(c *fiber.Ctx) error {
	if _, ok, err := w.researcherPage(c); !ok {
		return err
	}
	ctx := c.UserContext()
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.ProposalNew{Kind: string(governance.Knowledge), Query: queryForm(c),
		MinCohort: strconv.Itoa(rules.Rules.Disclosure.MinCohortFloor), EpsilonTotal: "1", EpsilonPerQuery: "0.5", GrantDays: "30"}
	if rule, ok := rules.Rules.Rule(governance.Knowledge); ok {
		v.VotingMinutes = strconv.Itoa(rule.MinMinutes)
	}
	return w.renderProposalNew(c, v, nil)
}

// renderProposalNew draws the form; formErr is a refused submission.
func (w *web) renderProposalNew(c *fiber.Ctx, v pages.ProposalNew, formErr error) error {
	v.Page = w.page(c, "proposals", "propose.title")
	ctx := c.UserContext()
	pools, err := w.Deps.Pools.Pools(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	v.Pools, v.Query, v.Script = pools, choosePool(v.Query, pools), w.assets.URL("forms.js")
	tr := v.Page.Tr
	v.EpsilonHint = tr.F("propose.field.epsilon_total.hint", tr.Num(rules.Rules.Disclosure.Bounded().MaxEpsilonPerProposal))
	kind := governance.Kind(v.Kind)
	if rule, ok := rules.Rules.Rule(kind); ok && kind.UsesData() {
		v.VotingHint = tr.F("propose.field.voting_minutes.hint", durationText(tr, rule.MinMinutes), durationText(tr, rule.MaxMinutes))
	}
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
	if c.FormValue("step") == "pool" { // the pool chosen: the form again, with that pool's fields
		return w.renderProposalNew(c, v, nil)
	}
	d, err := draftOf(v)
	if err != nil {
		return w.renderProposalNew(c, v, err)
	}
	prop, err := w.Deps.Proposals.Create(c.UserContext(), a, d)
	if err != nil {
		return w.renderProposalNew(c, v, err)
	}
	return seeOther(c, "/proposals/"+prop.ID+"/filed")
}

// proposalFiledPage answers GET /proposals/{id}/filed: the requester's
// confirmation that the proposal is filed, and what happens next; anyone
// else goes to the proposal's page.
func (w *web) proposalFiledPage(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "filed")
	if !ok {
		return err
	}
	if a.ID != prop.Requester {
		return seeOther(c, "/proposals/"+prop.ID)
	}
	p := w.page(c, "mine", "filed.title")
	v := pages.ProposalFiled{Page: p, ID: prop.ID, Title: prop.Title, Draft: prop.Status == proposals.StatusDraft}
	if prop.Deadline != nil {
		v.Deadline = p.Tr.Date(*prop.Deadline)
	}
	return w.render(c, fiber.StatusOK, pages.ProposalFiledPage(v))
}

// durationText writes a number of minutes as days, hours or minutes,
// whichever divides it.
func durationText(tr i18n.Tr, minutes int) string {
	switch {
	case minutes > 0 && minutes%(24*60) == 0:
		return tr.N("duration.days", minutes/(24*60))
	case minutes > 0 && minutes%60 == 0:
		return tr.N("duration.hours", minutes/60)
	}
	return tr.N("duration.minutes", minutes)
}

// wholeNumber reads the whole number typed in the form field name; one
// that does not read is a problem of bad, shown next to its field.
func wholeNumber(bad *raftdata.Problems, name, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		bad.Add(server.Invalid("not_whole_number", "%s: %q is not a whole number", name, s).With("value", s).On(name))
	}
	return n
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
		return wholeNumber(&bad, name, s)
	}
	atof := func(name, s string) float64 {
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			bad.Add(server.Invalid("not_number", "%s: %q is not a number", name, s).With("value", s).On(name))
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
