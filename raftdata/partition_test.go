package raftdata

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCluster3Partition_MinorityRefusesAndOneHistoryAfterHeal cuts the
// leader off from the two other nodes. The old leader refuses writes and
// linearizable reads with a clear "cut off" error and says its reads are
// stale; the majority elects a leader and keeps writing; after the heal
// every node holds one history: each acknowledged write once, no refused
// write, the same state hash.
func TestCluster3Partition_MinorityRefusesAndOneHistoryAfterHeal(t *testing.T) {
	network := NewNetwork()
	c := startCluster(t, 3, func(cfg *Config) { cfg.Network = network })
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	old := c.waitLeader()
	majority := c.followers()
	acked := []string{}
	for i, n := range c.nodes {
		name := fmt.Sprintf("before-%d", i)
		if err := add(ctx, n.Store, name, 1); err != nil {
			t.Fatalf("write before the partition: %v", err)
		}
		acked = append(acked, name)
	}

	network.Partition([]string{old.id}, []string{majority[0].id, majority[1].id})
	cut := time.Now()

	// Writes sent to the old leader as the partition starts: some reach
	// its log, none may commit.
	var wg sync.WaitGroup
	refused := make([]error, 4)
	for i := range refused {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused[i] = add(ctx, old.Store, fmt.Sprintf("minority-%d", i), 1)
		}()
	}

	// The majority elects a leader and keeps accepting writes.
	leader := waitLeaderAmong(t, majority)
	elected := time.Since(cut)
	for i := range 10 {
		name := fmt.Sprintf("majority-%d", i)
		if err := add(ctx, majority[i%2].Store, name, 1); err != nil {
			t.Fatalf("write on the majority side: %v", err)
		}
		acked = append(acked, name)
	}

	wg.Wait()
	for i, err := range refused {
		if ErrorCode(err) != CodeUnavailable || !strings.Contains(ErrorMessage(err), "cut off from the cluster") {
			t.Errorf("write %d on the cut-off node: got %v, want an unavailable error saying it is cut off", i, err)
		}
	}
	if err := old.Sync(ctx); ErrorCode(err) != CodeUnavailable || !strings.Contains(ErrorMessage(err), "cut off") {
		t.Errorf("linearizable read on the cut-off node: got %v, want an unavailable error saying it is cut off", err)
	}
	if !old.Stale() {
		t.Errorf("the cut-off node does not call its reads stale (%v since a leader's word)", old.SinceLeaderContact())
	}
	for _, n := range majority {
		if n.Stale() {
			t.Errorf("node %s on the majority side calls its reads stale", n.id)
		}
	}
	st := old.Status()
	t.Logf("new leader %s %v after the cut; the cut-off node holds %d uncommitted entries", leader.id, elected, st.LastLogIndex-st.CommitIndex)

	network.Heal()
	c.waitConverged()
	waitFor(t, 10*time.Second, func() error {
		if old.Stale() {
			return fmt.Errorf("old leader still stale after the heal")
		}
		return nil
	})
	for _, n := range c.nodes {
		for _, name := range acked {
			if got := counter(t, n.Store, name); got != 1 {
				t.Errorf("node %s: acknowledged %s = %d, want 1", n.id, name, got)
			}
		}
		for i := range refused {
			if got := counter(t, n.Store, fmt.Sprintf("minority-%d", i)); got != 0 {
				t.Errorf("node %s: refused write minority-%d applied (%d)", n.id, i, got)
			}
		}
	}
}

// TestNetwork_CutLinksRefuseAndCloseConnections checks the fault hook
// itself: a cut link refuses new connections and closes open ones; the
// heal lets them through again.
func TestNetwork_CutLinksRefuseAndCloseConnections(t *testing.T) {
	network := NewNetwork()
	c := startCluster(t, 2, func(cfg *Config) { cfg.Network = network })
	a, b := c.nodes[0], c.nodes[1]
	dial := network.dialer(a.id, dialTCP)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	open, err := dial(ctx, b.RaftAddr())
	if err != nil {
		t.Fatalf("dial before the cut: %v", err)
	}
	network.Partition([]string{a.id}, []string{b.id})
	if _, err := dial(ctx, b.RaftAddr()); err == nil || !strings.Contains(err.Error(), "is cut") {
		t.Errorf("dial across a cut link: got %v", err)
	}
	if _, err := dial(ctx, strings.TrimPrefix(b.url, "http://")); err == nil {
		t.Errorf("HTTP dial across a cut link went through")
	}
	if _, err := open.Write([]byte("x")); err == nil {
		t.Errorf("a connection open across the cut still writes")
	}
	network.Heal()
	conn, err := dial(ctx, b.RaftAddr())
	if err != nil {
		t.Fatalf("dial after the heal: %v", err)
	}
	conn.Close()
}
