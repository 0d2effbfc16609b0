package pooling

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// exact is a budget so large that the noise is far below the tolerances
// the tests use: it checks what is computed, not how it is hidden.
var exact = Disclosure{MinCohort: 5, Epsilon: 1e7}

// seedMembers gives n members consent and records: member i heats with
// heating[i%3] and reports kwh = 10*i and 10*i+20 in January (mean 10*i+10).
func seedMembers(t *testing.T, svc *Service, n int) {
	t.Helper()
	ctx := context.Background()
	heat := []string{"gas", "electric", "wood"}
	for i := 0; i < n; i++ {
		who := fmt.Sprintf("m%02d", i)
		if _, err := svc.SetConsent(ctx, who, "energy", true); err != nil {
			t.Fatal(err)
		}
		rows := []map[string]any{
			{"kwh": float64(10 * i), "heating": heat[i%3], "month": "2026-01"},
			{"kwh": float64(10*i + 20), "heating": heat[i%3], "month": "2026-01"},
		}
		if _, err := svc.Contribute(ctx, who, "energy", rows, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func value(t *testing.T, a Answer, key map[string]string) (float64, bool) {
	t.Helper()
	for _, g := range a.Groups {
		if fmt.Sprint(g.Key) == fmt.Sprint(key) {
			if g.Suppressed {
				return 0, false
			}
			return *g.Value, true
		}
	}
	t.Fatalf("no group %v in %+v", key, a.Groups)
	return 0, false
}

func TestAggregateBoundsEachMemberAndSuppressesSmallGroups(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 16) // gas: 6 members, electric: 5, wood: 5
	ctx := context.Background()
	p, _ := svc.Pool(ctx, "energy")

	all := fixSet(t, n)
	count, err := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggCount, GroupBy: []string{"heating"}}, exact, all)
	if err != nil {
		t.Fatal(err)
	}
	for heating, want := range map[string]float64{"gas": 6, "electric": 5, "wood": 5} {
		got, ok := value(t, count, map[string]string{"heating": heating})
		if !ok || math.Abs(got-want) > 0.5 {
			t.Fatalf("count %s = %v (shown %v), want %v members (not records)", heating, got, ok, want)
		}
	}
	if len(count.Members) != 16 {
		t.Fatalf("answer drew on %d members, want 16", len(count.Members))
	}

	// Mean of per-member means. Electric members are 1,4,7,10,13: means 20,50,80,110,140.
	mean, err := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}, exact, all)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := value(t, mean, map[string]string{"heating": "electric"}); math.Abs(got-80) > 0.5 {
		t.Fatalf("mean electric = %v, want 80", got)
	}

	// The cohort boundary (with noise far below 1): 5 shown, 4 suppressed.
	withoutOne := fixSet(t, n, "m01") // an electric member objects
	less, err := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggCount, GroupBy: []string{"heating"}}, exact, withoutOne)
	if err != nil {
		t.Fatal(err)
	}
	if _, shown := value(t, less, map[string]string{"heating": "electric"}); shown {
		t.Fatal("a group of 4 members was released with a minimum cohort of 5")
	}
	if _, shown := value(t, less, map[string]string{"heating": "wood"}); !shown {
		t.Fatal("a group of exactly 5 members was suppressed")
	}

	// Withdrawing consent removes the member from the next answer.
	if _, err := svc.SetConsent(ctx, "m00", "energy", false); err != nil {
		t.Fatal(err)
	}
	after, _ := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggCount, GroupBy: []string{"heating"}}, exact, fixSet(t, n))
	if got, _ := value(t, after, map[string]string{"heating": "gas"}); math.Abs(got-5) > 0.5 {
		t.Fatalf("after m00 withdrew, gas = %v, want 5", got)
	}
}

func TestAggregateFiltersAndHistogram(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 15)
	ctx := context.Background()
	p, _ := svc.Pool(ctx, "energy")
	set := fixSet(t, n)
	a, err := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggSum, Field: "kwh", Filters: map[string]string{"heating": "wood"}}, exact, set)
	if err != nil {
		t.Fatal(err)
	}
	// wood members 2,5,8,11,14: means 30,60,90,120,150 = 450
	if got, _ := value(t, a, map[string]string{}); math.Abs(got-450) > 1 {
		t.Fatalf("sum wood = %v, want 450", got)
	}
	h, err := Aggregate(ctx, n.DB(), p, Query{Aggregate: AggHistogram, Field: "kwh"}, exact, set)
	if err != nil {
		t.Fatal(err)
	}
	// Means 10..150: all 15 in the first bin (0..200) of 10 bins over 0..2000.
	if got, ok := value(t, h, map[string]string{"bin": "0..200"}); !ok || math.Abs(got-15) > 0.5 {
		t.Fatalf("first bin = %v (shown %v), want 15", got, ok)
	}
	if len(h.Groups) != 10 {
		t.Fatalf("%d bins, want 10", len(h.Groups))
	}
	for _, q := range []Query{{Aggregate: "median", Field: "kwh"}, {Aggregate: AggMean, Field: "heating"}, {Aggregate: AggCount, GroupBy: []string{"kwh"}}, {Aggregate: AggCount, Filters: map[string]string{"heating": "coal"}}} {
		if _, err := Aggregate(ctx, n.DB(), p, q, exact, set); err == nil {
			t.Fatalf("query %+v was accepted", q)
		}
	}
}

