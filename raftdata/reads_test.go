package raftdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
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

// Prepared reads see every commit (each query reads the last committed
// state), from many goroutines at once; a query that does not prepare
// returns its error; queries past the cache's size still run.
func TestReadsPreparedSeeEveryCommit(t *testing.T) {
	db := openTestStateDB(t)
	ctx := context.Background()
	r := db.reads
	const q = `SELECT n FROM counters WHERE name = ?`
	for i := 1; i <= 20; i++ {
		applyTest(t, db, "test.add", map[string]any{"name": "c", "n": 1})
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var n int
				if err := r.QueryRowContext(ctx, q, "c").Scan(&n); err != nil || n != i {
					t.Errorf("after %d adds: read %d (%v)", i, n, err)
				}
			}()
		}
		wg.Wait()
	}
	rows, err := r.QueryContext(ctx, `SELECT name FROM counters ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if len(names) != 1 || names[0] != "c" {
		t.Errorf("rows %v, want [c]", names)
	}
	if err := r.QueryRowContext(ctx, `SELECT n FROM no_such_table`).Scan(new(int)); err == nil {
		t.Error("a query on a missing table did not fail")
	}
	for i := 0; i < maxCachedStmts+10; i++ {
		var n int
		if err := r.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d %v", i, n, err)
		}
	}
	r.mu.RLock()
	cached := len(r.stmts)
	r.mu.RUnlock()
	if cached > maxCachedStmts {
		t.Errorf("%d statements kept, at most %d", cached, maxCachedStmts)
	}
}

// BenchmarkReadsPrepared: one small query on the read pool, prepared once
// per connection (Reads) against prepared at every call (DB), in one run.
func BenchmarkReadsPrepared(b *testing.B) {
	db := openTestStateDB(b)
	applyTest(b, db, "test.add", map[string]any{"name": "c", "n": 1})
	ctx := context.Background()
	// A query like those of authentication: a few columns, a join.
	const q = `SELECT c.n, COALESCE(b.key, ''), c.name FROM counters c LEFT JOIN blobs b ON b.key = c.name WHERE c.name = ? AND c.n > 0 ORDER BY c.name LIMIT 1`
	for _, c := range []struct {
		name string
		run  func() *sql.Row
	}{
		{"DB", func() *sql.Row { return db.readers.QueryRowContext(ctx, q, "c") }},
		{"Reads", func() *sql.Row { return db.reads.QueryRowContext(ctx, q, "c") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var n int
			var k, name string
			for i := 0; i < b.N; i++ {
				if err := c.run().Scan(&n, &k, &name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
