package components

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Figure draws the groups of a released answer (a result, the sandbox's
// synthetic answer) as horizontal bars on the server, as SVG: one panel
// per value of the outer groupings (small multiples, every panel on the
// same scale), a value axis with ticks and its title (the unit included),
// and the same figures as a table beside it. Every bar carries its label
// and its figure in text, so the chart reads without colour.
type Figure struct {
	ID     string // unique in the page; panels are ID-1, ID-2…
	Title  string
	Desc   string // the whole figure in one sentence
	Axis   string // the value axis's title: "Mean of energy use (kWh)"
	Panels []Panel
	Table  FigureTable
	ticks  []tick
	scale  float64 // the value of a full-length bar
}

// Panel is one small chart of a Figure; Title names the outer groups it
// shows ("" when the figure has one panel).
type Panel struct {
	Title string
	Bars  []FigureBar
}

// FigureBar is one group: its label, its figure (Value for the length,
// Text as written), or Hidden (suppressed: no bar, Text says why).
// Interval, when set, is drawn across the bar's end: the range in which
// the true figure lies with 95 % confidence.
type FigureBar struct {
	Label    string
	Value    float64
	Text     string
	Hidden   bool
	Interval *Interval
}

// Interval is a range of values, Low ≤ High.
type Interval struct {
	Low, High float64
}

// FigureTable is the figure as a table: a header per column, then one
// row of cells per group.
type FigureTable struct {
	Caption string
	Columns []string
	Rows    [][]string
}

type tick struct {
	value float64
	label string
}

// NewFigure lays the panels out on one scale, from 0 to a round value
// above the largest figure (or interval end); num writes a tick's value
// in the page's language.
func NewFigure(id, title, desc, axis string, panels []Panel, table FigureTable, num func(float64) string) Figure {
	top := 0.0
	for _, p := range panels {
		for _, b := range p.Bars {
			if b.Hidden {
				continue
			}
			top = max(top, b.Value)
			if b.Interval != nil {
				top = max(top, b.Interval.High)
			}
		}
	}
	step := niceStep(top)
	f := Figure{ID: id, Title: title, Desc: desc, Axis: axis, Panels: panels, Table: table}
	for v := 0.0; ; v += step {
		f.ticks = append(f.ticks, tick{value: v, label: num(roundTick(v))})
		if v >= top-1e-9 {
			f.scale = v
			break
		}
	}
	return f
}

// niceStep is a step of 1, 2 or 5 times a power of ten that cuts 0..top
// in at most 5 ticks.
func niceStep(top float64) float64 {
	if !(top > 0) || math.IsInf(top, 0) {
		return 1
	}
	raw := top / 4
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return m * pow
		}
	}
	return 10 * pow
}

// roundTick drops floating-point dust from a tick (0.30000000000000004).
func roundTick(v float64) float64 { return math.Round(v*1e9) / 1e9 }

// Geometry of a panel, in SVG user units.
const (
	figWidth  = 500 // narrow enough that text stays legible on a phone
	figLabelW = 150
	figBarMax = 240
	figRowH   = 34
	figBarH   = 22
	figPadTop = 6
	figAxisH  = 30
)

// PanelID is the id of panel i.
func (f Figure) PanelID(i int) string { return f.ID + "-" + strconv.Itoa(i+1) }

func (f Figure) panelHeight(p Panel) int { return figPadTop + len(p.Bars)*figRowH + figAxisH }

// PanelViewBox is the SVG viewBox of panel p: wide enough for the
// longest figure written beside its bar ("689,03 ± 1 310,97 kWh"), the
// same for every panel of the figure.
func (f Figure) PanelViewBox(p Panel) string {
	return "0 0 " + strconv.Itoa(f.width()) + " " + strconv.Itoa(f.panelHeight(p))
}

// figCharW is the most a character of a bar's text takes, in SVG units,
// at the charts' font size (17px, bold), with a little to spare.
const figCharW = 12

// width is the figure's width in SVG units: figWidth, or more when a
// bar's text would end beyond it.
func (f Figure) width() int {
	w := figWidth
	for _, p := range f.Panels {
		for _, b := range p.Bars {
			x := f.valueX(b)
			if b.Hidden {
				x = figLabelW + 8
			}
			w = max(w, x+utf8.RuneCountInString(b.Text)*figCharW)
		}
	}
	return w
}

func (f Figure) x(v float64) int {
	if f.scale <= 0 || v <= 0 {
		return figLabelW
	}
	return figLabelW + int(math.Round(min(v, f.scale)/f.scale*figBarMax))
}

func (f Figure) barW(b FigureBar) int {
	if b.Hidden || b.Value <= 0 {
		return 0
	}
	return max(f.x(b.Value)-figLabelW, 2)
}

func barY(i int) int               { return figPadTop + i*figRowH }
func textY(i int) int              { return barY(i) + figBarH/2 + 5 }
func (f Figure) axisY(p Panel) int { return figPadTop + len(p.Bars)*figRowH }

// valueX is where a bar's figure is written: after the bar, or after its
// interval when that reaches further.
func (f Figure) valueX(b FigureBar) int {
	end := figLabelW + f.barW(b)
	if b.Interval != nil {
		end = max(end, f.x(b.Interval.High))
	}
	return end + 8
}

// panelLabel is the aria-labelledby of panel i: the figure's title, the
// panel's own title when it has one, and the description.
func panelLabel(f Figure, i int, p Panel) string {
	ids := f.PanelID(i) + "-svgtitle"
	if p.Title != "" {
		ids += " " + f.PanelID(i) + "-title"
	}
	return ids + " " + f.PanelID(i) + "-svgdesc"
}
