package raftdata

import (
	"errors"
	"sync"
	"sync/atomic"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// storageFault remembers that one of the node's databases failed to write
// (a full disk, an I/O error), until a write succeeds again. The node
// reports it (Status, /readyz) while the cluster serves through the
// others; nothing is skipped meanwhile: the log store refuses the entries,
// so the leader sends them again, and the FSM retries its batch.
type storageFault struct {
	mu       sync.Mutex
	err      error
	failures atomic.Uint64 // failed writes since the node started
}

// fail records a failed write; it reports whether the fault is new (the
// caller logs it once, not at every retry).
func (f *storageFault) fail(err error) bool {
	f.failures.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	isNew := f.err == nil
	f.err = err
	return isNew
}

// recover clears the fault after a successful write; it reports whether
// there was one.
func (f *storageFault) recover() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	had := f.err != nil
	f.err = nil
	return had
}

// current is the last failure, nil once writes succeed again.
func (f *storageFault) current() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// isStorageError tells a failure of the disk or of SQLite itself (full,
// I/O error, read-only, out of memory, locked) from a handler's own
// mistake: the first may pass, so the work is retried; the second is the
// same on every node, so it is recorded as the command's result.
func isStorageError(err error) bool {
	var e sqlite3.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrNomem,
		sqlite3.ErrCantOpen, sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrCorrupt:
		return true
	}
	return false
}
