package raftdata

import (
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// A memory mirror is dropped when a command is refused after one of its
// handlers succeeded (that handler's changes are rolled back with the
// command), and only then: a refusal by the first handler, or a command
// that succeeds, leaves the mirrors alone.
func TestMirrorsDroppedWhenALaterHandlerRefuses(t *testing.T) {
	reg := testRegistry()
	var drops atomic.Int64
	reg.Mirror(func() { drops.Add(1) })
	refuseSecond := func(tx *Tx, cmd Command) (any, error) {
		var p struct {
			Refuse bool `json:"refuse"`
		}
		cmd.Decode(&p)
		if p.Refuse {
			return nil, Errorf(CodeConflict, "the second handler refuses")
		}
		return nil, nil
	}
	reg.Handle("test.two", func(tx *Tx, cmd Command) (any, error) {
		_, err := tx.Exec(`INSERT INTO counters(name, n) VALUES('two', 1) ON CONFLICT(name) DO UPDATE SET n = n + 1`)
		return nil, err
	})
	reg.Handle("test.two", refuseSecond)
	db, err := openStateDB(filepath.Join(t.TempDir(), "state.db"), reg, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()

	cases := []struct {
		name      string
		typ       string
		payload   any
		wantDrops int64
		refused   bool
	}{
		{"both handlers succeed", "test.two", map[string]any{}, 0, false},
		{"the first and only handler refuses", "test.add", map[string]any{"name": "x", "n": 1, "refuse": true}, 0, true},
		{"the second handler refuses", "test.two", map[string]any{"refuse": true}, 1, true},
	}
	for i, c := range cases {
		cmd, err := NewCommand(c.typ, c.payload, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := encodeCommand(cmd)
		before := drops.Load()
		res := db.applyBatch([]*raft.Log{{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}})[0].(Result)
		if (res.Err != nil) != c.refused {
			t.Errorf("%s: result %+v", c.name, res)
		}
		if got := drops.Load() - before; got != c.wantDrops {
			t.Errorf("%s: mirrors dropped %d times, want %d", c.name, got, c.wantDrops)
		}
	}
	var n int
	db.readers.QueryRow(`SELECT n FROM counters WHERE name = 'two'`).Scan(&n)
	if n != 1 {
		t.Errorf("counter two = %d, want 1: the refused command's first handler was rolled back", n)
	}
}