// testReleaser releases a query's cells at eps, with the l0 of q over
// the energy pool, drawing noise.
func testReleaser(q Query, eps float64) releaser {
	return newReleaser(newPlan(energyPool(), q, "set"), Disclosure{MinCohort: 2, Epsilon: eps}, true)
}

// The noise of a count has mean 0 and the variance of Laplace noise of
// scale l0/epsilon (2*b^2), within bounds loose enough for 4,000 draws;
// l0 is the number of groups a member can reach: 1 without a group field,
// the 3 heating values grouped by heating.
func TestCountNoiseIsLaplaceScaledToTheGroupsAMemberReaches(t *testing.T) {
	const eps = 2.0
	const draws = 4000
	for _, tc := range []struct {
		q     Query
		l0    float64
		share float64 // of epsilon left to the count
	}{
		{Query{Aggregate: AggCount}, 1, 1},
		{Query{Aggregate: AggCount, GroupBy: []string{"heating"}}, 3, 1},
		// Months without a declared range: half the budget selects them.
		{Query{Aggregate: AggCount, GroupBy: []string{"month"}}, maxPartitionsPerMember, 0.5},
	} {
		r := testReleaser(tc.q, eps)
		var sum, sumSq float64
		for i := 0; i < draws; i++ {
			v, err := r.count(1000)
			if err != nil {
				t.Fatal(err)
			}
			d := float64(v - 1000)
			sum += d
			sumSq += d * d
		}
		mean := sum / draws
		variance := sumSq/draws - mean*mean
		b := tc.l0 / (eps * tc.share)
		want := 2 * b * b
		if math.Abs(mean) > 0.1*tc.l0+0.1 || variance < 0.8*want || variance > 1.2*want {
			t.Fatalf("%+v: noise mean %.3f variance %.2f, want ~0 and ~%.2f", tc.q, mean, variance, want)
		}
	}
}

func TestAggregateNeedsAPositiveBudgetAndACohort(t *testing.T) {
	svc, n := startPooling(t)
	p, _ := svc.Pool(context.Background(), "energy")
	for _, d := range []Disclosure{{MinCohort: 1, Epsilon: 1}, {MinCohort: 5, Epsilon: 0}, {MinCohort: 5, Epsilon: math.Inf(1)}} {
		if _, err := Aggregate(context.Background(), n.DB(), p, Query{Aggregate: AggCount}, d, "run"); err == nil {
			t.Fatalf("disclosure %+v accepted", d)
		}
	}
	if _, err := Aggregate(context.Background(), n.DB(), p, Query{Aggregate: AggCount}, Disclosure{MinCohort: 5, Epsilon: 1}, ""); err == nil {
		t.Fatal("a release without a consent set was accepted")
	}
}

// Differencing attack: two answers whose cohorts differ by one member. The
// noise hides the member: over 2,000 pairs of releases at epsilon 1, the
// answer without the member is at least as large as the one with them in
// more than a quarter of the pairs (a difference of exactly one would show
// in every pair without noise; at epsilon 1 no guess is right more than
// e/(1+e) = 73 % of the time). The budget then bounds how many pairs
// anyone gets.
func TestAttack_DifferencingIsHiddenByNoise(t *testing.T) {
	r := testReleaser(Query{Aggregate: AggCount}, 1)
	const pairs = 2000
	inverted := 0
	for i := 0; i < pairs; i++ {
		a, err := r.count(40)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := r.count(39)
		if b >= a {
			inverted++
		}
	}
	if frac := float64(inverted) / pairs; frac < 0.25 {
		t.Fatalf("the smaller cohort answered at least as high in only %.0f%% of pairs: the noise does not hide one member", frac*100)
	}
}

// The mean and the sum are noisy around the truth, unbiased, with the
// spread their clamping bounds and epsilon call for; their intervals hold
// the truth about 95 % of the time.
func TestSumAndMeanNoiseAreUnbiasedAndTheirIntervalsHold(t *testing.T) {
	const draws = 3000
	for _, agg := range []string{AggSum, AggMean} {
		q := Query{Aggregate: agg, Field: "kwh"}
		r := testReleaser(q, 2)
		g := r.grid
		members := 200
		c := cell{members: members, units: int64(members) * int64(math.Round(500/g.step))} // each member at 500 kWh
		truth := map[string]float64{AggSum: 200 * 500, AggMean: 500}[agg]
		var sum float64
		held := 0
		for i := 0; i < draws; i++ {
			groups, _, err := r.release(map[string]string{}, c, Field{})
			if err != nil {
				t.Fatal(err)
			}
			v := *groups[0].Value
			sum += v
			if ci := groups[0].CI; ci[0] <= truth && truth <= ci[1] {
				held++
			}
		}
		if mean := sum / draws; math.Abs(mean-truth) > 0.02*truth {
			t.Fatalf("%s: mean of %d releases %.2f, truth %.2f", agg, draws, mean, truth)
		}
		if rate := float64(held) / draws; rate < 0.93 {
			t.Fatalf("%s: the 95%% interval held the truth in %.1f%% of releases", agg, rate*100)
		}
	}
}
