package pooling

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/raftdata"
)

// The same answer whether the members are read in one range or split in
// four ranges read at once, for every shape of query (streaming and
// ranked, filters, histogram, months), and the same member list.
func TestAggregateInRangesEqualsOneRead(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 24) // random hex keys: spread over the four ranges
	ctx := context.Background()
	p, _ := svc.Pool(ctx, "energy")
	exact := Disclosure{MinCohort: 2} // epsilon 0: no noise (the twin's path)
	for _, q := range []Query{
		{Aggregate: AggCount, GroupBy: []string{"heating"}},
		{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"month"}},
		{Aggregate: AggSum, Field: "kwh", Filters: map[string]string{"heating": "wood"}},
		{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating", "month"}},
		{Aggregate: AggHistogram, Field: "kwh", GroupBy: []string{"heating"}},
		{Aggregate: AggCount},
	} {
		one, err := aggregate(ctx, n.DB(), p, q, exact, options{parallel: 1})
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		four, err := aggregate(ctx, n.DB(), p, q, exact, options{parallel: 4})
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		a, _ := json.Marshal(one.Groups)
		b, _ := json.Marshal(four.Groups)
		if string(a) != string(b) {
			t.Fatalf("%+v: one range %s, four ranges %s", q, a, b)
		}
		if !slices.Equal(one.Members, four.Members) || !slices.IsSorted(four.Members) {
			t.Fatalf("%+v: members differ between one and four ranges", q)
		}
	}
}

// Rectifying or deleting a record changes the next answer: the typed
// values follow the records.
func TestAggregateFollowsRectificationAndDeletion(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 6) // m00..m05, two records each
	ctx := context.Background()
	p, _ := svc.Pool(ctx, "energy")
	sum := func() float64 {
		t.Helper()
		a, err := aggregate(ctx, n.DB(), p, Query{Aggregate: AggSum, Field: "kwh"}, Disclosure{MinCohort: 2}, options{parallel: 2})
		if err != nil {
			t.Fatal(err)
		}
		return *a.Groups[0].Value
	}
	// Means 10, 20, ..., 60 (member i: 10i and 10i+20).
	if got := sum(); got != 210 {
		t.Fatalf("sum of member means = %v, want 210", got)
	}
	recs, err := svc.Records(ctx, "m05", "energy")
	if err != nil || len(recs) != 2 {
		t.Fatalf("m05 records: %v %v", recs, err)
	}
	// m05 had 50 and 70 (mean 60): rectify 50 to 150, mean 110.
	target := recs[0]
	if target.Values["kwh"] != 50.0 {
		target = recs[1]
	}
	if err := svc.Rectify(ctx, "m05", target.ID, map[string]any{"kwh": 150.0, "heating": "wood", "month": "2026-01"}); err != nil {
		t.Fatal(err)
	}
	if got := sum(); got != 260 {
		t.Fatalf("after rectification: sum = %v, want 260", got)
	}
	// Delete the other record: m05's mean becomes 150.
	other := recs[0]
	if other.ID == target.ID {
		other = recs[1]
	}
	if err := svc.DeleteRecord(ctx, "m05", other.ID); err != nil {
		t.Fatal(err)
	}
	if got := sum(); got != 300 {
		t.Fatalf("after deletion: sum = %v, want 300", got)
	}
}

