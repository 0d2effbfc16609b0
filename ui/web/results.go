package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// proposalData adds what depends on the visitor to a proposal's page: the
// preview before the vote (members, open proposal with a query), the
// released results they may read (a knowledge proposal's are published to
// anyone), and the requester's run form. pool is the proposal's, drawn
// with the rest of the page (labels and units).
func (w *web) proposalData(c *fiber.Ctx, prop proposals.Proposal, pool *pooling.Pool, v *pages.Proposal) error {
	a, logged := server.Actor(c) // anonymous visitors read published results too
	if err := w.proposalCustodians(c, prop, v); err != nil {
		return err
	}
	if prop.Query == nil {
		return nil
	}
	ctx := c.UserContext()
	tr := v.Page.Tr
	if logged && prop.Status == proposals.StatusOpen && a.Has(members.RoleMember) && prop.Privacy != nil {
		pv, err := w.Deps.Proposals.Preview(ctx, a, prop.ID)
		if err != nil {
			return err
		}
		v.Preview = previewView(tr, pool, *prop.Query, pv)
	}
	if prop.Status == proposals.StatusPassed || prop.Status == proposals.StatusExpired {
		results, err := w.Deps.Proposals.Results(ctx, a, prop.ID)
		switch {
		case err != nil && server.AsCoded(err).Code == raftdata.CodeForbidden:
			// A reuse proposal's results go to its requester only.
		case err != nil:
			return err
		default:
			for i, r := range results {
				v.Results = append(v.Results, resultView(tr, pool, prop, r, i))
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
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/proposals/"+id)
	}
	if _, err := server.RequireAccount(c); err != nil {
		return w.renderProposal(c, id, nil, err)
	}
	if _, err := w.Deps.Proposals.RunQuery(c.UserContext(), a, id, nil); err != nil {
		return w.renderProposal(c, id, nil, err)
	}
	setFlash(c, flash{Notice: "query_run"})
	return seeOther(c, "/proposals/"+id+"#results")
}

func previewView(tr i18n.Tr, pool *pooling.Pool, q pooling.Query, pv proposals.Preview) *pages.PreviewView {
	out := &pages.PreviewView{MembersNoisy: pv.MembersInScopeNoisy, CountedOn: pv.CountedOn, TwinMembers: pv.Twin.Members,
		MinCohort: pv.MinCohort, Epsilon: pv.EpsilonPerRun}
	if pv.MembersInScopeNoisy != nil { // the twin is sized like the pool
		out.TwinMembers = int(*pv.MembersInScopeNoisy)
	}
	lp := labelsOf(pool)
	dims := server.GroupDims(q, pv.Twin.Groups)
	binUnit := ""
	if f, ok := lp.Field(q.Field); ok && q.Aggregate == pooling.AggHistogram {
		binUnit = f.Unit
	}
	unit := figureUnit(lp, q)
	for _, g := range pv.Twin.Groups {
		var parts []string
		for _, d := range dims {
			parts = append(parts, keyLabel(tr, lp, binUnit, d, g.Key[d]))
		}
		pg := pages.PreviewGroup{Label: tr.T("results.all"), Suppressed: g.Suppressed || g.Value == nil}
		if len(parts) > 0 {
			pg.Label = strings.Join(parts, " · ")
		}
		if !pg.Suppressed {
			pg.Value = pages.WithUnit(figureText(tr, g), unit)
		}
		out.Groups = append(out.Groups, pg)
	}
	for _, w := range pv.Warnings {
		g := pooling.Group{Key: w.Key}
		var parts []string
		for _, d := range server.GroupDims(q, []pooling.Group{g}) {
			parts = append(parts, keyLabel(tr, lp, binUnit, d, g.Key[d]))
		}
		label := tr.T("results.all")
		if len(parts) > 0 {
			label = strings.Join(parts, " · ")
		}
		out.Warnings = append(out.Warnings, tr.F("preview.warning."+q.Aggregate, label, pages.WithUnit(tr.Num(round2(w.PlusMinus)), unit)))
	}
	return out
}

// resultView draws one released run as a bar chart: a bar per group with
// its label, figure and interval; a suppressed group has no bar, only the
// words that say why. A reuse result deleted past its retention has none.
func resultView(tr i18n.Tr, pool *pooling.Pool, prop proposals.Proposal, r proposals.Result, i int) pages.ResultView {
	id := "result-chart-" + strconv.Itoa(i+1)
	v := pages.ResultView{Run: r.Run, At: r.At, Epsilon: r.EpsilonSpent, KeptUntil: r.KeptUntil, DeletedAt: r.DeletedAt,
		Organisation: prop.Organisation, Chart: groupsFigure(tr, pool, *prop.Query, r.Groups, id, tr.F("results.chart.title", tr.Date(r.At)))}
	if r.ConsentSet != nil {
		v.ConsentHash, v.ConsentIndex = r.ConsentSet.Hash, r.ConsentSet.Index
	}
	return v
}

// describeAggregate names what a figure of the query is, in a few words.
func describeAggregate(tr i18n.Tr, lp labelled, q pooling.Query) string {
	if q.Aggregate == "count" {
		return tr.T("query.count")
	}
	if tr.Has("query." + q.Aggregate) {
		return tr.F("query."+q.Aggregate, lp.field(tr.Lang, q.Field))
	}
	return q.Aggregate
}

// poolOf is the pool id names, for its labels and units; nil when it
// cannot be read (the pages then show ids).
func (w *web) poolOf(ctx context.Context, id string) *pooling.Pool {
	if id == "" {
		return nil
	}
	p, err := w.Deps.Pools.Pool(ctx, id)
	if err != nil {
		return nil
	}
	return &p
}
