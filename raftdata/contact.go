package raftdata

import (
	"time"

	"github.com/hashicorp/raft"
)

// SinceLeaderContact is how long ago this node last heard from a leader:
// 0 on the leader itself. A node that just started counts from its start.
func (s *Store) SinceLeaderContact() time.Duration {
	if s.raft.State() == raft.Leader {
		return 0
	}
	// raft sets its last contact on every message from a leader, and when
	// this node steps down from leading.
	last := s.raft.LastContact()
	if last.Before(s.opened) {
		last = s.opened
	}
	return time.Since(last)
}

// Stale tells whether this node's reads may be behind the cluster: it has
// heard from no leader for longer than an election takes.
func (s *Store) Stale() bool {
	return s.SinceLeaderContact() > s.cfg.ElectionTimeout
}

// cutOffAfter is how long without a leader's word a node waits before it
// refuses writes and linearizable reads: a few election timeouts, so that
// an ordinary failover (well under a second) never refuses anything.
func (s *Store) cutOffAfter() time.Duration { return 5 * s.cfg.ElectionTimeout }

// cutOff tells whether this node has lost the cluster: no leader has
// reached it for cutOffAfter, so it can neither commit a write nor confirm
// that its state is current.
func (s *Store) cutOff() bool { return s.SinceLeaderContact() > s.cutOffAfter() }

// errCutOff answers a write or a linearizable read on a node cut off from
// the cluster. Retrying the same command elsewhere is safe.
func errCutOff() *Error {
	return Errorf(CodeUnavailable, "no leader reachable: this node is cut off from the cluster; retry on another node or later")
}
