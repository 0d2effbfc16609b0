package ui

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// proposalData adds what depends on the visitor to a proposal's page: the
// preview before the vote (members, open proposal with a query), the
// released results they may read (a knowledge proposal's are published to
// anyone), and the requester's run form.
func (w *web) proposalData(c *fiber.Ctx, prop proposals.Proposal, v *pages.Proposal) error {
	a, logged := actor(c) // anonymous visitors read published results too
	if err := w.proposalCustodians(c, prop, v); err != nil {
		return err
	}
	if prop.Query == nil {
		return nil
	}
	ctx := c.UserContext()
	tr := v.Page.Tr
	if logged && prop.Status == proposals.StatusOpen && a.Has(members.RoleMember) && prop.Privacy != nil {
		pv, err := w.deps.Proposals.Preview(ctx, prop.ID)
		if err != nil {
			return err
		}
		v.Preview = previewView(tr, *prop.Query, pv)
	}
	if prop.Status == proposals.StatusPassed || prop.Status == proposals.StatusExpired {
		results, err := w.deps.Proposals.Results(ctx, a, prop.ID)
		switch {
		case err != nil && asCoded(err).Code == raftdata.CodeForbidden:
			// A reuse proposal's results go to its requester only.
		case err != nil:
			return err
		default:
			for i, r := range results {
				v.Results = append(v.Results, resultView(tr, *prop.Query, r, i))
			}
		}
		v.Run.Show = logged && prop.Status == proposals.StatusPassed && a.ID == prop.Requester
	}
	return nil
}

// runSubmit answers POST /proposals/{id}/run: the requester of a passed
// proposal runs the query members voted for, exactly as voted.
func (w *web) runSubmit(c *fiber.Ctx) error {
	id := c.Params("id")
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/proposals/"+id)
	}
	if _, err := requireAccount(c); err != nil {
		return w.renderProposal(c, id, nil, err)
	}
	if _, err := w.deps.Proposals.RunQuery(c.UserContext(), a, id, nil); err != nil {
		return w.renderProposal(c, id, nil, err)
	}
	setFlash(c, flash{Notice: "query_run"})
	return seeOther(c, "/proposals/"+id+"#results")
}

func previewView(tr i18n.Tr, q pooling.Query, pv proposals.Preview) *pages.PreviewView {
	out := &pages.PreviewView{MembersInScope: pv.MembersInScope, TwinMembers: pv.Twin.Members, MinCohort: pv.MinCohort}
	for _, g := range pv.Twin.Groups {
		pg := pages.PreviewGroup{Label: groupLabel(tr, q, g), Suppressed: g.Suppressed || g.Value == nil}
		if !pg.Suppressed {
			pg.Value = tr.Num(round2(*g.Value))
		}
		out.Groups = append(out.Groups, pg)
	}
	return out
}

// resultView draws one released run as a bar chart: a bar per group with
// its label and figure in text; a suppressed group has no bar, only the
// words that say why.
func resultView(tr i18n.Tr, q pooling.Query, r proposals.Result, i int) pages.ResultView {
	id := "result-chart-" + strconv.Itoa(i+1)
	return pages.ResultView{Run: r.Run, At: r.At, Cohort: r.Cohort, Epsilon: r.EpsilonSpent,
		Chart: groupsChart(tr, q, r.Groups, id, tr.F("results.chart.title", tr.Date(r.At)))}
}

// describeAggregate names what a figure of the query is, in a few words.
func describeAggregate(tr i18n.Tr, q pooling.Query) string {
	if q.Aggregate == "count" {
		return tr.T("query.count")
	}
	if tr.Has("query." + q.Aggregate) {
		return tr.F("query."+q.Aggregate, q.Field)
	}
	return q.Aggregate
}

// groupLabel joins a group's key values: the grouping fields first, in
// the query's order, then any other key (a histogram's bin) by name.
func groupLabel(tr i18n.Tr, q pooling.Query, g pooling.Group) string {
	var parts []string
	for _, f := range q.GroupBy {
		if v, ok := g.Key[f]; ok {
			parts = append(parts, v)
		}
	}
	var rest []string
	for k := range g.Key {
		if !slices.Contains(q.GroupBy, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		parts = append(parts, g.Key[k])
	}
	if len(parts) == 0 {
		return tr.T("results.all")
	}
	return strings.Join(parts, " · ")
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
