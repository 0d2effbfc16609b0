package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// point is one measure: x the size, y the value, nodes the number of
// nodes it was measured on (0 when the benchmark's name does not say).
type point struct {
	x, y  float64
	nodes int
}

type series struct {
	name   string
	points []point
}

// chart is a line chart on logarithmic axes. With extendTo set, each
// series of two points or more goes on, dashed, to x = extendTo along the
// power law fitted to its points (a straight line on these axes), and a
// vertical line marks extendTo with the label mark.
type chart struct {
	file, title, x, y string
	series            []series
	extendTo          float64
	mark              string
}

// The drawing's geometry, in SVG units.
const (
	width, height       = 720, 420
	left, right         = 70, 250 // the legend sits in the right margin
	top, bottom         = 40, 50
	plotW, plotH        = width - left - right, height - top - bottom
	markerRadius        = 3.5
	legendLine, legendX = 18, width - right + 16
)

var palette = []string{"#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8c564b"}

// extension is where series s reaches at extendTo, by the power law
// fitted to its points (least squares on the logarithms); ok is false
// without extendTo or with fewer than two points.
func (c chart) extension(s series) (p point, ok bool) {
	if c.extendTo == 0 || len(s.points) < 2 {
		return point{}, false
	}
	var n, sx, sy, sxx, sxy float64
	for _, p := range s.points {
		x, y := math.Log10(p.x), math.Log10(p.y)
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return point{}, false
	}
	slope := (n*sxy - sx*sy) / den
	intercept := (sy - slope*sx) / n
	return point{x: c.extendTo, y: math.Pow(10, intercept+slope*math.Log10(c.extendTo))}, true
}

// bounds are the decades that hold every point, extensions included.
func (c chart) bounds() (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range c.series {
		pts := s.points
		if e, ok := c.extension(s); ok {
			pts = append(pts[:len(pts):len(pts)], e)
		}
		for _, p := range pts {
			x0, x1 = math.Min(x0, p.x), math.Max(x1, p.x)
			y0, y1 = math.Min(y0, p.y), math.Max(y1, p.y)
		}
	}
	if math.IsInf(x0, 1) {
		return 1, 10, 1, 10
	}
	x0, x1 = math.Floor(math.Log10(x0)), math.Ceil(math.Log10(x1))
	y0, y1 = math.Floor(math.Log10(y0)), math.Ceil(math.Log10(y1))
	if x1 == x0 {
		x1++
	}
	if y1 == y0 {
		y1++
	}
	return x0, x1, y0, y1
}

// svg draws the chart.
func (c chart) svg() string {
	x0, x1, y0, y1 := c.bounds()
	px := func(x float64) float64 { return left + (math.Log10(x)-x0)/(x1-x0)*plotW }
	py := func(y float64) float64 { return top + plotH - (math.Log10(y)-y0)/(y1-y0)*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.title))
	// Grid and ticks: one line per decade, faint lines at 2 and 5.
	for _, t := range ticks(x0, x1) {
		x := px(t.v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, top, x, top+plotH, t.color())
		if t.labelled {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, top+plotH+18, label(t.v))
		}
	}
	for _, t := range ticks(y0, y1) {
		y := py(t.v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", left, y, left+plotW, y, t.color())
		if t.labelled {
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, label(t.v))
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>`+"\n", left, top, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s (log)</text>`+"\n", left+plotW/2, height-10, html.EscapeString(c.x))
	fmt.Fprintf(&b, `<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)">%s (log)</text>`+"\n", top+plotH/2, top+plotH/2, html.EscapeString(c.y))
	if c.extendTo > 0 {
		x := px(c.extendTo)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="2 3"/>`+"\n", x, top, x, top+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="end" fill="#555">%s</text>`+"\n", x-4, top+plotH-8, html.EscapeString(c.mark))
	}
	for i, s := range c.series {
		color := palette[i%len(palette)]
		if e, ok := c.extension(s); ok {
			last := s.points[len(s.points)-1]
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`+"\n",
				px(last.x), py(last.y), px(e.x), py(e.y), color)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="white" stroke="%s"><title>%s: about %s at %s (fitted)</title></circle>`+"\n",
				px(e.x), py(e.y), markerRadius, color, html.EscapeString(s.name), value(e.y), label(e.x))
		}
		var pts []string
		for _, p := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		}
		for _, p := range s.points {
			fill := color
			if p.nodes == 1 {
				fill = "white"
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="%s" stroke-width="1.5"><title>%s: %s at %s%s</title></circle>`+"\n",
				px(p.x), py(p.y), markerRadius, fill, color, html.EscapeString(s.name), value(p.y), label(p.x), onNodes(p.nodes))
		}
		ly := top + 8 + i*legendLine
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", legendX, ly, legendX+18, ly, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", legendX+24, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// tick is a grid line of a logarithmic axis.
type tick struct {
	v        float64
	decade   bool // a power of ten; the others are 2 and 5 times one
	labelled bool
}

// ticks are the grid lines from 10^d0 to 10^d1: each power of ten, and 2
// and 5 times it, labelled at the powers of ten or, on an axis of two
// decades or less, at all of them.
func ticks(d0, d1 float64) []tick {
	var out []tick
	for d := d0; d <= d1; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > d1 {
				break
			}
			out = append(out, tick{v: v, decade: m == 1, labelled: m == 1 || d1-d0 <= 2})
		}
	}
	return out
}

func (t tick) color() string {
	if t.decade {
		return "#ccc"
	}
	return "#eee"
}

// label writes a power of ten the way the doc does: 1k, 10M, 0.01.
func label(v float64) string {
	switch {
	case v >= 1e9:
		return trim(v/1e9) + "G"
	case v >= 1e6:
		return trim(v/1e6) + "M"
	case v >= 1e3:
		return trim(v/1e3) + "k"
	case v >= 1:
		return trim(v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// onNodes says on how many nodes a point was measured, where it is known.
func onNodes(n int) string {
	switch {
	case n == 1:
		return ", one node"
	case n > 1:
		return fmt.Sprintf(", %d nodes", n)
	}
	return ""
}

func value(v float64) string { return fmt.Sprintf("%.3g", v) }

func trim(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
