package raftdata

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// quorumContact is the oldest answer a leader needs to make a quorum with
// itself, counting only voters and answers of its term; a peer not yet
// sent anything in the term counts as answering now.
func TestQuorumContact(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(ms int) time.Time { return now.Add(-time.Duration(ms) * time.Millisecond) }
	voter := func(id string) raft.Server { return raft.Server{ID: raft.ServerID(id), Suffrage: raft.Voter} }
	three := []raft.Server{voter("a"), voter("b"), voter("c")}
	five := []raft.Server{voter("a"), voter("b"), voter("c"), voter("d"), voter("e")}
	cases := []struct {
		name     string
		servers  []raft.Server
		contacts map[raft.ServerID]peerContact
		want     time.Time
	}{
		{"alone", []raft.Server{voter("a")}, nil, now},
		{"three: the freshest peer suffices", three,
			map[raft.ServerID]peerContact{"b": {7, ago(900)}, "c": {7, ago(30)}}, ago(30)},
		{"three: both peers silent since a pause", three,
			map[raft.ServerID]peerContact{"b": {7, ago(8000)}, "c": {7, ago(8100)}}, ago(8000)},
		{"answers of an earlier term count as not yet sent", three,
			map[raft.ServerID]peerContact{"b": {6, ago(8000)}, "c": {7, ago(9000)}}, now},
		{"five: the second freshest peer", five,
			map[raft.ServerID]peerContact{"b": {7, ago(10)}, "c": {7, ago(500)}, "d": {7, ago(20)}, "e": {7, ago(3000)}}, ago(20)},
		{"non-voters do not count", append([]raft.Server{{ID: "x", Suffrage: raft.Nonvoter}}, three...),
			map[raft.ServerID]peerContact{"x": {7, ago(1)}, "b": {7, ago(700)}, "c": {7, ago(800)}}, ago(700)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &raftTransport{contacts: map[raft.ServerID]peerContact{}}
			for id, pc := range c.contacts {
				tr.contacts[id] = pc
			}
			if got := tr.quorumContact("a", 7, c.servers, now); !got.Equal(c.want) {
				t.Errorf("quorum contact %v ago, want %v ago", now.Sub(got), now.Sub(c.want))
			}
		})
	}
}

// A follower is caught up as of the last commit index of its leader it has
// applied; commit indexes that arrive right after a silence (they may have
// waited in a socket while the node was stopped) are not trusted.
func TestCaughtUpAt(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	tr := &raftTransport{gap: 400 * time.Millisecond, grace: 100 * time.Millisecond}
	note := func(ms int, term, index uint64) {
		tr.noteLeaderCommit(leaderCommit{term: term, index: index, at: at(ms)})
	}

	note(0, 3, 10) // the first message after a silence (here: ever)
	note(50, 3, 11)
	if got := tr.caughtUpAt(3, 11); !got.IsZero() {
		t.Fatalf("caught up at %v from messages within the grace after a silence", got)
	}
	note(150, 3, 12)
	note(160, 3, 14)
	if got := tr.caughtUpAt(3, 13); !got.Equal(at(150)) {
		t.Errorf("applied 13: caught up at %v, want at 150 ms", got)
	}
	if got := tr.caughtUpAt(3, 14); !got.Equal(at(160)) {
		t.Errorf("applied 14: caught up at %v, want at 160 ms", got)
	}
	if got := tr.caughtUpAt(4, 14); !got.IsZero() {
		t.Errorf("in a later term: caught up at %v, want never", got)
	}

	// A pause of 8 s: what arrives first is old.
	note(8200, 4, 14)
	if got := tr.caughtUpAt(4, 20); !got.IsZero() {
		t.Errorf("after a pause: caught up at %v from a message that may have waited in a socket", got)
	}
	note(8400, 4, 19)
	if got := tr.caughtUpAt(4, 18); !got.IsZero() {
		t.Errorf("applied 18 of 19: caught up at %v, want never", got)
	}
	if got := tr.caughtUpAt(4, 19); !got.Equal(at(8400)) {
		t.Errorf("applied 19: caught up at %v, want at 8400 ms", got)
	}
}
