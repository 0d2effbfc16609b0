package pooling

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// seedRegister adds, for the benchmark only, a command that fills a pool
// with n records from m members in one transaction (going through the
// service would take minutes of validation and Raft for 1M rows).
func seedRegister(reg *raftdata.Registry) {
	Register(reg)
	reg.Handle("bench.seed_records", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var p struct{ Records, Members int }
		if err := cmd.Decode(&p); err != nil {
			return nil, err
		}
		cons, _ := tx.Prepare(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?, 'energy', 1, 0)`)
		rec, _ := tx.Prepare(`INSERT INTO pooling_records(id, pool, member_key, data, contributed_at, updated_at) VALUES(?, 'energy', ?, ?, 0, 0)`)
		defer cons.Close()
		defer rec.Close()
		heat := []string{"gas", "electric", "wood"}
		for m := 0; m < p.Members; m++ {
			if _, err := cons.Exec(fmt.Sprintf("k%06d", m)); err != nil {
				return nil, err
			}
		}
		for i := 0; i < p.Records; i++ {
			m := i % p.Members
			data := fmt.Sprintf(`{"heating":%q,"kwh":%d,"month":"2026-%02d"}`, heat[m%3], (i*7)%2000, i%12+1)
			if _, err := rec.Exec(fmt.Sprintf("r%08d", i), fmt.Sprintf("k%06d", m), data); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// rawGroupedMean is the same computation in plain SQLite: the mean per
// member and group, joined to consent, then the mean per group.
const rawGroupedMean = `
SELECT g, COUNT(*), AVG(v) FROM (
	SELECT r.member_key, json_extract(r.data, '$.heating') AS g, AVG(MIN(MAX(json_extract(r.data, '$.kwh'), 0), 2000)) AS v
	FROM pooling_records r JOIN pooling_consents c ON c.member_key = r.member_key AND c.pool = r.pool AND c.granted = 1
	WHERE r.pool = 'energy'
	GROUP BY r.member_key, g
) GROUP BY g`

// BenchmarkGroupedMean1M: a grouped mean over 1,000,000 records from
// 100,000 members, through the engine (per-member bounding, suppression,
// noise) against the same two-level GROUP BY in raw SQLite on the same file
// in the same run.
func BenchmarkGroupedMean1M(b *testing.B) {
	n := raftdatatest.Start(b, seedRegister)
	svc := New(n.Store)
	ctx := context.Background()
	if _, err := svc.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	seedCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := n.Apply(seedCtx, "bench.seed_records", map[string]int{"Records": 1_000_000, "Members": 100_000}); err != nil {
		b.Fatal(err)
	}
	p, _ := svc.Pool(ctx, "energy")
	q := Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}
	d := Disclosure{MinCohort: 5, Epsilon: 1}
	var engine, raw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rows, err := n.DB().QueryContext(ctx, rawGroupedMean)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		raw += time.Since(t0)

		t0 = time.Now()
		ans, err := Aggregate(ctx, n.DB(), p, q, d, nil)
		if err != nil {
			b.Fatal(err)
		}
		engine += time.Since(t0)
		if len(ans.Members) != 100_000 {
			b.Fatalf("answer drew on %d members", len(ans.Members))
		}
	}
	b.ReportMetric(float64(engine.Milliseconds())/float64(b.N), "engine-ms")
	b.ReportMetric(float64(raw.Milliseconds())/float64(b.N), "raw-sql-ms")
	b.ReportMetric(float64(engine)/float64(raw), "engine/raw")
}
