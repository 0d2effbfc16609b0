package raftdata

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// NodeStatus is what one node says of itself.
type NodeStatus struct {
	ID                string `json:"id"`
	Address           string `json:"address"`
	HTTPURL           string `json:"http_url,omitempty"`
	State             string `json:"state"`
	Voter             bool   `json:"voter"`
	Leader            string `json:"leader,omitempty"`
	Term              uint64 `json:"term"`
	CommitIndex       uint64 `json:"commit_index"`
	AppliedIndex      uint64 `json:"applied_index"` // raft's: counts no-ops and barriers
	FSMIndex          uint64 `json:"fsm_index"`     // last entry applied to SQLite
	LastLogIndex      uint64 `json:"last_log_index"`
	LastSnapshotIndex uint64 `json:"last_snapshot_index"`
	// StorageError is set while the node cannot write its databases (a
	// full disk): it is not ready, and catches up once writes succeed.
	StorageError string `json:"storage_error,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Problem is what an operator should know is wrong with the node, in one
// sentence; "" when nothing is.
func (n NodeStatus) Problem() string {
	switch {
	case n.Error != "":
		return n.Error
	case n.StorageError != "":
		return "cannot write its storage (it is not ready and catches up once writes succeed): " + n.StorageError
	}
	return ""
}

// ClusterStatus is the cluster as seen from one node, asking each peer.
type ClusterStatus struct {
	Leader string       `json:"leader"`
	Term   uint64       `json:"term"`
	Nodes  []NodeStatus `json:"nodes"`
}

// Status describes this node.
func (s *Store) Status() NodeStatus {
	_, leader := s.raft.LeaderWithID()
	snap := s.raft.Stats()["last_snapshot_index"]
	return NodeStatus{
		ID:                s.cfg.NodeID,
		Address:           s.RaftAddr(),
		HTTPURL:           s.cfg.HTTPURL,
		State:             stateName(s.raft.State()),
		Voter:             true,
		Leader:            string(leader),
		Term:              s.raft.CurrentTerm(),
		CommitIndex:       s.raft.CommitIndex(),
		AppliedIndex:      s.raft.AppliedIndex(),
		FSMIndex:          s.state.appliedIndex(),
		LastLogIndex:      s.raft.LastIndex(),
		LastSnapshotIndex: parseUint(snap),
		StorageError:      s.storageError(),
	}
}

// storageError describes a failing write of the Raft log or of the state,
// or is empty.
func (s *Store) storageError() string {
	if err := s.logs.fault.current(); err != nil {
		return "cannot write the Raft log: " + err.Error()
	}
	if err := s.state.fault.current(); err != nil {
		return "cannot write the state database: " + err.Error()
	}
	return ""
}

func stateName(st raft.RaftState) string {
	switch st {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	default:
		return "shutdown"
	}
}

// Cluster asks every server of the configuration for its status; a node
// that does not answer within a second is reported "unreachable".
func (s *Store) Cluster(ctx context.Context) (ClusterStatus, error) {
	cf := s.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return ClusterStatus{}, err
	}
	_, leader := s.raft.LeaderWithID()
	out := ClusterStatus{Leader: string(leader), Term: s.raft.CurrentTerm()}
	servers := cf.Configuration().Servers
	results := make([]NodeStatus, len(servers))
	done := make(chan struct{}, len(servers))
	for i, srv := range servers {
		go func() {
			defer func() { done <- struct{}{} }()
			results[i] = s.peerStatus(ctx, srv)
		}()
	}
	for range servers {
		<-done
	}
	out.Nodes = results
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	return out, nil
}

func (s *Store) peerStatus(ctx context.Context, srv raft.Server) NodeStatus {
	voter := srv.Suffrage == raft.Voter
	if string(srv.ID) == s.cfg.NodeID {
		st := s.Status()
		st.Voter = voter
		return st
	}
	st := NodeStatus{ID: string(srv.ID), Address: string(srv.Address), State: "unreachable", Voter: voter}
	n, found, err := lookupNode(s.state.readers, string(srv.ID))
	if err != nil || !found {
		st.Error = "HTTP address not known yet"
		return st
	}
	st.HTTPURL = n.HTTPURL
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var got NodeStatus
	if err := s.call(ctx, http.MethodGet, n.HTTPURL+pathStatus, nil, &got); err != nil {
		st.Error = err.Error()
		return st
	}
	got.Voter = voter
	return got
}

func parseUint(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

// Counters are running totals of this node's FSM since it started.
type Counters struct {
	Batches  uint64 // SQLite transactions that applied log entries
	Commands uint64 // commands applied (a replayed entry is not counted)
	Refused  uint64 // commands refused by a handler
	// SnapshotRestores counts snapshots installed over the local state: a
	// follower too far behind the leader's log catches up this way.
	SnapshotRestores uint64
	// StorageFailures counts failed writes of the Raft log and the state
	// (each retry counts).
	StorageFailures uint64
	// RolledBackBatches counts the FSM's transactions rolled back because
	// SQLite could not write (each is tried again until it commits).
	RolledBackBatches uint64
	// Forwarded counts the commands this node sent to a leader (writes
	// proposed on a follower), ForwardCalls the calls that carried them:
	// concurrent writes share a call (forward.go).
	Forwarded    uint64
	ForwardCalls uint64
	// ApplyLatency times the writes proposed on this node, from the call
	// to their result (forwarding, commit and apply included).
	ApplyLatency Histogram
	// BatchLatency times the SQLite transactions that apply committed
	// entries on this node.
	BatchLatency Histogram
}

// Counters reads this node's FSM totals.
func (s *Store) Counters() Counters {
	return Counters{
		Batches:           s.state.batches.Load(),
		Commands:          s.state.commands.Load(),
		Refused:           s.state.refused.Load(),
		SnapshotRestores:  s.state.restores.Load(),
		StorageFailures:   s.logs.fault.failures.Load() + s.state.fault.failures.Load(),
		RolledBackBatches: s.state.fault.failures.Load(),
		Forwarded:         s.forwarder.commands.Load(),
		ForwardCalls:      s.forwarder.calls.Load(),
		ApplyLatency:      s.applyLatency.read(),
		BatchLatency:      s.state.batchLatency.read(),
	}
}
