package raftdata

import (
	"context"
	"time"

	"github.com/hashicorp/raft"
)

// A write forwarded by a follower returns once the follower holds it, so
// that its caller reads its write there. The leader answers as soon as the
// entry is committed and applied on its side; the follower, though, learns
// the commit index only from the leader's next AppendEntries, which an
// idle leader sends after raft's CommitTimeout (5 to 10 ms): most of a
// one-client write through a follower was that wait.
//
// The leader's answer carries the entry's index and term. The follower
// hands its own raft a commit notice: an AppendEntries with no entries
// whose previous entry is (index, term) and whose commit index is index,
// from the leader it follows, in its current term. raft applies it as it
// would the leader's next message:
//   - it accepts it only if its log holds that very entry (same index, same
//     term), hence, by Raft's log matching, the leader's log up to it, all
//     of it committed: committing up to index is what the leader's next
//     AppendEntries would do;
//   - the notice changes neither the term nor the leader (it names the
//     ones raft has), and is refused if the term moved meanwhile;
//   - an entry not yet in the follower's log (a quorum answered without
//     it) is not noticed: the follower tries again shortly, and the
//     leader's own messages go on as before.
//
// The leader's answer is a message from the leader, so the notice adds no
// contact raft had not had.

// noticeTimeout bounds how long a notice waits for raft's main loop.
const noticeTimeout = 50 * time.Millisecond

// catchUp waits until this node's state holds the entry at index, which
// the leader answered is committed in term (0: the leader did not say).
func (s *Store) catchUp(ctx context.Context, index, term uint64) error {
	// Short waits first: the entry may be on its way to this node's log.
	wait := 200 * time.Microsecond
	for {
		if s.state.appliedIndex() >= index {
			return nil
		}
		if term > 0 && s.raft.CommitIndex() < index {
			s.noticeCommitted(index, term)
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		err := s.state.waitApplied(wctx, index)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		wait = min(wait*2, 50*time.Millisecond)
	}
}

// noticeCommitted hands raft a commit notice for entry (index, term); it
// reports whether raft accepted it.
func (s *Store) noticeCommitted(index, term uint64) bool {
	// Without the entry, raft would refuse the notice (and log it).
	if s.raft.State() != raft.Follower || s.raft.LastIndex() < index {
		return false
	}
	current := s.raft.CurrentTerm()
	addr, id := s.raft.LeaderWithID()
	if id == "" || s.raft.CurrentTerm() != current {
		return false
	}
	leader := s.trans.EncodePeer(id, addr)
	req := &raft.AppendEntriesRequest{
		RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(id), Addr: leader},
		Term:              current,
		Leader:            leader,
		PrevLogEntry:      index,
		PrevLogTerm:       term,
		LeaderCommitIndex: index,
	}
	resp, err := s.trans.deliver(req, noticeTimeout)
	r, ok := resp.(*raft.AppendEntriesResponse)
	return err == nil && ok && r.Success
}

// termOf is the term of the entry at index in this node's log (0 if it is
// gone).
func (s *Store) termOf(index uint64) uint64 {
	var l raft.Log
	if err := s.logCache.GetLog(index, &l); err != nil {
		return 0
	}
	return l.Term
}
