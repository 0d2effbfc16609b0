package raftdata

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"coop/raftdata/raftdatatest/smalldisk"
)

// On a full disk the FSM neither skips nor half-applies a batch: it rolls
// the batch back, reports the fault and tries again; once space returns
// the batch commits whole, each command once.
func TestFullDiskApplyRetriesTheWholeBatch(t *testing.T) {
	disk := smalldisk.Mount(t, "4m")
	reg := testRegistry()
	var drops atomic.Int64
	reg.Mirror(func() { drops.Add(1) })
	db, err := openStateDB(filepath.Join(disk, "state.db"), reg, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()

	var logs []*raft.Log
	big := strings.Repeat("x", 256<<10)
	for i := 0; i < 4; i++ {
		for _, c := range []struct {
			typ     string
			payload any
		}{
			{"test.add", map[string]any{"name": "batch", "n": 1}},
			{"test.put", map[string]any{"Key": string(rune('a' + i)), "Value": big}},
		} {
			cmd, err := NewCommand(c.typ, c.payload, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := encodeCommand(cmd)
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: data})
		}
	}

	filler := smalldisk.Fill(t, disk)
	done := make(chan []any, 1)
	go func() { done <- db.applyBatch(logs) }()
	waitFor(t, 10*time.Second, func() error {
		if db.fault.current() == nil {
			return context.DeadlineExceeded
		}
		return nil
	})
	if got := db.appliedIndex(); got != 0 {
		t.Fatalf("applied index %d while the disk is full", got)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var results []any
	select {
	case results = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the batch was not applied within 10 s of space returning")
	}
	for i, r := range results {
		if res, _ := r.(Result); res.Err != nil {
			t.Errorf("entry %d: %v", i+1, res.Err)
		}
	}
	if err := db.fault.current(); err != nil {
		t.Errorf("fault still reported after the batch committed: %v", err)
	}
	if got := db.appliedIndex(); got != uint64(len(logs)) {
		t.Errorf("applied index %d, want %d", got, len(logs))
	}
	var n, blobs int
	db.readers.QueryRow(`SELECT n FROM counters WHERE name = 'batch'`).Scan(&n)
	db.readers.QueryRow(`SELECT COUNT(*) FROM blobs`).Scan(&blobs)
	if n != 4 || blobs != 4 {
		t.Errorf("counter %d and %d blobs, want 4 and 4: each command applied once", n, blobs)
	}
	if db.fault.failures.Load() == 0 {
		t.Error("no failed write counted")
	}
	if drops.Load() < int64(db.fault.failures.Load()) {
		t.Errorf("memory mirrors dropped %d times for %d rolled-back attempts: each must drop them", drops.Load(), db.fault.failures.Load())
	}
}
