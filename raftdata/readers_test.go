package raftdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func openTestStateDB(t testing.TB) *stateDB {
	t.Helper()
	db, err := openStateDB(filepath.Join(t.TempDir(), "state.db"), testRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.close() })
	return db
}

// applyTest applies one command of the test registry at the next index.
func applyTest(t testing.TB, db *stateDB, typ string, payload any) {
	t.Helper()
	cmd, err := NewCommand(typ, payload, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := encodeCommand(cmd)
	res := db.applyBatch([]*raft.Log{{Index: db.appliedIndex() + 1, Type: raft.LogCommand, Data: data}})[0].(Result)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
}

// The read pool keeps statements prepared per connection: a kept statement
// sees every commit, from many goroutines at once, and is prepared again
// when its table is replaced under it (as a snapshot restore or an upgrade
// does); more distinct queries than the cache holds still run.
func TestReadersKeepPreparedStatementsCurrent(t *testing.T) {
	db := openTestStateDB(t)
	ctx := context.Background()
	const q = `SELECT n FROM counters WHERE name = ?`
	for i := 1; i <= 20; i++ {
		applyTest(t, db, "test.add", map[string]any{"name": "c", "n": 1})
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var n int
				if err := db.readers.QueryRowContext(ctx, q, "c").Scan(&n); err != nil || n != i {
					t.Errorf("after %d adds: read %d (%v)", i, n, err)
				}
			}()
		}
		wg.Wait()
	}

	// The table is replaced, with its columns in another order.
	db.mu.Lock()
	_, err := db.writer.Exec(`DROP TABLE counters; CREATE TABLE counters (n INTEGER NOT NULL, name TEXT PRIMARY KEY); INSERT INTO counters VALUES (42, 'c')`)
	db.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		var n int
		if err := db.readers.QueryRowContext(ctx, q, "c").Scan(&n); err != nil || n != 42 {
			t.Fatalf("after the table was replaced: read %d (%v), want 42", n, err)
		}
	}
	for i := 0; i < 2*stmtCacheSize; i++ {
		var n int
		if err := db.readers.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d %v", i, n, err)
		}
	}
}

// BenchmarkReadersPrepared: a query like those of authentication (a join,
// a few columns) on the read pool, whose connections keep it prepared,
// against a pool that prepares it at every call; the two alternate, query
// by query. It reports both medians and their ratio.
func BenchmarkReadersPrepared(b *testing.B) {
	db := openTestStateDB(b)
	applyTest(b, db, "test.add", map[string]any{"name": "c", "n": 1})
	params := url.Values{}
	params.Set("_busy_timeout", "5000")
	params.Set("_query_only", "1")
	unprepared, err := sql.Open("sqlite3", "file:"+db.path+"?"+params.Encode())
	if err != nil {
		b.Fatal(err)
	}
	defer unprepared.Close()
	ctx := context.Background()
	const q = `SELECT c.n, COALESCE(b.key, ''), c.name FROM counters c LEFT JOIN blobs b ON b.key = c.name WHERE c.name = ? AND c.n > 0 ORDER BY c.name LIMIT 1`
	var lat [2][]time.Duration
	var n int
	var k, name string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, pool := range []*sql.DB{unprepared, db.readers} {
			t0 := time.Now()
			if err := pool.QueryRowContext(ctx, q, "c").Scan(&n, &k, &name); err != nil {
				b.Fatal(err)
			}
			lat[j] = append(lat[j], time.Since(t0))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(median(lat[0]).Nanoseconds()), "prepared-each-call-ns")
	b.ReportMetric(float64(median(lat[1]).Nanoseconds()), "kept-prepared-ns")
	b.ReportMetric(float64(median(lat[1]))/float64(median(lat[0])), "kept/each-call")
}
