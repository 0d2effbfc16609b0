package components

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The scale is round: ticks of 1, 2 or 5 times a power of ten, from 0 to
// the first tick at or above the largest figure or interval end.
func TestNewFigure_Ticks(t *testing.T) {
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, tc := range []struct {
		bars []FigureBar
		want string
	}{
		{[]FigureBar{{Value: 512}}, "0 200 400 600"},
		{[]FigureBar{{Value: 7}, {Value: 6}}, "0 2 4 6 8"},
		{[]FigureBar{{Value: 0.3}}, "0 0.1 0.2 0.3"},
		{[]FigureBar{{Value: 90, Interval: &Interval{Low: 80, High: 130}}}, "0 50 100 150"},
		{[]FigureBar{{Hidden: true}}, "0"},
	} {
		f := NewFigure("f", "t", "d", "axis", []Panel{{Bars: tc.bars}}, FigureTable{}, num)
		var got []string
		for _, tk := range f.ticks {
			got = append(got, tk.label)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%+v: ticks %v, want %s", tc.bars, got, tc.want)
		}
	}
}

// Each panel is an image with its title; an interval is drawn across its
// bar; the table repeats every figure.
func TestFigureView_PanelsIntervalAndTable(t *testing.T) {
	f := NewFigure("fig", "Title", "Desc", "Members", []Panel{
		{Title: "gas", Bars: []FigureBar{{Label: "2026-01", Value: 7, Text: "7", Interval: &Interval{Low: 5, High: 9}}}},
		{Title: "wood", Bars: []FigureBar{{Label: "2026-01", Hidden: true, Text: "hidden"}}},
	}, FigureTable{Caption: "Table", Columns: []string{"Heating", "Month", "Members"},
		Rows: [][]string{{"gas", "2026-01", "7"}, {"wood", "2026-01", "hidden"}}}, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	var buf bytes.Buffer
	if err := FigureView(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`data-testid="fig-1"`, `data-testid="fig-2"`, `id="fig-2-title" data-user>wood<`, `class="interval"`,
		`<td data-label="Members" data-user>hidden</td>`, `<summary>Table</summary>`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Count(out, "<rect") != 1 {
		t.Errorf("%d bars, want 1 (the hidden group has none)", strings.Count(out, "<rect"))
	}
}

// A figure's drawing widens for a long figure beside its bar (a mean and
// its interval, with the unit), so that the text is not cut off.
func TestFigure_WideEnoughForItsFigures(t *testing.T) {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	short := NewFigure("f", "t", "d", "axis", []Panel{{Bars: []FigureBar{{Label: "gas", Value: 7, Text: "7"}}}}, FigureTable{}, num)
	if got := short.PanelViewBox(short.Panels[0]); got != "0 0 500 70" {
		t.Errorf("a short figure: viewBox %q, want the usual 500 wide", got)
	}
	long := NewFigure("f", "t", "d", "axis", []Panel{{Bars: []FigureBar{{Label: "gas", Value: 689, Text: "689,03 ± 1 310,97 kWh",
		Interval: &Interval{Low: 0, High: 2000}}}}}, FigureTable{}, num)
	var w, h int
	if _, err := fmt.Sscanf(long.PanelViewBox(long.Panels[0]), "0 0 %d %d", &w, &h); err != nil {
		t.Fatal(err)
	}
	if end := long.valueX(long.Panels[0].Bars[0]) + utf8.RuneCountInString("689,03 ± 1 310,97 kWh")*figCharW; w < end || w <= 500 {
		t.Errorf("a long figure ends at %d in a drawing %d wide", end, w)
	}
}
