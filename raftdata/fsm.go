package raftdata

import (
	"io"

	"github.com/hashicorp/raft"
)

// fsm is what hashicorp/raft drives. It only delegates: applying commands is
// in apply.go, snapshots in snapshot.go.
type fsm struct{ db *stateDB }

var _ raft.BatchingFSM = fsm{}

func (f fsm) Apply(l *raft.Log) any               { return f.db.applyBatch([]*raft.Log{l})[0] }
func (f fsm) ApplyBatch(logs []*raft.Log) []any   { return f.db.applyBatch(logs) }
func (f fsm) Snapshot() (raft.FSMSnapshot, error) { return f.db.snapshot() }
func (f fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.db.restore(rc)
}
