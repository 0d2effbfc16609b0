package raftdata

import (
	"context"
	"testing"
	"time"
)

// A write through a follower returns once the follower holds it: each
// write, read at once on the follower, is there. Raft takes a commit
// notice only for an entry the follower holds with the leader's term: a
// notice for an entry beyond its log, or with another term, is refused
// and commits nothing; neither changes the follower's term or leader.
func TestCluster3_CommitNoticeOnlyForTheLeadersEntry(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.waitLeader()
	f := c.followers()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 1; i <= 100; i++ {
		if err := add(ctx, f.Store, "ryw", 1); err != nil {
			t.Fatal(err)
		}
		if got := counter(t, f.Store, "ryw"); got != i {
			t.Fatalf("write %d through the follower: it reads %d right after", i, got)
		}
	}

	// The follower's log ends at an entry the leader committed.
	waitFor(t, 5*time.Second, func() error {
		if f.Store.raft.CommitIndex() != leader.Store.raft.CommitIndex() || f.Store.raft.LastIndex() != leader.Store.raft.LastIndex() {
			return context.DeadlineExceeded
		}
		return nil
	})
	last := f.Store.raft.LastIndex()
	term := f.termOf(last)
	if term == 0 || term != leader.termOf(last) {
		t.Fatalf("entry %d: term %d on the follower, %d on the leader", last, term, leader.termOf(last))
	}
	_, leaderBefore := f.Store.raft.LeaderWithID()
	termBefore := f.Store.raft.CurrentTerm()
	commit := f.Store.raft.CommitIndex()
	cases := []struct {
		name        string
		index, term uint64
		want        bool
	}{
		{"an entry beyond the follower's log", last + 3, term, false},
		{"an entry of another term", last, term + 1, false},
		{"the leader's entry, committed already", last, term, true},
	}
	for _, tc := range cases {
		if got := f.noticeCommitted(tc.index, tc.term); got != tc.want {
			t.Errorf("%s: notice accepted %v, want %v", tc.name, got, tc.want)
		}
		if got := f.Store.raft.CommitIndex(); got != commit {
			t.Errorf("%s: commit index %d, was %d", tc.name, got, commit)
		}
		if _, l := f.Store.raft.LeaderWithID(); l != leaderBefore || f.Store.raft.CurrentTerm() != termBefore {
			t.Errorf("%s: the follower now follows %s in term %d, was %s in %d", tc.name, l, f.Store.raft.CurrentTerm(), leaderBefore, termBefore)
		}
	}
}
