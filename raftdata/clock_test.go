package raftdata

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// A node whose clock goes back stamps an earlier time; the committed
// clock handlers read stays at the latest time applied, and keeps it
// across a restart.
func TestClockNeverGoesBack(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func(c *Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	}
	set := func(t0 time.Time) { mu.Lock(); now = t0; mu.Unlock() }
	dir := t.TempDir()
	n := startNode(t, "n1", dir, "", true, clock)
	ctx := context.Background()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
	committed := func() time.Time {
		t.Helper()
		raw, err := n.Apply(ctx, "test.clock", struct{}{})
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	late := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	set(late)
	if got := committed(); !got.Equal(late) {
		t.Fatalf("clock = %v, want the command's time %v", got, late)
	}
	set(late.AddDate(-1, 0, 0)) // the node's clock goes back a year
	if got := committed(); !got.Equal(late) {
		t.Fatalf("clock went back to %v after %v", got, late)
	}
	before := n.AppliedIndex()
	n.stop()
	n = startNode(t, "n1", dir, n.raft, true, clock)
	defer n.stop()
	waitFor(t, 10*time.Second, func() error {
		if !n.Ready() || n.AppliedIndex() < before {
			return errNoLeader
		}
		return nil
	})
	if got := committed(); !got.Equal(late) {
		t.Fatalf("after a restart the clock is %v, want %v", got, late)
	}
}
