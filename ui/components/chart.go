package components

import "strconv"

// BarChart is a horizontal bar chart drawn on the server as SVG. Every bar
// carries its label and its number in text, so the chart reads without
// colour; the title and description give screen readers the same.
type BarChart struct {
	ID    string // unique in the page, for aria-labelledby
	Title string
	Desc  string // the whole chart in one sentence
	Bars  []Bar
	scale int // the value of a full-length bar
}

// Bar is one bar: Key names its style (yes, no, abstain, none) and its
// test id, Value its length relative to the chart's total, Text what is
// written after it. Class, when set, replaces the style derived from Key.
// A Hidden bar (a suppressed group) draws no bar: only its label and Text.
// A bar with an interval (CI, on the same scale as Value) draws it as a
// line with end ticks over the bar: the range where the true figure lies
// with 95 % probability.
type Bar struct {
	Key    string
	Label  string
	Value  int
	Text   string
	Class  string
	Hidden bool
	CI     *[2]int
}

// class is the bar's CSS class.
func (b Bar) class() string {
	if b.Class != "" {
		return b.Class
	}
	return "bar-" + b.Key
}

// Geometry of the chart, in SVG user units.
const (
	chartWidth  = 720
	chartLabelW = 160
	chartBarMax = 360
	chartRowH   = 44
	chartBarH   = 28
	chartPadTop = 8
)

// NewBarChart builds a chart whose bars are scaled against total (the
// electorate for a tally).
func NewBarChart(id, title, desc string, total int, bars []Bar) BarChart {
	if total < 1 {
		total = 1
	}
	for _, b := range bars {
		total = max(total, b.Value)
		if b.CI != nil {
			total = max(total, b.CI[1])
		}
	}
	return BarChart{ID: id, Title: title, Desc: desc, Bars: bars, scale: total}
}

func (c BarChart) height() int { return chartPadTop*2 + len(c.Bars)*chartRowH }

// ViewBox is the SVG viewBox of the chart.
func (c BarChart) ViewBox() string {
	return "0 0 " + strconv.Itoa(chartWidth) + " " + strconv.Itoa(c.height())
}

func (c BarChart) rowY(i int) int { return chartPadTop + i*chartRowH }

func (c BarChart) barW(b Bar) int {
	if c.scale == 0 || b.Value <= 0 || b.Hidden {
		return 0
	}
	return max(b.Value*chartBarMax/c.scale, 2)
}

// x is where a value falls on the chart.
func (c BarChart) x(v int) int {
	if c.scale == 0 {
		return chartLabelW
	}
	return chartLabelW + max(v, 0)*chartBarMax/c.scale
}

// textX is where a bar's figure is written: after the bar and its
// interval.
func (c BarChart) textX(b Bar) int {
	end := chartLabelW + c.barW(b)
	if b.CI != nil {
		end = max(end, c.x(b.CI[1]))
	}
	return end + 8
}

func itoa(n int) string { return strconv.Itoa(n) }
