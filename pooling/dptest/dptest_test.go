package dptest

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBoundsHoldTheTruth(t *testing.T) {
	for _, tc := range []struct{ k, n int }{{0, 100}, {1, 100}, {50, 100}, {99, 100}, {100, 100}, {3, 2000}} {
		lo, hi := Lower(tc.k, tc.n, 1e-6), Upper(tc.k, tc.n, 1e-6)
		p := float64(tc.k) / float64(tc.n)
		if lo > p || hi < p || lo < 0 || hi > 1 {
			t.Fatalf("k=%d n=%d: [%g, %g] misses %g", tc.k, tc.n, lo, hi, p)
		}
	}
	// Known values: no success in n trials, upper bound 1 - beta^(1/n).
	if got, want := Upper(0, 40, 5e-7), 1-math.Pow(5e-7, 1.0/40); math.Abs(got-want) > 1e-9 {
		t.Fatalf("Upper(0, 40) = %g, want %g", got, want)
	}
}

// Randomized response at epsilon 1 passes; the same with one answer
// always true (a leak) fails; and 40 samples a side are enough to catch
// an exact difference at epsilon 0.1.
func TestCheckPassesDPAndCatchesLeaks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rr := func(truth bool, eps float64) Output {
		keep := rng.Float64() < math.Exp(eps)/(1+math.Exp(eps))
		return Output{"answer": truth == keep, "noise": rng.Float64()}
	}
	sample := func(n int, f func() Output) []Output {
		out := make([]Output, n)
		for i := range out {
			out[i] = f()
		}
		return out
	}
	pilot := append(sample(100, func() Output { return rr(true, 1) }), sample(100, func() Output { return rr(false, 1) })...)
	events := Events(pilot)
	a := sample(4000, func() Output { return rr(true, 1) })
	b := sample(4000, func() Output { return rr(false, 1) })
	if n, bad := Check(events, a, b, 1, 0); len(bad) > 0 || n < 10 {
		t.Fatalf("randomized response at epsilon 1 flagged (%d checks): %v", n, bad)
	}
	// Checked against epsilon 0.5 it leaks more than allowed.
	if _, bad := Check(events, a, b, 0.5, 0); len(bad) == 0 {
		t.Fatal("randomized response at epsilon 1 passes a check at 0.5")
	}
	exact := func(v float64) Output { return Output{"count": v} }
	ea := sample(40, func() Output { return exact(6) })
	eb := sample(40, func() Output { return exact(5) })
	if _, bad := Check(Events(append(ea[:5:5], eb[:5]...)), ea, eb, 0.1, 0); len(bad) == 0 {
		t.Fatal("an exact count passes")
	}
}

func TestFlattenIndexesGroupsByKey(t *testing.T) {
	v := map[string]any{"groups": []any{
		map[string]any{"key": map[string]any{"m": "2026-07"}, "suppressed": true},
		map[string]any{"key": map[string]any{"m": "2026-01"}, "value": 3.0},
	}, "run": "x"}
	o, err := Flatten(v, "run")
	if err != nil {
		t.Fatal(err)
	}
	want := Output{`groups.keys`: `[{"m":"2026-01"}] [{"m":"2026-07"}]`, `groups[{"m":"2026-07"}].suppressed`: true, `groups[{"m":"2026-01"}].value`: 3.0}
	if len(o) != len(want) {
		t.Fatalf("flattened %v, want %v", o, want)
	}
	for k, v := range want {
		if o[k] != v {
			t.Fatalf("%s = %v, want %v (all: %v)", k, o[k], v, o)
		}
	}
}

// The continued fraction agrees with the binomial sum.
func TestBinomCDFMatchesTheSum(t *testing.T) {
	sum := func(k, n int, p float64) float64 {
		total := 0.0
		for i := 0; i <= k; i++ {
			lg, _ := math.Lgamma(float64(n + 1))
			a, _ := math.Lgamma(float64(i + 1))
			b, _ := math.Lgamma(float64(n - i + 1))
			total += math.Exp(lg - a - b + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
		}
		return total
	}
	for _, tc := range []struct {
		k, n int
		p    float64
	}{{0, 40, 0.3}, {5, 40, 0.1}, {20, 40, 0.5}, {100, 1500, 0.07}, {1400, 1500, 0.95}, {3, 2000, 0.001}} {
		if got, want := binomCDF(tc.k, tc.n, tc.p), sum(tc.k, tc.n, tc.p); math.Abs(got-want) > 1e-9 {
			t.Fatalf("P[Bin(%d,%g) <= %d] = %g, want %g", tc.n, tc.p, tc.k, got, want)
		}
	}
}
