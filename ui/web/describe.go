package web

import (
	"maps"
	"slices"
	"strings"

	"coop/pooling"
	"coop/proposals"
	"coop/ui/components"
	"coop/ui/i18n"
)

// describeQuery says in plain words what a query will reveal.
func describeQuery(tr i18n.Tr, pool *pooling.Pool, poolTitle string, q pooling.Query) string {
	lp := labelsOf(pool)
	field := lp.field(tr.Lang, q.Field)
	if f, ok := lp.Field(q.Field); ok && f.Unit != "" {
		field += " (" + f.Unit + ")"
	}
	var what string
	switch q.Aggregate {
	case pooling.AggCount:
		what = tr.T("query.count")
	case pooling.AggSum, pooling.AggMean, pooling.AggHistogram:
		what = tr.F("query."+q.Aggregate, field)
	default:
		what = q.Aggregate + " " + field
	}
	var b strings.Builder
	b.WriteString(tr.F("query.sentence", what, poolTitle))
	if len(q.GroupBy) > 0 {
		names := make([]string, len(q.GroupBy))
		for i, g := range q.GroupBy {
			names[i] = lp.field(tr.Lang, g)
		}
		b.WriteString(tr.F("query.group_by", strings.Join(names, tr.T("query.and"))))
	}
	if len(q.Filters) > 0 {
		var conds []string
		for _, k := range slices.Sorted(maps.Keys(q.Filters)) {
			conds = append(conds, tr.F("query.filter", lp.field(tr.Lang, k), lp.value(tr.Lang, k, q.Filters[k])))
		}
		b.WriteString(tr.F("query.only", strings.Join(conds, tr.T("query.and"))))
	}
	b.WriteString(". ")
	b.WriteString(tr.T("query.never_rows"))
	return b.String()
}

// labelled is a pool seen for its labels; a nil pool (one that could not
// be read) names everything by its id.
type labelled struct{ pooling.Pool }

func labelsOf(p *pooling.Pool) labelled {
	if p == nil {
		return labelled{}
	}
	return labelled{*p}
}

// field is a field's label in lang, or its id.
func (l labelled) field(lang, name string) string {
	if f, ok := l.Field(name); ok {
		return f.Label(lang)
	}
	return name
}

// value is a category value's label in lang, or the value itself.
func (l labelled) value(lang, field, v string) string {
	if f, ok := l.Field(field); ok {
		return f.ValueLabel(lang, v)
	}
	return v
}

// describePrivacy explains a proposal's privacy parameters to someone
// who has never heard of differential privacy.
func describePrivacy(tr i18n.Tr, p proposals.Proposal, maxEpsilon float64) []string {
	pr := p.Privacy
	out := []string{
		tr.F("privacy.cohort", pr.MinCohort),
		tr.T("privacy.noise"),
		tr.F("privacy.epsilon", tr.Num(pr.EpsilonTotal), tr.Num(pr.EpsilonPerQuery), tr.Num(maxEpsilon)),
	}
	if runs := pr.Runs(); runs > 0 {
		out = append(out, tr.N("privacy.runs", runs))
	}
	if p.GrantDays > 0 {
		out = append(out, tr.F("privacy.days", tr.N("unit.day", p.GrantDays)))
	}
	if p.Kind == "reuse" && p.Organisation != "" {
		out = append(out, tr.F("privacy.reuse", p.Organisation))
	} else if p.Kind == "knowledge" {
		out = append(out, tr.T("privacy.knowledge"))
	}
	return out
}

// outcome says why a closed proposal passed or not. The service's reason
// is English; its first words tell which case it is.
func outcome(tr i18n.Tr, p proposals.Proposal) string {
	switch p.Status {
	case proposals.StatusPassed:
		return tr.T("outcome.passed")
	case proposals.StatusExpired:
		return tr.T("outcome.expired")
	case proposals.StatusRejected:
		switch {
		case strings.HasPrefix(p.Reason, "quorum not met"):
			return tr.T("outcome.quorum")
		case strings.HasPrefix(p.Reason, "not approved"):
			return tr.T("outcome.not_approved")
		}
		return tr.T("outcome.rejected")
	}
	return ""
}

// tallyChart draws a closed vote: yes, no, abstain and the members who did
// not vote, each bar against the whole electorate.
func tallyChart(tr i18n.Tr, t proposals.Tally) components.BarChart {
	none := max(t.Electorate-t.Cast(), 0)
	bar := func(key string, n int) components.Bar {
		pct := 0
		if t.Electorate > 0 {
			pct = (n*100 + t.Electorate/2) / t.Electorate
		}
		return components.Bar{Key: key, Label: tr.T("chart." + key), Value: n, Text: tr.F("chart.value", tr.Int(n), pct)}
	}
	desc := tr.F("chart.desc", t.Yes, t.No, t.Abstain, none, t.Electorate)
	return components.NewBarChart("tally-chart", tr.T("chart.title"), desc, t.Electorate,
		[]components.Bar{bar("yes", t.Yes), bar("no", t.No), bar("abstain", t.Abstain), bar("none", none)})
}