// A member reaches at most maxPartitionsPerMember groups: over 14 months,
// each member counts in their first 12 only, and the two later months,
// which nobody reaches any more, are not released at all.
func TestAggregateBoundsTheGroupsEachMemberReaches(t *testing.T) {
	svc, n := startPooling(t)
	ctx := context.Background()
	for i := range 5 {
		who := fmt.Sprintf("m%d", i)
		if _, err := svc.SetConsent(ctx, who, "energy", true); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		for m := range 14 {
			month := time.Date(2026, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
			rows = append(rows, map[string]any{"kwh": 100.0, "heating": "gas", "month": month})
		}
		if _, err := svc.Contribute(ctx, who, "energy", rows, ""); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := svc.Pool(ctx, "energy")
	a, err := aggregate(ctx, n.DB(), p, Query{Aggregate: AggCount, GroupBy: []string{"month"}}, Disclosure{MinCohort: 2}, options{parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Groups) != maxPartitionsPerMember {
		t.Fatalf("%d months released, want %d: %+v", len(a.Groups), maxPartitionsPerMember, a.Groups)
	}
	for _, g := range a.Groups {
		if g.Key["month"] > "2026-12" || g.Value == nil || *g.Value != 5 {
			t.Fatalf("group %v = %v, want the months of 2026 with 5 members each", g.Key, g.Value)
		}
	}
	if len(a.Members) != 5 {
		t.Fatalf("answer drew on %d members, want 5", len(a.Members))
	}
}

// The ranges of one aggregate are read at the same applied index even
// while the FSM commits: every read below records the index its
// transaction sees, and they never differ.
func TestRangesReadTheSameAppliedIndexUnderWrites(t *testing.T) {
	svc, n := startPooling(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	writing, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() {
		for i := 0; writing.Err() == nil; i++ {
			svc.SetConsent(writing, fmt.Sprintf("w%d", i%50), "energy", i%2 == 0)
		}
	})
	indexOf := func(ctx context.Context, tx *sql.Tx, r keyRange) (partials, error) {
		idx, err := appliedIndexIn(ctx, tx)
		out := newPartials()
		out.cells[r.from] = &cell{members: 1, units: idx}
		return out, err
	}
	// Read until the FSM has committed 100 commands around the reads.
	start := n.AppliedIndex()
	reads := 0
	for n.AppliedIndex() < start+100 {
		got, err := readInRanges(ctx, n.DB(), 2, indexOf)
		if err != nil {
			t.Fatalf("after %d reads and %d commands: %v", reads, n.AppliedIndex()-start, err)
		}
		reads++
		var seen []int64
		for _, c := range got.cells {
			seen = append(seen, c.units)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 1 {
			t.Fatalf("one aggregate read indexes %v", seen)
		}
	}
	stop()
	wg.Wait()
	if reads < 20 {
		t.Fatalf("only %d reads while 100 commands were applied: the test did not race the FSM", reads)
	}
}

// A pool stored by a build from before tables per pool (its data directory
// not upgraded) answers a sentence saying so, not a SQL error.
func TestAggregateOverAPoolWithoutItsTableSaysWhy(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+t.TempDir()+"/old.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	_, err = Aggregate(context.Background(), db, energyPool(), Query{Aggregate: AggCount}, Disclosure{MinCohort: 5, Epsilon: 1}, "run")
	if raftdata.ErrorCode(err) != raftdata.CodeUnavailable || !strings.Contains(err.Error(), "predates") {
		t.Fatalf("got %v, want an unavailable error explaining the old data directory", err)
	}
}

func TestUnionOfMemberLists(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"none", nil, []string{}},
		{"one", [][]string{{"a", "c"}}, []string{"a", "c"}},
		{"disjoint", [][]string{{"b", "d"}, {"a", "c"}}, []string{"a", "b", "c", "d"}},
		{"a member in several groups", [][]string{{"a", "b"}, {"b", "c"}, {"a", "b", "c"}}, []string{"a", "b", "c"}},
		{"unsorted input", [][]string{{"c", "a"}, {"b"}}, []string{"a", "b", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := union(tc.lists)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("union = %v, want %v", got, tc.want)
			}
		})
	}
}

// Each member enters a group once, with their mean clamped to the field's
// bounds, however many records they hold and whatever those hold (rows
// written here behind validation's back, out of bounds).
func TestEachMemberContributesOneClampedValue(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+t.TempDir()+"/plain.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := energyPool()
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	if err := createRecordsTable(db, p); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]float64{"a": {5000, 3000}, "b": {100, 300}, "c": {-50, 10, 10, 10}}
	for member, kwhs := range rows {
		if _, err := db.Exec(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?, 'energy', 1, 0)`, member); err != nil {
			t.Fatal(err)
		}
		for i, kwh := range kwhs {
			data := fmt.Sprintf(`{"heating":"gas","kwh":%g,"month":"2026-01"}`, kwh)
			if _, err := db.Exec(insertRecordSQL(p), member, fmt.Sprint(member, i), data, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	// a: mean 4000 -> 2000; b: 200; c: mean -5 -> 0 (min 0). The mean is
	// on the field's grid (0.01 kWh for 0..2000).
	for agg, want := range map[string]float64{AggSum: 2200, AggMean: 733.33, AggCount: 3} {
		a, err := aggregate(context.Background(), db, p, Query{Aggregate: agg, Field: "kwh"}, Disclosure{MinCohort: 2}, options{parallel: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := *a.Groups[0].Value; got != want {
			t.Fatalf("%s = %v, want %v", agg, got, want)
		}
	}
}

// A pool without records answers with no month (none is present) and
// every category suppressed (a noisy count of 0 members is under 5 but
// with a tiny probability: epsilon is large here), in both shapes.
func TestAggregateOverNoRecords(t *testing.T) {
	svc, n := startPooling(t)
	ctx := context.Background()
	p, _ := svc.Pool(ctx, "energy")
	for q, groups := range map[*Query]int{
		{Aggregate: AggCount, GroupBy: []string{"month"}}:                0,
		{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}: 3,
		{Aggregate: AggCount, GroupBy: []string{"heating", "month"}}:     0,
	} {
		a, err := Aggregate(ctx, n.DB(), p, *q, Disclosure{MinCohort: 5, Epsilon: 20}, fixSet(t, n))
		if err != nil {
			t.Fatalf("%+v: %v", *q, err)
		}
		if len(a.Groups) != groups || len(a.Members) != 0 {
			t.Fatalf("%+v: %d groups, %d members; want %d groups, no member", *q, len(a.Groups), len(a.Members), groups)
		}
		for _, g := range a.Groups {
			if !g.Suppressed {
				t.Fatalf("%+v: group %v released over no member", *q, g.Key)
			}
		}
	}
}
