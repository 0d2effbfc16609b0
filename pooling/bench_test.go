package pooling

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coop/raftdata/raftdatatest"

	_ "github.com/mattn/go-sqlite3"
)

const benchBatch = 1000

func benchRows(member int) []map[string]any {
	rows := make([]map[string]any, benchBatch)
	heat := []string{"gas", "electric", "wood"}
	for i := range rows {
		rows[i] = map[string]any{"kwh": float64((i*7 + member) % 2000), "heating": heat[i%3], "month": fmt.Sprintf("2025-%02d", i%12+1)}
	}
	return rows
}

// BenchmarkRawSQLiteBulkInsert is the baseline: the same rows, as JSON,
// into the same table (the pool's records table, with its typed columns
// and indexes, filled by the same statement), in transactions of 1,000
// rows, WAL and synchronous=FULL, on the same disk.
func BenchmarkRawSQLiteBulkInsert(b *testing.B) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		b.Fatal(err)
	}
	if err := createRecordsTable(db, energyPool()); err != nil {
		b.Fatal(err)
	}
	rows := benchRows(0)
	b.ResetTimer()
	start := time.Now()
	for n := 0; n < b.N; n++ {
		tx, _ := db.Begin()
		stmt, _ := tx.Prepare(insertRecordSQL(energyPool()))
		for i, r := range rows {
			data, _ := json.Marshal(r)
			if _, err := stmt.Exec(fmt.Sprint("k", n%4), fmt.Sprintf("%d-%d", n, i), string(data), n); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkContribute3Nodes sends batches of 1,000 records through the
// pooling service on a follower of a 3-node cluster, from 4 members at once.
func BenchmarkContribute3Nodes(b *testing.B) {
	nodes := raftdatatest.Cluster(b, 3, Register)
	ctx := context.Background()
	svc := New(nodes[1].Store)
	if _, err := svc.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	const members = 4
	for m := 0; m < members; m++ {
		if _, err := svc.SetConsent(ctx, fmt.Sprint("m", m), "energy", true); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for m := 0; m < members; m++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := benchRows(m)
			for next.Add(1) <= int64(b.N) {
				if _, err := svc.Contribute(ctx, fmt.Sprint("m", m), "energy", rows, ""); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkNodeRSSWith10MRecords fills one node with 10 million records
// (batches of 1,000 from 100 members) and reports the resident memory of
// the process afterwards: SQLite keeps the data on disk, not in memory.
// It runs once whatever b.N; run it alone: -bench NodeRSS -benchtime 1x.
func BenchmarkNodeRSSWith10MRecords(b *testing.B) {
	n := raftdatatest.Start(b, Register)
	svc := New(n.Store)
	ctx := context.Background()
	if _, err := svc.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	const members, total = 100, 10_000_000
	for m := 0; m < members; m++ {
		if _, err := svc.SetConsent(ctx, fmt.Sprint("m", m), "energy", true); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total/benchBatch {
					return
				}
				m := int(i % members)
				if _, err := svc.Contribute(ctx, fmt.Sprint("m", m), "energy", benchRows(m), ""); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(rssBytes())/(1<<20), "RSS-MiB")
}

// rssBytes reads the resident set size of this process (Linux).
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}
