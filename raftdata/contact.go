package raftdata

import (
	"time"

	"github.com/hashicorp/raft"
)

// SinceLeaderContact is how long ago this node last heard from a leader.
// On the leader itself, it is how long ago a quorum of voters last
// answered it (raftrpc.go): a leader that was paused (SIGSTOP, a long GC,
// a frozen VM) still believes it leads until its lease check runs, while
// the others may have elected a leader and committed writes it has not
// seen. A node that just started counts from its start.
func (s *Store) SinceLeaderContact() time.Duration {
	if s.raft.State() == raft.Leader {
		return s.sinceQuorumContact()
	}
	// raft sets its last contact on every message from a leader, and when
	// this node steps down from leading.
	last := s.raft.LastContact()
	if last.Before(s.opened) {
		last = s.opened
	}
	return time.Since(last)
}

// sinceQuorumContact is, on the leader, the time since a quorum of voters
// last answered it in its term (the sending time of the answered request).
func (s *Store) sinceQuorumContact() time.Duration {
	term := s.raft.CurrentTerm()
	cf := s.raft.GetConfiguration()
	if cf.Error() != nil {
		return 0
	}
	now := time.Now()
	return now.Sub(s.trans.quorumContact(raft.ServerID(s.cfg.NodeID), term, cf.Configuration().Servers, now))
}

// leaderLease is how long a leader trusts a quorum's last answer; it is
// raft's own leader lease, after which raft steps a leader down.
func (s *Store) leaderLease() time.Duration { return s.cfg.HeartbeatTimeout / 2 }

// Stale tells whether this node's reads may be behind the cluster by more
// than an election's time:
//   - a leader has had no answer from a quorum for longer than its lease:
//     it may have been replaced without knowing it yet (paused, cut off);
//   - a follower has not, for longer than an election takes, held every
//     entry its leader had committed when it last told it (raftrpc.go):
//     it is cut off, or its leader's replication to it is failing or
//     backing off while heartbeats still arrive (a node resumed after a
//     pause hears the new leader's heartbeats before its entries), or it
//     knows no leader (an election, or it has just stepped down).
func (s *Store) Stale() bool {
	if s.raft.State() == raft.Leader {
		return s.sinceQuorumContact() > s.leaderLease()
	}
	if _, id := s.raft.LeaderWithID(); id == "" {
		return true
	}
	caughtUp := s.trans.caughtUpAt(s.raft.CurrentTerm(), s.raft.AppliedIndex())
	return time.Since(caughtUp) > s.cfg.ElectionTimeout
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
