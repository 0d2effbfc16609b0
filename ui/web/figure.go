package web

import (
	"math"
	"strconv"
	"strings"

	"coop/pooling"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// groupsFigure draws the groups of an answer as a figure: the last key
// (the histogram's bin, or the second grouping) on the bars, one panel
// per value of the keys before it; every label from the pool's labels in
// the page's language, every figure with its unit, and the same figures
// as a table; a released figure carries its 95 % interval, drawn and
// written as ±. A suppressed group has no bar, only the words that say why.
func groupsFigure(tr i18n.Tr, pool *pooling.Pool, q pooling.Query, groups []pooling.Group, id, title string) components.Figure {
	lp := labelsOf(pool)
	dims := server.GroupDims(q, groups)
	binUnit := ""
	if f, ok := lp.Field(q.Field); ok && q.Aggregate == pooling.AggHistogram {
		binUnit = f.Unit
	}
	unit := figureUnit(lp, q)
	axis := figureAxis(tr, lp, q)
	table := components.FigureTable{Caption: tr.T("chart.table")}
	for _, d := range dims {
		table.Columns = append(table.Columns, dimLabel(tr, lp, d))
	}
	table.Columns = append(table.Columns, axis)

	var panels []components.Panel
	index := map[string]int{}
	shown, hidden := 0, 0
	for _, g := range groups {
		labels := make([]string, len(dims))
		for i, d := range dims {
			labels[i] = keyLabel(tr, lp, binUnit, d, g.Key[d])
		}
		bar := components.FigureBar{Label: tr.T("results.all")}
		outer := ""
		if n := len(labels); n > 0 {
			bar.Label = labels[n-1]
			outer = strings.Join(labels[:n-1], " · ")
		}
		row := append([]string(nil), labels...)
		if g.Suppressed || g.Value == nil {
			bar.Hidden, bar.Text = true, tr.T("results.hidden")
			row = append(row, bar.Text)
			hidden++
		} else {
			v := round2(*g.Value)
			bar.Value, bar.Text = v, pages.WithUnit(figureText(tr, g), unit)
			if g.CI != nil {
				bar.Interval = &components.Interval{Low: max(g.CI[0], 0), High: max(g.CI[1], 0)}
			}
			row = append(row, bar.Text)
			shown++
		}
		table.Rows = append(table.Rows, row)
		i, ok := index[outer]
		if !ok {
			i = len(panels)
			index[outer] = i
			panels = append(panels, components.Panel{Title: outer})
		}
		panels[i].Bars = append(panels[i].Bars, bar)
	}
	desc := tr.F("results.chart.desc", describeAggregate(tr, lp, q), shown, hidden)
	return components.NewFigure(id, title, desc, axis, panels, table, tr.Num)
}

// binKey is the key of a histogram's bin in a group.
const binKey = "bin"

// dimLabel names a key in the page's language.
func dimLabel(tr i18n.Tr, lp labelled, dim string) string {
	if _, ok := lp.Field(dim); !ok && dim == binKey {
		return tr.T("chart.bin")
	}
	return lp.field(tr.Lang, dim)
}

// keyLabel writes a group's value of a key: a category's label, a bin as
// "0–200 kWh" (binUnit: the unit of the field the bins cut).
func keyLabel(tr i18n.Tr, lp labelled, binUnit, dim, v string) string {
	if _, ok := lp.Field(dim); !ok && dim == binKey {
		return binLabel(tr, v, binUnit)
	}
	return lp.value(tr.Lang, dim, v)
}

// binLabel writes a bin "lo..hi" as "lo–hi unit" in the page's language.
func binLabel(tr i18n.Tr, bin, unit string) string {
	lo, hi, ok := strings.Cut(bin, "..")
	l, err1 := strconv.ParseFloat(lo, 64)
	h, err2 := strconv.ParseFloat(hi, 64)
	if !ok || err1 != nil || err2 != nil {
		return bin
	}
	return pages.WithUnit(tr.Num(round2(l))+"–"+tr.Num(round2(h)), unit)
}

// figureUnit is the unit of the figures: the field's for a sum or a mean;
// counts and histograms count members.
func figureUnit(lp labelled, q pooling.Query) string {
	if q.Aggregate == pooling.AggSum || q.Aggregate == pooling.AggMean {
		if f, ok := lp.Field(q.Field); ok {
			return f.Unit
		}
	}
	return ""
}

// figureAxis is the value axis's title: "Mean of energy use (kWh)",
// "Members".
func figureAxis(tr i18n.Tr, lp labelled, q pooling.Query) string {
	switch q.Aggregate {
	case pooling.AggSum, pooling.AggMean:
		field := lp.field(tr.Lang, q.Field)
		if u := figureUnit(lp, q); u != "" {
			field += " (" + u + ")"
		}
		return tr.F("chart.axis."+q.Aggregate, field)
	}
	return tr.T("chart.axis.members")
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
