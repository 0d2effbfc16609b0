package raftdata

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// raftTransport is the network transport raft runs on, with two additions
// that hashicorp/raft offers no API for:
//
//   - as leader, it notes when each peer last answered an AppendEntries of
//     the current term (heartbeats and pipelined replication included):
//     contact.go tells from it whether a quorum still follows this leader;
//   - as follower, it notes the leader's commit index that each
//     AppendEntries brings, and when: contact.go tells from it how long ago
//     this node last held everything its leader had committed;
//   - as follower, it lets the store hand raft a commit notice, an
//     AppendEntries built from what the leader answered a forwarded write
//     (commitnotice.go), alongside the RPCs that come from the network.
type raftTransport struct {
	*raft.NetworkTransport
	rpcs      chan raft.RPC // what raft consumes: the network's RPCs, then notices
	done      chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	contacts map[raft.ServerID]peerContact
	commits  []leaderCommit // as follower: received, not yet known applied, oldest first
	caughtUp leaderCommit   // as follower: the latest commit index known applied

	// A commit index that arrives after a silence longer than gap may be
	// old: sent while this node was stopped (SIGSTOP, a frozen VM), it
	// waited in a socket. Commit indexes are trusted again from grace
	// after the silence ends, once the leader's stream is flowing.
	gap, grace time.Duration
	lastAppend time.Time
	trustFrom  time.Time
}

// leaderCommit is the commit index a leader of term sent, received at at.
type leaderCommit struct {
	term, index uint64
	at          time.Time
}

// maxPendingCommits bounds the commit indexes kept while this node applies
// slower than its leader commits: past it the oldest are dropped, which
// can only make the node look less current than it is.
const maxPendingCommits = 4096

// peerContact is the last AppendEntries a peer answered in term: sent is
// when it was sent, so the answer is at least that recent.
type peerContact struct {
	term uint64
	sent time.Time
}

func newRaftTransport(nt *raft.NetworkTransport, gap, grace time.Duration) *raftTransport {
	t := &raftTransport{
		NetworkTransport: nt,
		gap:              gap,
		grace:            grace,
		rpcs:             make(chan raft.RPC),
		done:             make(chan struct{}),
		contacts:         map[raft.ServerID]peerContact{},
	}
	go relay(nt.Consumer(), t.rpcs, t.done, t.noteRPC)
	return t
}

// relay hands each value that arrives on in to out, after note has seen
// it, until done is closed or in is.
func relay[T any](in <-chan T, out chan<- T, done <-chan struct{}, note func(T)) {
	for {
		select {
		case v, ok := <-in:
			if !ok {
				return
			}
			note(v)
			select {
			case out <- v:
			case <-done:
				return
			}
		case <-done:
			return
		}
	}
}

// noteRPC bounds, then notes, the leader's commit index an RPC from the
// network brings.
func (t *raftTransport) noteRPC(rpc raft.RPC) {
	if ae, ok := rpc.Command.(*raft.AppendEntriesRequest); ok {
		boundCommit(ae)
		t.noteLeaderCommit(leaderCommit{term: ae.Term, index: ae.LeaderCommitIndex, at: time.Now()})
	}
}

// boundCommit lowers an AppendEntries' commit index to the last entry the
// request vouches for: its previous entry, or its last new entry. Raft's
// receiver sets commitIndex = min(leaderCommit, index of last new entry)
// (§5.3); hashicorp/raft (v1.8.0, appendEntries) takes min(leaderCommit,
// last index of the local log) instead. A follower whose log still ends
// with entries an old leader appended and never committed (a leader killed
// just after appending them, restarted as a follower) may then receive a
// request whose previous entry matches, without entries (its leader read
// its last index before appending its no-op, then sent later, with the
// commit index of that later time), and commit the stale entries: it
// applied a write the cluster never committed, and its state diverged
// from the others' (seen in TestMultiProcess_TwentyLeaderKills under
// load; TestFollowerCommitsOnlyWhatTheRequestVouchesFor). The entries that
// follow are committed by the next request, which carries them.
func boundCommit(ae *raft.AppendEntriesRequest) {
	vouched := ae.PrevLogEntry
	if n := len(ae.Entries); n > 0 {
		vouched = ae.Entries[n-1].Index
	}
	ae.LeaderCommitIndex = min(ae.LeaderCommitIndex, vouched)
}

// Consumer is where raft reads the RPCs it must answer.
func (t *raftTransport) Consumer() <-chan raft.RPC { return t.rpcs }

// Close stops the transport; it may be called more than once.
func (t *raftTransport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		close(t.done)
		err = t.NetworkTransport.Close()
	})
	return err
}

// AppendEntriesPipeline opens raft's pipelined replication to a peer,
// whose answers are noted as AppendEntries' are.
func (t *raftTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	p, err := t.NetworkTransport.AppendEntriesPipeline(id, target)
	if err != nil {
		return nil, err
	}
	w := &watchedPipeline{AppendPipeline: p, out: make(chan raft.AppendFuture, cap(p.Consumer())), done: make(chan struct{})}
	go relay(p.Consumer(), w.out, w.done, func(f raft.AppendFuture) {
		if f.Error() == nil && f.Response().Term == f.Request().Term {
			t.contacted(id, f.Request().Term, f.Start())
		}
	})
	return w, nil
}

