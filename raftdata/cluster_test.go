package raftdata

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCluster3_WritesThroughAnyNodeReachEveryNode(t *testing.T) {
	c := startCluster(t, 3)
	ctx := context.Background()
	for i, n := range c.nodes {
		for j := 0; j < 20; j++ {
			if err := add(ctx, n.Store, fmt.Sprintf("from-%d", i), 1); err != nil {
				t.Fatalf("write through %s: %v", n.id, err)
			}
		}
	}
	c.waitConverged()
	for _, n := range c.nodes {
		for i := range c.nodes {
			if got := counter(t, n.Store, fmt.Sprintf("from-%d", i)); got != 20 {
				t.Fatalf("node %s counter from-%d = %d, want 20", n.id, i, got)
			}
		}
	}
}

func TestCluster3_FollowerReadAfterSyncSeesEarlierWrite(t *testing.T) {
	c := startCluster(t, 3)
	ctx := context.Background()
	leader := c.waitLeader()
	f := c.followers()[0]
	for i := 1; i <= 30; i++ {
		if err := add(ctx, leader.Store, "seq", 1); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if got := counter(t, f.Store, "seq"); got != i {
			t.Fatalf("after Sync the follower reads %d, want %d", got, i)
		}
	}
}

func TestCluster3_LeaderLossKeepsEveryAcknowledgedWrite(t *testing.T) {
	c := startCluster(t, 3)
	ctx := context.Background()

	// Writers keep writing through the followers while the leader dies.
	old := c.waitLeader()
	var acked sync.Map
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				for _, n := range c.nodes {
					if n == old || n.isClosed() {
						continue
					}
					wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err := add(wctx, n.Store, name, 1)
					cancel()
					if err == nil {
						acked.Store(name, true)
					}
					break
				}
			}
		}()
	}
	waitFor(t, 5*time.Second, func() error {
		count := 0
		acked.Range(func(any, any) bool { count++; return true })
		if count < 20 {
			return fmt.Errorf("only %d writes so far", count)
		}
		return nil
	})
	old.crash()
	killed := time.Now()
	leader := c.waitLeader()
	t.Logf("new leader %s after %v", leader.id, time.Since(killed))
	if err := add(ctx, leader.Store, "after", 1); err != nil {
		t.Fatalf("write on new leader: %v", err)
	}
	close(stop)
	wg.Wait()

	// The old leader comes back over its directory and catches up.
	c.restart(old)
	c.waitConverged()
	total := 0
	acked.Range(func(k, _ any) bool {
		total++
		for _, n := range c.nodes {
			if got := counter(t, n.Store, k.(string)); got != 1 {
				t.Errorf("node %s: %s = %d, want exactly 1", n.id, k, got)
			}
		}
		return true
	})
	t.Logf("%d acknowledged writes checked on 3 nodes", total)
}

func TestCluster3_RestartedFollowerCatchesUpBySnapshotInstall(t *testing.T) {
	c := startCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotThreshold = 64
		cfg.TrailingLogs = 16
		cfg.SnapshotInterval = 50 * time.Millisecond
	})
	ctx := context.Background()
	leader := c.waitLeader()
	lagger := c.followers()[0]
	for i := 0; i < 10; i++ {
		if err := add(ctx, leader.Store, "k", 1); err != nil {
			t.Fatal(err)
		}
	}
	c.waitConverged()
	lagger.stop()

	// Far more entries than the leader keeps after a snapshot.
	for i := 0; i < 300; i++ {
		if err := add(ctx, leader.Store, fmt.Sprintf("k%d", i%7), 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := leader.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := leader.logs.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	if first <= lagger.AppliedIndex() && first != 0 {
		t.Fatalf("leader still has log from %d, follower at %d: no snapshot install needed", first, lagger.AppliedIndex())
	}
	back := c.restart(lagger)
	hash := c.waitConverged()
	if back.Status().LastSnapshotIndex == 0 {
		t.Fatalf("follower caught up without installing a snapshot")
	}
	// And it keeps following after the install.
	if err := add(ctx, back.Store, "after-install", 1); err != nil {
		t.Fatal(err)
	}
	if hash == c.waitConverged() {
		t.Fatal("hash did not change after a write")
	}
	for _, n := range c.nodes {
		if got := counter(t, n.Store, "k"); got != 10 {
			t.Fatalf("node %s k = %d, want 10", n.id, got)
		}
		sum := 0
		for i := 0; i < 7; i++ {
			sum += counter(t, n.Store, fmt.Sprintf("k%d", i))
		}
		if sum != 300 {
			t.Fatalf("node %s holds %d of 300 writes", n.id, sum)
		}
	}
}

// A node that lost its state database rebuilds it from its snapshot and
// log: the restore path at startup, with nothing local to keep.
func TestCluster3_NodeRebuildsLostStateFromSnapshotAndLog(t *testing.T) {
	c := startCluster(t, 3)
	ctx := context.Background()
	leader := c.waitLeader()
	for i := 0; i < 100; i++ {
		if err := add(ctx, leader.Store, fmt.Sprintf("r%d", i%5), 1); err != nil {
			t.Fatal(err)
		}
	}
	f := c.followers()[0]
	c.waitConverged()
	if err := f.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if err := add(ctx, leader.Store, fmt.Sprintf("r%d", i%5), 1); err != nil {
			t.Fatal(err)
		}
	}
	c.waitConverged()
	f.stop()
	for _, name := range []string{"state.db", "state.db-wal", "state.db-shm"} {
		os.Remove(filepath.Join(f.dir, name))
	}
	back := c.restart(f)
	c.waitConverged()
	for i := 0; i < 5; i++ {
		if got := counter(t, back.Store, fmt.Sprintf("r%d", i)); got != 30 {
			t.Fatalf("rebuilt node r%d = %d, want 30", i, got)
		}
	}
}

// A snapshot taken while writes stream in, then installed on a brand-new
// node: no committed row hidden, none duplicated (the class of divergence
// rqlite met in its snapshot-restore path).
func TestCluster3_SnapshotUnderWritesInstalledOnNewNode(t *testing.T) {
	opts := func(cfg *Config) {
		cfg.TrailingLogs = 8
		cfg.SnapshotThreshold = 32
		cfg.SnapshotInterval = 20 * time.Millisecond
	}
	c := startCluster(t, 3, opts)
	ctx := context.Background()
	leader := c.waitLeader()
	var wg sync.WaitGroup
	var acked atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if err := add(ctx, leader.Store, "total", 1); err != nil {
					t.Error(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	for i := 0; i < 3; i++ {
		if err := leader.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := leader.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	n4 := startNode(t, "n4", filepath.Join(t.TempDir(), "n4"), "", false, opts)
	if err := n4.JoinCluster(ctx, leader.url); err != nil {
		t.Fatal(err)
	}
	c.nodes = append(c.nodes, n4)
	c.waitConverged()
	if n4.Status().LastSnapshotIndex == 0 {
		t.Fatal("the new node did not start from a snapshot")
	}
	for _, n := range c.nodes {
		if got := counter(t, n.Store, "total"); int64(got) != acked.Load() {
			t.Fatalf("node %s total = %d, want %d", n.id, got, acked.Load())
		}
	}
}
