package pooling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// seedRegister adds, for the benchmark only, a command that fills a pool
// with n records from m members in one transaction (going through the
// service would take minutes of validation and Raft for 1M rows). It
// writes what applyContributed writes.
func seedRegister(reg *raftdata.Registry) {
	testRegister(reg)
	reg.Handle("bench.seed_records", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var p struct{ Records, Members int }
		if err := cmd.Decode(&p); err != nil {
			return nil, err
		}
		pool, err := PoolIn(tx, "energy")
		if err != nil {
			return nil, err
		}
		cons, _ := tx.Prepare(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?, 'energy', 1, 0)`)
		rec, _ := tx.Prepare(insertRecordSQL(pool))
		defer cons.Close()
		defer rec.Close()
		heat := []string{"gas", "electric", "wood"}
		// Members in key order, so that the B-trees fill by appending.
		members := make([]int, p.Members)
		for m := range members {
			members[m] = m
		}
		slices.SortFunc(members, func(a, b int) int { return strings.Compare(benchKey(a), benchKey(b)) })
		n := 0
		for _, m := range members {
			key := benchKey(m)
			if _, err := cons.Exec(key); err != nil {
				return nil, err
			}
			// Record i belongs to member i % Members.
			for i := m; i < p.Records; i += p.Members {
				id := fmt.Sprintf("r%08d", n)
				n++
				data := fmt.Sprintf(`{"heating":%q,"kwh":%d,"month":"2026-%02d"}`, heat[m%3], (i*7)%2000, i%12+1)
				if _, err := rec.Exec(key, id, data, 0); err != nil {
					return nil, err
				}
			}
		}
		return nil, nil
	})
}

// benchKey is member m's key: 32 hex digits spread like the random keys
// of raftdata.NewID (a 64-bit mix of m, then m).
func benchKey(m int) string {
	x := uint64(m) + 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return fmt.Sprintf("%016x%016x", x, m)
}

// rawJSONGroupedMean is the computation in plain SQLite over the records'
// JSON (how they were stored before typed columns): the mean per member
// and group, joined to consent, then the mean per group.
const rawJSONGroupedMean = `
SELECT g, COUNT(*), AVG(v) FROM (
	SELECT r.member_key, json_extract(r.data, '$.heating') AS g, AVG(MIN(MAX(json_extract(r.data, '$.kwh'), 0), 2000)) AS v
	FROM pooling_records_energy r JOIN pooling_consents c ON c.member_key = r.member_key AND c.pool = 'energy' AND c.granted = 1
	GROUP BY r.member_key, g
) GROUP BY g`

// rawGroupedMean is the same two-level GROUP BY over the typed columns
// the engine reads (same table, same indexes), in one statement: the
// baseline of the target.
const rawGroupedMean = `
SELECT g, COUNT(*), AVG(v) FROM (
	SELECT r.member_key, r.f_heating AS g, AVG(MIN(MAX(r.f_kwh, 0), 2000)) AS v
	FROM pooling_records_energy r JOIN pooling_consents c ON c.member_key = r.member_key AND c.pool = 'energy' AND c.granted = 1
	GROUP BY r.member_key, g
) GROUP BY g`

// BenchmarkGroupedMean1M: a grouped mean over 1,000,000 records from
// 100,000 members, through the engine (the run's consent set, per-member
// bounding on the fixed-point grid, noisy suppression, noise and
// intervals) against the same two-level GROUP BY in raw SQLite on the same
// file in the same run.
func BenchmarkGroupedMean1M(b *testing.B) {
	n := raftdatatest.Start(b, seedRegister)
	svc := New(n.Store)
	ctx := context.Background()
	if _, err := svc.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	setupStart := time.Now()
	seedCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := n.Apply(seedCtx, "bench.seed_records", map[string]int{"Records": 1_000_000, "Members": 100_000}); err != nil {
		b.Fatal(err)
	}
	set := fixSet(b, n)
	setup := time.Since(setupStart)
	p, _ := svc.Pool(ctx, "energy")
	q := Query{Aggregate: AggMean, Field: "kwh", GroupBy: []string{"heating"}}
	d := Disclosure{MinCohort: 5, Epsilon: 1}
	var engine, raw, rawJSON, engineCPU, rawCPU time.Duration
	timeRaw := func(query string) time.Duration {
		t0 := time.Now()
		rows, err := n.DB().QueryContext(ctx, query)
		if err != nil {
			b.Fatal(err)
		}
		groups := 0
		for rows.Next() {
			groups++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if groups != 3 {
			b.Fatalf("raw query gave %d groups", groups)
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rawJSON += timeRaw(rawJSONGroupedMean)
		c0 := cpuTime()
		raw += timeRaw(rawGroupedMean)
		rawCPU += cpuTime() - c0

		c0 = cpuTime()
		t0 := time.Now()
		ans, err := Aggregate(ctx, n.DB(), p, q, d, set)
		if err != nil {
			b.Fatal(err)
		}
		engine += time.Since(t0)
		engineCPU += cpuTime() - c0
		if len(ans.Members) != 100_000 || len(ans.Groups) != 3 {
			b.Fatalf("answer drew on %d members in %d groups", len(ans.Members), len(ans.Groups))
		}
	}
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(perOp(engine), "engine-ms")
	b.ReportMetric(perOp(raw), "raw-sql-ms")
	b.ReportMetric(perOp(rawJSON), "raw-json-sql-ms")
	b.ReportMetric(float64(engine)/float64(raw), "engine/raw")
	// CPU time of the process (both cores): what the parallel ranges cost
	// in total, whatever else runs on the machine.
	b.ReportMetric(perOp(engineCPU), "engine-cpu-ms")
	b.ReportMetric(perOp(rawCPU), "raw-sql-cpu-ms")
	b.ReportMetric(float64(setup.Milliseconds()), "setup-ms")
}

// cpuTime is the CPU time the process has used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