// watchedPipeline hands raft the answers of a pipeline after noting them.
type watchedPipeline struct {
	raft.AppendPipeline
	out       chan raft.AppendFuture
	done      chan struct{}
	closeOnce sync.Once
}

func (w *watchedPipeline) Consumer() <-chan raft.AppendFuture { return w.out }

func (w *watchedPipeline) Close() error {
	w.closeOnce.Do(func() { close(w.done) })
	return w.AppendPipeline.Close()
}

// contacted notes that peer id answered, in term, a request sent at sent.
func (t *raftTransport) contacted(id raft.ServerID, term uint64, sent time.Time) {
	t.mu.Lock()
	if c := t.contacts[id]; term > c.term || (term == c.term && sent.After(c.sent)) {
		t.contacts[id] = peerContact{term: term, sent: sent}
	}
	t.mu.Unlock()
}

// AppendEntries sends an AppendEntries RPC (raft's replication and
// heartbeats) and notes the peer's answer if it still follows the term.
//
// Like raft's own lease check, the first request of a term to a peer counts
// as a contact (raft starts each follower's replication with its last
// contact set to now), so that a new leader, or a newly added voter, is
// not taken for lost before it had the time to answer.
func (t *raftTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	sent := time.Now()
	t.mu.Lock()
	if c := t.contacts[id]; args.Term > c.term {
		t.contacts[id] = peerContact{term: args.Term, sent: sent}
	}
	t.mu.Unlock()
	err := t.NetworkTransport.AppendEntries(id, target, args, resp)
	if err == nil && resp.Term == args.Term {
		t.contacted(id, args.Term, sent)
	}
	return err
}

// quorumContact is the time since which a quorum of voters has followed
// this node as leader of term: the oldest of the most recent answers it
// needs, itself counted. A peer not yet sent anything in term counts as
// answering now (the election just ended).
func (t *raftTransport) quorumContact(self raft.ServerID, term uint64, servers []raft.Server, now time.Time) time.Time {
	voters := 0
	var answered []time.Time
	t.mu.Lock()
	for _, srv := range servers {
		if srv.Suffrage != raft.Voter {
			continue
		}
		voters++
		if srv.ID == self {
			continue
		}
		c, ok := t.contacts[srv.ID]
		switch {
		case !ok || c.term < term:
			answered = append(answered, now)
		case c.term == term:
			answered = append(answered, c.sent)
		}
	}
	t.mu.Unlock()
	need := voters / 2 // peers, besides this node, that make a quorum
	if need == 0 {
		return now
	}
	if len(answered) < need {
		return time.Time{} // a later term: this node no longer leads
	}
	slices.SortFunc(answered, func(a, b time.Time) int { return b.Compare(a) })
	return answered[need-1]
}

// noteLeaderCommit records the commit index an AppendEntries brought
// (heartbeats, which carry none, take raft's fast path and never come
// here).
func (t *raftTransport) noteLeaderCommit(c leaderCommit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastAppend.IsZero() || c.at.Sub(t.lastAppend) > t.gap {
		t.trustFrom = c.at.Add(t.grace)
	}
	t.lastAppend = c.at
	if c.index == 0 || c.at.Before(t.trustFrom) {
		return
	}
	if len(t.commits) >= maxPendingCommits {
		t.commits = t.commits[1:]
	}
	t.commits = append(t.commits, c)
}

// caughtUpAt is, on a follower in term that has applied the log up to
// applied (raft's index: no-ops and configurations count), when it last
// received a commit index of its leader that it has applied since: its
// state holds every write committed before that moment. The zero time if
// none in term (a new leader has not reached it yet).
func (t *raftTransport) caughtUpAt(term, applied uint64) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := 0
	for ; i < len(t.commits); i++ {
		c := t.commits[i]
		if c.term > term || (c.term == term && c.index > applied) {
			break // not applied yet, or from a term raft has not reached
		}
		if c.term == term {
			t.caughtUp = c
		}
	}
	t.commits = t.commits[i:]
	if t.caughtUp.term != term {
		return time.Time{}
	}
	return t.caughtUp.at
}

var errTransportClosed = errors.New("the raft transport is closed")

// deliver hands raft an RPC of this node's own making and returns raft's
// answer.
func (t *raftTransport) deliver(cmd any, timeout time.Duration) (any, error) {
	respCh := make(chan raft.RPCResponse, 1)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case t.rpcs <- raft.RPC{Command: cmd, RespChan: respCh}:
	case <-t.done:
		return nil, errTransportClosed
	case <-timer.C:
		return nil, errors.New("raft did not take the RPC in time")
	}
	select {
	case r := <-respCh:
		return r.Response, r.Error
	case <-t.done:
		return nil, errTransportClosed
	case <-timer.C:
		return nil, errors.New("raft did not answer the RPC in time")
	}
}
