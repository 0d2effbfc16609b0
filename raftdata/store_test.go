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

func TestBatchRefusalRollsBackOnlyItsOwnCommand(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	ctx := context.Background()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
	// 200 concurrent commands land in shared batches; every third writes
	// then refuses. Only the accepted ones may stay.
	const total = 200
	errs := make(chan error, total)
	for i := 0; i < total; i++ {
		go func() {
			_, err := n.Apply(ctx, "test.add", map[string]any{"name": "c", "n": 1, "refuse": i%3 == 0})
			errs <- err
		}()
	}
	refused := 0
	for i := 0; i < total; i++ {
		err := <-errs
		switch ErrorCode(err) {
		case "":
		case CodeConflict:
			refused++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if want := (total + 2) / 3; refused != want {
		t.Fatalf("refused %d, want %d", refused, want)
	}
	if got := counter(t, n.Store, "c"); got != total-refused {
		t.Fatalf("counter = %d, want %d: a refusal leaked or rolled back a neighbour", got, total-refused)
	}
	if c := n.Counters(); c.Batches >= c.Commands || c.Refused != uint64(refused) {
		t.Fatalf("counters %+v: want commands grouped in fewer batches, %d refused", c, refused)
	}
}

func TestRetriedCommandAppliesOnce(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	ctx := context.Background()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
	cmd, err := NewCommand("test.add", map[string]any{"name": "r", "n": 5}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first, err := n.ApplyCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	second, err := n.ApplyCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != "5" || string(second) != "5" {
		t.Fatalf("results %s and %s, want the first result (5) twice", first, second)
	}
	if got := counter(t, n.Store, "r"); got != 5 {
		t.Fatalf("counter = %d, want 5: the retry was applied again", got)
	}
}

func TestUnknownCommandIsRefused(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
	_, err := n.Apply(context.Background(), "test.nope", nil)
	if ErrorCode(err) != CodeInvalid {
		t.Fatalf("err = %v, want an invalid refusal", err)
	}
}
