package proposals

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/pooling/dptest"
)

// The differential privacy suite through the proposals service: what a
// run releases to its requester (Result, as the API gives it) and what
// the preview shows members, on two pools that differ by one member X.
// Every field, counts included, must keep the two output distributions
// within e^epsilon of each other (dptest, false alarm 1e-6 per check).
// The run id, its time, the proposal and the consent set's index and
// hash differ between any two runs (the hash commits to the set with keys
// only the state holds; docs/privacy.md argues why it reveals nothing):
// they are left out.

const (
	dpRuns       = 40 // runs per pool: epsilon 4 per proposal at 0.1 a run
	dpRunEpsilon = 0.1
)

// dpRules lets one proposal spend 4 in 40 runs, and previews be drawn on
// 40 days; votes may stay open 100 days.
func dpRules() governance.Rulebook {
	r := governancetest.Rules()
	for k, v := range r.Voting {
		v.MaxMinutes = 100 * 24 * 60
		r.Voting[k] = v
	}
	r.Disclosure.MaxEpsilonPerProposal = 4
	r.Disclosure.MaxEpsilonPerPoolYear = 20
	r.Disclosure.MaxEpsilonPerMemberPerYear = 20
	r.Disclosure.PreviewEpsilon = 0.1
	r.Disclosure.MaxPreviewEpsilonPerPoolPerYear = 5
	return r
}

// twoPools makes "energy" and "energy2" with the same members and records,
// and X, a gas member, in "energy" only: 4 gas and 5 wood members besides
// X, so X brings gas to the minimum cohort. It returns the voters, X
// first.
func twoPools(t *testing.T, c *coop) []members.Account {
	return twoPoolsHeating(t, c, func(i int) string { return []string{"gas", "wood"}[i%2] })
}

// twoPoolsHeating is twoPools with member i's heating (X is member 0).
func twoPoolsHeating(t *testing.T, c *coop, heating func(i int) string) []members.Account {
	t.Helper()
	ctx := context.Background()
	p, _ := c.pooling.Pool(ctx, "energy")
	p.ID = "energy2"
	if _, err := c.pooling.CreatePool(ctx, p); err != nil {
		t.Fatal(err)
	}
	var out []members.Account
	for i := range 10 {
		a := c.signup(fmt.Sprintf("dp%02d", i))
		heat := heating(i)
		pools := []string{"energy", "energy2"}
		if i == 0 { // X
			pools = pools[:1]
		}
		for _, pool := range pools {
			if _, err := c.pooling.SetConsent(ctx, a.ID, pool, true); err != nil {
				t.Fatal(err)
			}
			if _, err := c.pooling.Contribute(ctx, a.ID, pool, []map[string]any{{"kwh": float64(100 + 10*i), "heating": heat}}, ""); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, a)
	}
	return out
}

func dpDraft(pool string) Draft {
	return Draft{Title: "Members by heating", Purpose: "Count the members by heating.", Kind: governance.Knowledge, Pool: pool,
		Query:         &pooling.Query{Aggregate: pooling.AggCount, GroupBy: []string{"heating"}},
		Privacy:       &Privacy{MinCohort: 5, EpsilonTotal: dpRuns * dpRunEpsilon, EpsilonPerQuery: dpRunEpsilon},
		VotingMinutes: 60 * 24 * 60, GrantDays: 30}
}

func flattenAll(t *testing.T, vs []any, skip ...string) []dptest.Output {
	t.Helper()
	out := make([]dptest.Output, len(vs))
	for i, v := range vs {
		o, err := dptest.Flatten(v, skip...)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = o
	}
	return out
}

func checkDP(t *testing.T, what string, a, b []dptest.Output, eps float64) {
	t.Helper()
	// The pilot is the first quarter of each side; the rest is tested.
	pa, pb := len(a)/4, len(b)/4
	checks, bad := dptest.Check(dptest.Events(append(a[:pa:pa], b[:pb]...)), a[pa:], b[pb:], eps, 0)
	for _, v := range bad {
		t.Errorf("%s leaks beyond epsilon %g: %s", what, eps, v)
	}
	t.Logf("%s: %d checks", what, checks)
}

// runBoth runs the proposals on the two pools dpRuns times each and checks
// what the runs release.
func runBoth(t *testing.T, c *coop, voters []members.Account, with, without Draft) {
	t.Helper()
	ctx := context.Background()
	a := passedProposal(t, c, voters, with)
	b := passedProposal(t, c, voters, without)
	var ra, rb []any
	for range dpRuns {
		x, err := c.props.RunQuery(ctx, c.researcher, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		y, err := c.props.RunQuery(ctx, c.researcher, b.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		ra, rb = append(ra, x), append(rb, y)
	}
	skip := []string{"run", "at", "proposal", "consent_set.index", "consent_set.hash"}
	checkDP(t, "a run's result", flattenAll(t, ra, skip...), flattenAll(t, rb, skip...), dpRunEpsilon)
}

func TestDP_RunsAndPreviewsThroughTheService(t *testing.T) {
	c := startCoopWith(t, dpRules())
	ctx := context.Background()
	voters := twoPools(t, c)
	runBoth(t, c, voters, dpDraft("energy"), dpDraft("energy2"))

	// Previews: one noisy count per pool and day, the same all day long.
	pa, err := c.props.Create(ctx, c.researcher, dpDraft("energy"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := c.props.Create(ctx, c.researcher, dpDraft("energy2"))
	if err != nil {
		t.Fatal(err)
	}
	member := voters[1]
	var va, vb []any
	for day := range 40 {
		c.clock.Advance(24 * time.Hour)
		a, err := c.props.Preview(ctx, member, pa.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.props.Preview(ctx, member, pb.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.MembersInScopeNoisy == nil || b.MembersInScopeNoisy == nil {
			t.Fatalf("day %d: no count for a member on an open proposal", day)
		}
		again, _ := c.props.Preview(ctx, member, pa.ID)
		if *again.MembersInScopeNoisy != *a.MembersInScopeNoisy {
			t.Fatalf("day %d: the count moved within the day (%d, then %d)", day, *a.MembersInScopeNoisy, *again.MembersInScopeNoisy)
		}
		va, vb = append(va, a), append(vb, b)
	}
	// The pool ids differ by construction.
	checkDP(t, "the preview", flattenAll(t, va, "members_counted_on", "twin.pool"), flattenAll(t, vb, "members_counted_on", "twin.pool"), 0.1)
}
