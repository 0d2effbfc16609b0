package raftdata

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

func TestBoundCommit(t *testing.T) {
	entries := func(from, to uint64) []*raft.Log {
		var out []*raft.Log
		for i := from; i <= to; i++ {
			out = append(out, &raft.Log{Index: i})
		}
		return out
	}
	cases := []struct {
		name         string
		prev, commit uint64
		entries      []*raft.Log
		want         uint64
	}{
		{"a heartbeat carries no commit index", 0, 0, nil, 0},
		{"no entries: up to the previous entry", 10, 15, nil, 10},
		{"no entries, commit behind: unchanged", 10, 8, nil, 8},
		{"entries: up to the last new one", 10, 15, entries(11, 12), 12},
		{"entries beyond the commit index: unchanged", 10, 11, entries(11, 14), 11},
		{"a commit notice: the entry itself", 7, 7, nil, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ae := &raft.AppendEntriesRequest{PrevLogEntry: tc.prev, LeaderCommitIndex: tc.commit, Entries: tc.entries}
			boundCommit(ae)
			if ae.LeaderCommitIndex != tc.want {
				t.Errorf("commit index %d, want %d", ae.LeaderCommitIndex, tc.want)
			}
		})
	}
}

// TestFollowerCommitsOnlyWhatTheRequestVouchesFor replays the divergence
// TestMultiProcess_TwentyLeaderKills met under load. A leader cut off from
// the others appends a write it can never commit; the others elect a new
// leader, which commits its own entries at those indexes. The new leader
// then sends the old one what hashicorp/raft sends when it read its last
// index before appending its no-op and sent later: the last entry both
// share as previous entry, no entries, and a later commit index. That
// request goes through the Raft port, with the cluster key, as a leader's
// does. The old leader must not commit (and apply) the entries only it
// holds; after the heal every node has one history, without the write.
func TestFollowerCommitsOnlyWhatTheRequestVouchesFor(t *testing.T) {
	network := NewNetwork()
	c := startCluster(t, 3, func(cfg *Config) { cfg.Network = network })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	old := c.waitLeader()
	if err := add(ctx, old.Store, "before", 1); err != nil {
		t.Fatal(err)
	}
	c.waitConverged()
	shared := old.Store.raft.LastIndex()
	var sharedLog raft.Log
	if err := old.logs.GetLog(shared, &sharedLog); err != nil {
		t.Fatal(err)
	}

	majority := c.followers()
	network.Partition([]string{old.id}, []string{majority[0].id, majority[1].id})
	// Straight to raft, as the leader's own write: appended, never
	// committed (Store.Apply would forward it again to the new leader).
	staleCmd, err := NewCommand("test.add", map[string]any{"name": "stale", "n": 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	staleData, err := encodeCommand(staleCmd)
	if err != nil {
		t.Fatal(err)
	}
	old.Store.raft.Apply(staleData, time.Second)
	waitFor(t, 3*time.Second, func() error {
		if old.Store.raft.LastIndex() <= shared {
			return fmt.Errorf("the cut-off leader has not appended the write yet")
		}
		return nil
	})

	leader := waitLeaderAmong(t, majority)
	if err := add(ctx, leader.Store, "committed", 1); err != nil {
		t.Fatal(err)
	}
	commit := leader.Store.raft.CommitIndex()
	if commit <= shared {
		t.Fatalf("the new leader's commit index %d is not past the shared entry %d", commit, shared)
	}

	stream, err := newStreamLayer("127.0.0.1:0", nil, nil, old.Store.key, dialTCP, nil)
	if err != nil {
		t.Fatal(err)
	}
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 1, Timeout: 5 * time.Second, Logger: hclog.NewNullLogger(),
	})
	defer trans.Close()
	leaderAddr := []byte(leader.Store.trans.LocalAddr())
	req := &raft.AppendEntriesRequest{
		RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(leader.id), Addr: leaderAddr},
		Term:              leader.Store.raft.CurrentTerm(),
		Leader:            leaderAddr,
		PrevLogEntry:      shared,
		PrevLogTerm:       sharedLog.Term,
		LeaderCommitIndex: commit,
	}
	var resp raft.AppendEntriesResponse
	if err := trans.AppendEntries(raft.ServerID(old.id), raft.ServerAddress(old.RaftAddr()), req, &resp); err != nil {
		t.Fatalf("send the request to the old leader: %v", err)
	}
	if !resp.Success {
		t.Fatalf("the old leader refused a request whose previous entry it holds (its last log %d)", resp.LastLog)
	}
	// raft sets the commit index before it answers.
	if got := old.Store.raft.CommitIndex(); got > shared {
		t.Errorf("the old leader committed up to %d on a request that vouches only for %d: its entries after %d were never committed", got, shared, shared)
	}

	network.Heal()
	c.waitConverged()
	for _, n := range c.nodes {
		if got := counter(t, n.Store, "stale"); got != 0 {
			t.Errorf("node %s applied the write the cluster never committed (stale = %d)", n.id, got)
		}
		if got := counter(t, n.Store, "committed"); got != 1 {
			t.Errorf("node %s: committed = %d, want 1", n.id, got)
		}
	}
}
