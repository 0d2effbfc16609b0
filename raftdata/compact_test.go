package raftdata

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A compaction whose caller stops waiting (here its context ends while the
// snapshot waits for a busy FSM; on a large store, while VACUUM INTO
// copies gigabytes: docs/scaling.md) still drops the whole log when the
// snapshot ends: raft reads TrailingLogs then, and it must still be 0, or
// the entries of an erased member stay in the log.
func TestCompactCutShortStillDropsTheLog(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	reg := testRegistry()
	reg.Handle("test.block", func(*Tx, Command) (any, error) {
		close(entered)
		<-release
		return nil, nil
	})
	s, err := Open(Config{NodeID: "n1", Dir: t.TempDir(), RaftBind: "127.0.0.1:0", HTTPURL: "http://127.0.0.1:1",
		Bootstrap: true, ClusterKey: testClusterKey}, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	waitFor(t, 10*time.Second, func() error {
		if !s.IsLeader() {
			return errors.New("not leader yet")
		}
		return nil
	})
	ctx := context.Background()
	for range 20 {
		if err := add(ctx, s, "c", 1); err != nil {
			t.Fatal(err)
		}
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, "test.block", nil)
		blocked <- err
	}()
	<-entered // the FSM is busy: a snapshot waits for it

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.Compact(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("compaction cut short answered %v, want the deadline", err)
	}
	unblock()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() error {
		snap := s.Status().LastSnapshotIndex
		first, err := s.logs.FirstIndex()
		if err != nil {
			return err
		}
		if snap == 0 || first != 0 && first <= snap {
			return fmt.Errorf("the log starts at %d, the snapshot is at %d", first, snap)
		}
		return nil
	})
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("the next compaction: %v", err)
	}
	if n := counter(t, s, "c"); n != 20 {
		t.Fatalf("counter %d after the compactions, want 20", n)
	}
}
