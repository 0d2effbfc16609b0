package pooling

import (
	"context"
	"testing"

	"coop/raftdata"
)

func TestSandboxAnswersFromTheSchemaAlone(t *testing.T) {
	svc, n := startPooling(t)
	ctx := context.Background()
	// A real member with an extreme value: the twin must not see it.
	if _, err := svc.SetConsent(ctx, "ann", "energy", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Contribute(ctx, "ann", "energy", []map[string]any{{"kwh": 2000.0, "heating": "gas", "month": "2026-01"}}, ""); err != nil {
		t.Fatal(err)
	}
	q := Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}
	a, err := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Synthetic || a.Members != TwinMembers || len(a.Groups) != 3 {
		t.Fatalf("sandbox answer: %+v", a)
	}
	for _, g := range a.Groups {
		if g.Suppressed || g.Value == nil || *g.Value < 0 || *g.Value > 2000 {
			t.Fatalf("group %+v", g)
		}
	}
	// The same answer again: the twin is stable, and the same on another
	// service over the same pool (another node).
	b, _ := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5})
	other := New(n.Store)
	c, _ := other.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5})
	for i := range a.Groups {
		if *a.Groups[i].Value != *b.Groups[i].Value || *a.Groups[i].Value != *c.Groups[i].Value {
			t.Fatalf("twin answers differ: %v %v %v", *a.Groups[i].Value, *b.Groups[i].Value, *c.Groups[i].Value)
		}
	}
	// Grouped by month, a cohort larger than the twin suppresses everything.
	m, err := svc.Sandbox(ctx, "energy", Query{Aggregate: AggCount, GroupBy: []string{"month"}}, SandboxOptions{MinCohort: TwinMembers + 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != twinMonths || !m.Groups[0].Suppressed {
		t.Fatalf("by month: %d groups, first %+v", len(m.Groups), m.Groups[0])
	}
	if _, err := svc.Sandbox(ctx, "energy", Query{Aggregate: "median"}, SandboxOptions{MinCohort: 5}); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("bad query: %v", err)
	}
	if _, err := svc.Sandbox(ctx, "water", q, SandboxOptions{MinCohort: 5}); raftdata.ErrorCode(err) != raftdata.CodeNotFound {
		t.Fatalf("unknown pool: %v", err)
	}
}

// At a chosen epsilon the sandbox draws the noise a real run would draw,
// with its intervals; as a preview (Expected) it keeps the twin's exact
// figures, sized like a given group, with the intervals that noise would
// give, and says when the noise would drown a figure.
func TestSandboxShowsTheNoiseOfAChosenEpsilon(t *testing.T) {
	svc, _ := startPooling(t)
	ctx := context.Background()
	q := Query{Aggregate: AggCount, GroupBy: []string{"heating"}}
	exact, err := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5})
	if err != nil {
		t.Fatal(err)
	}
	if exact.Noisy || exact.Groups[0].CI != nil {
		t.Fatalf("without epsilon the twin's figures are exact, with no interval: %+v", exact.Groups[0])
	}
	differ := false
	for range 5 {
		noisy, err := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5, Epsilon: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		g := noisy.Groups[0]
		if !noisy.Noisy || g.CI == nil || g.CI[0] > *g.Value || g.CI[1] < *g.Value {
			t.Fatalf("a noisy sandbox group: %+v", g)
		}
		// l0 = 3 heating values, epsilon 0.5: scale 6, the 95 % interval is
		// about ±18 around the figure.
		if half := (g.CI[1] - g.CI[0]) / 2; half < 15 || half > 21 {
			t.Fatalf("interval %v around %v", *g.CI, *g.Value)
		}
		differ = differ || *g.Value != *exact.Groups[0].Value
	}
	if !differ {
		t.Fatal("five noisy answers all equal the exact figure")
	}
	// A preview sized like a pool of 20 members: about 7 per heating, ±18.
	small, err := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5, Epsilon: 0.5, Expected: true, SizeLike: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range small.Groups {
		if g.Suppressed {
			continue
		}
		if *g.Value > 12 {
			t.Fatalf("a group of a twin sized to 20 members: %v", *g.Value)
		}
		if half, swamped := Swamped(g); !swamped || half < 15 {
			t.Fatalf("±%v on %v is not flagged as drowning the figure", half, *g.Value)
		}
	}
	large, _ := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5, Epsilon: 0.5, Expected: true, SizeLike: 3000})
	for _, g := range large.Groups {
		if _, swamped := Swamped(g); swamped || g.Suppressed {
			t.Fatalf("a group of about 1,000 members: %+v", g)
		}
	}
	if _, err := svc.Sandbox(ctx, "energy", q, SandboxOptions{MinCohort: 5, Epsilon: -1}); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("a negative epsilon: %v", err)
	}
}
