package server

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"coop/raftdata"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram.
var durationBuckets = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts HTTP requests for /metrics. One value per app: no global
// registry.
type metrics struct {
	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[string]*histogram // by route
}

type requestKey struct {
	route, method string
	code          int
}

type histogram struct {
	counts [len(durationBuckets)]uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, durations: map[string]*histogram{}}
}

func (m *metrics) observe(route, method string, code int, took time.Duration) {
	sec := took.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, code}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{}
		m.durations[route] = h
	}
	h.count++
	h.sum += sec
	for i, le := range durationBuckets {
		if sec <= le {
			h.counts[i]++
			break
		}
	}
}

// Write prints the HTTP figures in the Prometheus text format, sorted so
// that two scrapes list series in the same order.
func (m *metrics) Write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()

	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.code < b.code
	})
	fmt.Fprintln(w, "# HELP coop_http_requests_total HTTP requests answered, by route, method and status code.")
	fmt.Fprintln(w, "# TYPE coop_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "coop_http_requests_total{route=%s,method=%s,code=\"%d\"} %d\n",
			quoteLabel(k.route), quoteLabel(k.method), k.code, m.requests[k])
	}

	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	fmt.Fprintln(w, "# HELP coop_http_request_duration_seconds Time to answer an HTTP request, by route.")
	fmt.Fprintln(w, "# TYPE coop_http_request_duration_seconds histogram")
	for _, r := range routes {
		h, route := m.durations[r], quoteLabel(r)
		var cum uint64
		for i, le := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "coop_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n",
				route, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "coop_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", route, h.count)
		fmt.Fprintf(w, "coop_http_request_duration_seconds_sum{route=%s} %s\n", route, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "coop_http_request_duration_seconds_count{route=%s} %d\n", route, h.count)
	}
}

// Gauge prints one metric with its help and type lines.
func Gauge(w io.Writer, name, help string, value uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, value)
}

// Counter prints one counter with its help and type lines.
func Counter(w io.Writer, name, help string, value uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, value)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// quoteLabel quotes a label value as the text format wants it.
func quoteLabel(v string) string {
	return `"` + labelEscaper.Replace(v) + `"`
}

// WriteHistogram prints a latency histogram of raftdata with its help and type
// lines.
func WriteHistogram(w io.Writer, name, help string, h raftdata.Histogram) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for i, le := range h.Bounds {
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(le, 'g', -1, 64), h.Counts[i])
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n", name, h.Count)
	fmt.Fprintf(w, "%s_sum %s\n", name, strconv.FormatFloat(h.Sum, 'g', -1, 64))
	fmt.Fprintf(w, "%s_count %d\n", name, h.Count)
}

// Activity is what the members did, as this node's state applied it:
// counted from the events of applied commands, so every node counts every
// ballot of the cluster, and the figures restart from zero with the node.
type Activity struct {
	Ballots      uint64  // ballots cast (a changed ballot counts again)
	Queries      uint64  // aggregate queries run under a grant
	EpsilonSpent float64 // privacy budget those queries spent
}

// ActivityStats is what Deps.Events may also report (coop's events do).
type ActivityStats interface {
	Activity() Activity
}

// WriteActivity prints the members' activity.
func WriteActivity(w io.Writer, a Activity) {
	Counter(w, "coop_ballots_cast_total", "Ballots cast, as applied by this node (each node counts the whole cluster's).", a.Ballots)
	Counter(w, "coop_queries_run_total", "Aggregate queries run under a grant, as applied by this node.", a.Queries)
	fmt.Fprintf(w, "# HELP %[1]s Privacy budget (epsilon) spent by queries, as applied by this node.\n# TYPE %[1]s counter\n%[1]s %[2]s\n",
		"coop_privacy_budget_spent_total", strconv.FormatFloat(a.EpsilonSpent, 'g', -1, 64))
}
