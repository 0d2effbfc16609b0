package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseLineReadsSizeAndMetrics(t *testing.T) {
	cases := []struct {
		line, key string
		ok        bool
		size      float64
		nodes     int
		metrics   map[string]float64
	}{
		{"BenchmarkScalingRecords/records=1000000/nodes=3-2 \t 1\t 7608173446 ns/op\t 0.1613 aggregate-s\t 35046 ingest-records/s", "records", true, 1e6, 3,
			map[string]float64{"ns/op": 7608173446, "aggregate-s": 0.1613, "ingest-records/s": 35046}},
		{"BenchmarkScalingMembers/members=10000-2 1 5 ns/op 171.2 open-votes-bytes/member", "members", true, 1e4, 0,
			map[string]float64{"ns/op": 5, "open-votes-bytes/member": 171.2}},
		{"BenchmarkScalingMembers/members=10000-2 1 5 ns/op", "records", false, 0, 0, nil},
		{"--- BENCH: BenchmarkScalingRecords/records=100000/nodes=3-2", "records", false, 0, 0, nil},
		{"ok  \tcoop/coop\t9.509s", "records", false, 0, 0, nil},
	}
	for _, c := range cases {
		r, ok, err := parseLine(c.line, c.key)
		if err != nil || ok != c.ok {
			t.Fatalf("%q: ok %v, err %v; want ok %v", c.line, ok, err, c.ok)
		}
		if !ok {
			continue
		}
		if r.size != c.size || r.nodes != c.nodes || len(r.metrics) != len(c.metrics) {
			t.Fatalf("%q: size %v, metrics %v", c.line, r.size, r.metrics)
		}
		for k, v := range c.metrics {
			if r.metrics[k] != v {
				t.Fatalf("%q: %s = %v, want %v", c.line, k, r.metrics[k], v)
			}
		}
	}
	if _, _, err := parseLine("BenchmarkX/records=1e6/nodes=3-2 1 x ns/op", "records"); err == nil {
		t.Fatal("a value that is not a number was accepted")
	}
}

// TestRunDrawsEachMeasuredPoint draws the charts from a sample of the real
// outputs (testdata: records at 1M on 3 nodes and 30M on one node, without
// a snapshot install; members at 10k and 1M) and finds each measured value
// in them, at its place.
func TestRunDrawsEachMeasuredPoint(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"records.txt", "members.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		svg := string(data)
		if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
			t.Fatalf("%s is not an SVG document", name)
		}
		return svg
	}
	for _, c := range charts(nil, nil) {
		read(c.file)
	}
	cases := []struct {
		file, series string
		want         []string // each point's title after the series name
	}{
		{"records-aggregate.svg", "pooling.Aggregate", []string{"0.252 at 1M, 3 nodes", "3.55 at 30M, one node"}},
		{"records-aggregate.svg", "same GROUP BY, raw SQL", []string{"0.719 at 1M, 3 nodes", "16.4 at 30M, one node"}},
		{"records-snapshot.svg", "snapshot install, new node", []string{"5.11 at 1M, 3 nodes"}},
		{"records-snapshot.svg", "snapshot (VACUUM INTO, persist)", []string{"3 at 1M, 3 nodes", "91.3 at 30M, one node"}},
		{"records-ingest.svg", "coop, 3 nodes, via a follower", []string{"2.53e+04 at 1M, 3 nodes"}},
		{"records-ingest.svg", "coop, one node", []string{"6.11e+04 at 30M, one node"}},
		{"records-space.svg", "snapshot", []string{"391 at 1M, 3 nodes", "9.89e+03 at 30M, one node"}},
		{"records-restart.svg", "restart of the node that snapshotted", []string{"2.22 at 1M, 3 nodes", "84.2 at 30M, one node"}},
		{"members-time.svg", "electorate frozen (leader answers)", []string{"0.279 at 10k", "72.3 at 1M"}},
		{"members-ballots.svg", "ballots/s", []string{"1.72e+03 at 10k", "406 at 1M"}},
		{"members-memory.svg", "open votes in memory", []string{"1.63 at 10k", "188 at 1M"}},
	}
	for _, c := range cases {
		svg := read(c.file)
		prefix := "<title>" + c.series + ": "
		if got := strings.Count(svg, prefix); got != len(c.want) {
			t.Errorf("%s: %d points of %q, want %d", c.file, got, c.series, len(c.want))
		}
		for _, w := range c.want {
			if !strings.Contains(svg, prefix+w+"</title>") {
				t.Errorf("%s: no point %q of %q", c.file, w, c.series)
			}
		}
	}

	// The aggregate's line goes left to right and up, from 1M on 3 nodes
	// (filled) to 30M on one node (hollow).
	svg := read("records-aggregate.svg")
	first := circle(t, svg, "pooling.Aggregate: 0.252 at 1M")
	last := circle(t, svg, "pooling.Aggregate: 3.55 at 30M")
	if !(first.x < last.x && first.y > last.y) {
		t.Fatalf("1M at %+v, 30M at %+v: want the second right of and above the first", first, last)
	}
	if first.fill == "white" || last.fill != "white" {
		t.Fatalf("fills %q (3 nodes) and %q (one node), want only the one-node point hollow", first.fill, last.fill)
	}
}

// drawn is a marker as the SVG places it.
type drawn struct {
	x, y float64
	fill string
}

// circle finds the marker whose title starts with title.
func circle(t *testing.T, svg, title string) drawn {
	t.Helper()
	end := strings.Index(svg, "<title>"+title)
	if end < 0 {
		t.Fatalf("no marker %q", title)
	}
	start := strings.LastIndex(svg[:end], "<circle ")
	attr := func(name string) string {
		s := svg[start:end]
		s = s[strings.Index(s, " "+name+`="`)+len(name)+3:]
		return s[:strings.Index(s, `"`)]
	}
	x, errX := strconv.ParseFloat(attr("cx"), 64)
	y, errY := strconv.ParseFloat(attr("cy"), 64)
	if errX != nil || errY != nil {
		t.Fatalf("marker %q: %v %v", title, errX, errY)
	}
	return drawn{x: x, y: y, fill: attr("fill")}
}

func TestExtensionFollowsThePowerLawOfThePoints(t *testing.T) {
	cases := []struct {
		name   string
		points []point
		want   float64
		ok     bool
	}{
		{"linear", []point{{x: 1e6, y: 2}, {x: 1e7, y: 20}, {x: 3e7, y: 60}}, 2 * 1.752e9 / 1e6, true},
		{"quadratic", []point{{x: 1e6, y: 1}, {x: 1e7, y: 100}}, math.Pow(1.752e9/1e6, 2), true},
		{"flat", []point{{x: 1e6, y: 40}, {x: 1e7, y: 40}}, 40, true},
		{"one point", []point{{x: 1e6, y: 2}}, 0, false},
	}
	c := chart{extendTo: 1.752e9}
	for _, tc := range cases {
		got, ok := c.extension(series{name: tc.name, points: tc.points})
		if ok != tc.ok || ok && (got.x != 1.752e9 || math.Abs(got.y-tc.want) > 1e-6*tc.want) {
			t.Errorf("%s: %+v %v, want y %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (chart{}).extension(series{points: []point{{x: 1, y: 1}, {x: 10, y: 10}}}); ok {
		t.Error("a chart without extendTo extended a series")
	}
}
