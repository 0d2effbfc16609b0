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
	a, err := svc.Sandbox(ctx, "energy", q, 5)
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
	b, _ := svc.Sandbox(ctx, "energy", q, 5)
	other := New(n.Store)
	c, _ := other.Sandbox(ctx, "energy", q, 5)
	for i := range a.Groups {
		if *a.Groups[i].Value != *b.Groups[i].Value || *a.Groups[i].Value != *c.Groups[i].Value {
			t.Fatalf("twin answers differ: %v %v %v", *a.Groups[i].Value, *b.Groups[i].Value, *c.Groups[i].Value)
		}
	}
	// Grouped by month, a cohort larger than the twin suppresses everything.
	m, err := svc.Sandbox(ctx, "energy", Query{Aggregate: AggCount, GroupBy: []string{"month"}}, TwinMembers+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != twinMonths || !m.Groups[0].Suppressed {
		t.Fatalf("by month: %d groups, first %+v", len(m.Groups), m.Groups[0])
	}
	if _, err := svc.Sandbox(ctx, "energy", Query{Aggregate: "median"}, 5); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("bad query: %v", err)
	}
	if _, err := svc.Sandbox(ctx, "water", q, 5); raftdata.ErrorCode(err) != raftdata.CodeNotFound {
		t.Fatalf("unknown pool: %v", err)
	}
}
