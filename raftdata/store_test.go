package raftdata

import (
	"context"
	"testing"
	"time"
)

func TestSingleNodeApplyAndRestartReplaysNothingTwice(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "n1", dir, "", true)
	ctx := context.Background()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
	for i := 0; i < 50; i++ {
		if err := add(ctx, n.Store, "votes", 1); err != nil {
			t.Fatal(err)
		}
	}
	if got := counter(t, n.Store, "votes"); got != 50 {
		t.Fatalf("counter = %d, want 50", got)
	}
	before := n.AppliedIndex()
	n.stop()

	n = startNode(t, "n1", dir, n.raft, true)
	defer n.stop()
	waitFor(t, 10*time.Second, func() error {
		if !n.Ready() || n.AppliedIndex() < before {
			return errNoLeader
		}
		return nil
	})
	if got := counter(t, n.Store, "votes"); got != 50 {
		t.Fatalf("after restart counter = %d, want 50 (a replayed entry was applied twice)", got)
	}
}
