package pooling

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coop/pooling/dptest"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// The differential privacy suite of the engine: each scenario is a pair
// of neighbouring datasets (the same pool with and without one member,
// X), run through Aggregate many times; every released field (values,
// intervals, suppressed flags, noisy counts, the key set, and the noisy
// size operators see) must keep the two output distributions within
// e^epsilon (plus delta) of each other, up to sampling slack (dptest:
// each check's false alarm is at most 1e-6).

const (
	dpSamples = 1000 // per dataset
	dpPilot   = 100  // per dataset, to fix the events
	dpEpsilon = 1.0
)

// released is what leaves the engine: the groups, and the noisy size of
// the answer that operators see.
type released struct {
	Groups       []Group `json:"groups"`
	MembersNoisy int64   `json:"members_noisy"`
}

// dpMember is one member of a scenario's pool: their records.
type dpMember struct {
	heating string
	kwh     float64
	months  []string
}

type dpScenario struct {
	name      string
	ranged    bool // the pool declares its months (2026-01..2026-12)
	query     Query
	minCohort int
	others    []dpMember
	x         dpMember
}

func dpScenarios() []dpScenario {
	many := func(n int, heating string, kwh float64, months ...string) []dpMember {
		out := make([]dpMember, n)
		for i := range out {
			out[i] = dpMember{heating: heating, kwh: kwh + float64(i), months: months}
		}
		return out
	}
	jan := []string{"2026-01"}
	boundary := append(many(4, "gas", 300, jan...), many(6, "electric", 500, jan...)...)
	wood := append(many(8, "wood", 100, jan...), many(5, "gas", 300, jan...)...)
	spread := append(many(6, "gas", 300, "2026-01", "2026-02", "2026-03"), many(5, "electric", 400, "2026-02")...)
	return []dpScenario{
		// X makes gas reach the minimum cohort (5): suppression must not
		// follow the exact count.
		{name: "member at the cohort boundary, count", query: Query{Aggregate: AggCount, GroupBy: []string{"heating"}}, minCohort: 5,
			others: boundary, x: dpMember{heating: "gas", kwh: 300, months: jan}},
		{name: "member at the cohort boundary, mean", query: Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}, minCohort: 5,
			others: boundary, x: dpMember{heating: "gas", kwh: 300, months: jan}},
		// X is an extreme value in a group of 8.
		{name: "extreme value, mean", query: Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}, minCohort: 5,
			others: wood, x: dpMember{heating: "wood", kwh: 2000, months: jan}},
		{name: "extreme value, sum", query: Query{Aggregate: AggSum, Field: "kwh", Filters: map[string]string{"heating": "wood"}}, minCohort: 5,
			others: wood, x: dpMember{heating: "wood", kwh: 2000, months: jan}},
		// X is alone in a month: the month must not show because of them.
		{name: "lone month, months from the data", query: Query{Aggregate: AggCount, GroupBy: []string{"month"}}, minCohort: 5,
			others: spread, x: dpMember{heating: "gas", kwh: 300, months: []string{"2026-07"}}},
		{name: "lone month, declared months", ranged: true, query: Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"month"}}, minCohort: 5,
			others: spread, x: dpMember{heating: "gas", kwh: 300, months: []string{"2026-07"}}},
		// X is alone in a category.
		{name: "lone category, histogram", query: Query{Aggregate: AggHistogram, Field: "kwh", Filters: map[string]string{"heating": "wood"}}, minCohort: 5,
			others: many(9, "gas", 300, jan...), x: dpMember{heating: "wood", kwh: 1900, months: jan}},
		{name: "lone category, count by heating and month", query: Query{Aggregate: AggCount, GroupBy: []string{"heating", "month"}}, minCohort: 5,
			others: many(9, "gas", 300, jan...), x: dpMember{heating: "wood", kwh: 1900, months: []string{"2026-02"}}},
	}
}

