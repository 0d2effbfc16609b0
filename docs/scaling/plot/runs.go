package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// sample is one line of benchmark output: the size in its name (and the
// number of nodes, where it says nodes=N) and its metrics by unit.
type sample struct {
	size    float64
	nodes   int
	metrics map[string]float64
}

type samples []sample

// readRuns reads the benchmark lines of a `go test -bench` output whose
// names carry key=N (records=1000000), in order of size.
func readRuns(path, key string) (samples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out samples
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		r, ok, err := parseLine(sc.Text(), key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if ok {
			out = append(out, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no benchmark line with %s=N", path, key)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].size < out[j].size })
	return out, nil
}

// parseLine reads "BenchmarkX/key=N/...-2  1  123 ns/op  4.5 unit ...".
func parseLine(line, key string) (sample, bool, error) {
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
		return sample{}, false, nil
	}
	var r sample
	found := false
	for _, part := range strings.Split(fields[0], "/") {
		name, v, ok := strings.Cut(part, "=")
		if !ok || name != key && name != "nodes" {
			continue
		}
		v, _, _ = strings.Cut(v, "-") // the GOMAXPROCS suffix
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return sample{}, false, fmt.Errorf("%s in %q: %w", name, fields[0], err)
		}
		if name == "nodes" {
			r.nodes = int(n)
		} else {
			r.size, found = n, true
		}
	}
	if !found {
		return sample{}, false, nil
	}
	r.metrics = map[string]float64{}
	// fields[1] is the iteration count; then value and unit pairs.
	for i := 2; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return sample{}, false, fmt.Errorf("value %q in %q: %w", fields[i], fields[0], err)
		}
		r.metrics[fields[i+1]] = v
	}
	return r, true, nil
}

// onNodes keeps the samples measured on n nodes.
func (rs samples) onNodes(n int) samples {
	var out samples
	for _, r := range rs {
		if r.nodes == n {
			out = append(out, r)
		}
	}
	return out
}

// series is one metric against the sizes that measured it.
func (rs samples) series(name, unit string) series {
	s := series{name: name}
	for _, r := range rs {
		if v, ok := r.metrics[unit]; ok && v > 0 {
			s.points = append(s.points, point{x: r.size, y: v, nodes: r.nodes})
		}
	}
	return s
}