// setUp creates the scenario's pool and members, and the two neighbouring
// consent sets: every member, and every member but X.
func (sc dpScenario) setUp(t *testing.T, n *raftdatatest.Node, svc *Service, id string) (Pool, string, string) {
	t.Helper()
	ctx := context.Background()
	p := energyPool()
	p.ID = id
	if sc.ranged {
		p.Fields[2].From, p.Fields[2].To = "2026-01", "2026-12"
	}
	if _, err := svc.CreatePool(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i, m := range append(sc.others, sc.x) {
		who := fmt.Sprintf("%s-m%02d", id, i)
		if _, err := svc.SetConsent(ctx, who, id, true); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		for _, month := range m.months {
			rows = append(rows, map[string]any{"kwh": m.kwh, "heating": m.heating, "month": month})
		}
		if _, err := svc.Contribute(ctx, who, id, rows, ""); err != nil {
			t.Fatal(err)
		}
	}
	x := fmt.Sprintf("%s-m%02d", id, len(sc.others))
	fix := func(objectors ...string) string {
		run := raftdata.NewID()[:16]
		if _, err := n.Apply(ctx, "test.fix_consent_set", SetRequest{Run: run, Pool: id, Proposal: "p", Objectors: objectors, Epsilon: 1, CapPerYear: 1e6}); err != nil {
			t.Fatal(err)
		}
		return run
	}
	return p, fix(), fix(x)
}

// sample runs the query n times on a consent set and flattens each
// release.
func sample(t *testing.T, n *raftdatatest.Node, p Pool, sc dpScenario, d Disclosure, set string, count int) []dptest.Output {
	t.Helper()
	out := make([]dptest.Output, 0, count)
	for range count {
		a, err := Aggregate(context.Background(), n.DB(), p, sc.query, d, set)
		if err != nil {
			t.Fatal(err)
		}
		o, err := dptest.Flatten(released{Groups: a.Groups, MembersNoisy: a.MembersNoisy})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// checkNeighbours runs the scenario on both datasets and returns what
// leaks beyond eps.
func checkNeighbours(t *testing.T, n *raftdatatest.Node, p Pool, sc dpScenario, with, without string, d Disclosure, eps float64) (int, []dptest.Violation) {
	t.Helper()
	pilot := append(sample(t, n, p, sc, d, with, dpPilot), sample(t, n, p, sc, d, without, dpPilot)...)
	a := sample(t, n, p, sc, d, with, dpSamples)
	b := sample(t, n, p, sc, d, without, dpSamples)
	return dptest.Check(dptest.Events(pilot), a, b, eps, selectionDelta)
}

func TestDP_NeighbouringDatasetsStayWithinEpsilon(t *testing.T) {
	n := raftdatatest.Start(t, testRegister)
	svc := New(n.Store)
	start := time.Now()
	total := 0
	for i, sc := range dpScenarios() {
		p, with, without := sc.setUp(t, n, svc, fmt.Sprintf("dp%d", i))
		checks, bad := checkNeighbours(t, n, p, sc, with, without, Disclosure{MinCohort: sc.minCohort, Epsilon: dpEpsilon}, dpEpsilon)
		total += checks
		if len(bad) > 0 {
			t.Errorf("%s: %d of %d checks fail at epsilon %g:", sc.name, len(bad), checks, dpEpsilon)
			for _, v := range bad {
				t.Errorf("  %s", v)
			}
		}
	}
	t.Logf("%d checks over %d samples a dataset in %s", total, dpSamples, time.Since(start).Round(time.Millisecond))
}

// The suite has power: the same scenarios released with almost no noise
// (epsilon 10^6) are caught when checked at epsilon 1, on every field the
// exact figures give away.
func TestDP_TheSuiteCatchesAnAlmostExactRelease(t *testing.T) {
	n := raftdatatest.Start(t, testRegister)
	svc := New(n.Store)
	for i, sc := range dpScenarios()[:1] {
		p, with, without := sc.setUp(t, n, svc, fmt.Sprintf("dpx%d", i))
		_, bad := checkNeighbours(t, n, p, sc, with, without, Disclosure{MinCohort: sc.minCohort, Epsilon: 1e6}, dpEpsilon)
		if len(bad) == 0 {
			t.Fatalf("%s: an almost exact release passes the checks at epsilon %g", sc.name, dpEpsilon)
		}
	}
}
