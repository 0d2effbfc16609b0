package raftdata

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Handler applies one command inside the FSM's SQLite transaction. It must be
// deterministic: read time and ids from cmd, never from the clock or a random
// source, so that every node builds the same database from the same log.
// Returning an *Error refuses the command: its changes are rolled back and
// the refusal becomes the command's result. The value, if not nil, is
// marshalled to JSON and handed back to the caller of Store.Apply.
type Handler func(tx *Tx, cmd Command) (any, error)

// Registry maps command types to handlers and collects the tables each
// package owns. Domain packages fill it before the store opens; after that
// it is read-only.
type Registry struct {
	handlers  map[string][]Handler
	schemas   []schema
	onRestore []func()
	mirrors   []func()
	shared    map[any]any
}

type schema struct {
	owner   string
	ddl     string
	upgrade func(tx *sql.Tx) error // nil: DDL only
}

// NewRegistry returns a registry holding raftdata's own commands.
func NewRegistry() *Registry {
	r := &Registry{handlers: map[string][]Handler{}}
	r.Schema("raftdata", raftdataSchema)
	r.Handle(cmdNodeSet, applyNodeSet)
	r.Handle(cmdNodeRemoved, applyNodeRemoved)
	r.Handle(cmdBootstrapped, applyBootstrapped)
	r.Handle(cmdBackupRecorded, applyBackupRecorded)
	return r
}

// Handle adds h to the handlers of typ. Several packages may handle the same
// type: they run in registration order, in the same transaction, and the
// command's result is the first non-nil value they return. If any of them
// refuses, none of their changes stay.
func (r *Registry) Handle(typ string, h Handler) {
	r.handlers[typ] = append(r.handlers[typ], h)
}

// Schema records DDL that owner needs. It runs at every open and after every
// snapshot restore, so it must be idempotent (CREATE TABLE IF NOT EXISTS...).
func (r *Registry) Schema(owner, ddl string) {
	r.schemas = append(r.schemas, schema{owner: owner, ddl: ddl})
}

// OnRestore adds fn to what runs after a snapshot replaced the database.
// A package that keeps state derived from its tables in memory (a cache the
// hot path reads instead of SQLite) drops it there: the tables may now hold
// another history. fn runs under the FSM's lock, with no command applying.
func (r *Registry) OnRestore(fn func()) {
	r.onRestore = append(r.onRestore, fn)
}

func (r *Registry) restored() {
	for _, fn := range r.onRestore {
		fn()
	}
	r.dropMirrors()
}

// Mirror registers drop, which empties a package's memory mirror of its
// tables (DESIGN.md, "Memory mirrors tables"). A mirror changes with the
// handlers, inside the batch's transaction, so that the next command of
// the batch sees the change; whenever the tables may not hold what the
// memory was built from, raftdata calls drop and the mirror reloads from
// SQLite on next use:
//   - the batch's transaction was rolled back (a full disk, an I/O error:
//     the batch is then tried again from the tables as they were);
//   - a command was refused after one of its handlers had succeeded (its
//     changes are rolled back to the command's savepoint);
//   - a snapshot replaced the database.
//
// drop runs on the FSM's goroutine (or under its lock), never while a
// handler runs.
func (r *Registry) Mirror(drop func()) {
	r.mirrors = append(r.mirrors, drop)
}

// Share keeps v under key for the package's service to find with
// Store.Shared: memory that a package's handlers and its service over the
// same store both use (a mirror the handlers drop and the service reads).
// key is a value of an unexported type of the package, as for context
// keys. Call it before the store opens, like Handle.
func (r *Registry) Share(key, v any) {
	if r.shared == nil {
		r.shared = map[any]any{}
	}
	r.shared[key] = v
}

func (r *Registry) dropMirrors() {
	for _, drop := range r.mirrors {
		drop()
	}
}

// Upgrade records a change of owner's tables that DDL alone cannot make
// (moving rows to a new layout). Like Schema it runs at every open and
// after every snapshot restore, after every Schema, in a transaction of its
// own; it must do nothing on a state already upgraded. It runs outside the
// log: each node upgrades the same state the same way, so the nodes agree.
func (r *Registry) Upgrade(owner string, fn func(tx *sql.Tx) error) {
	r.schemas = append(r.schemas, schema{owner: owner, upgrade: fn})
}

func (r *Registry) migrate(ctx context.Context, db *sql.DB) error {
	for _, s := range r.schemas {
		if s.upgrade == nil {
			if _, err := db.ExecContext(ctx, s.ddl); err != nil {
				return fmt.Errorf("schema of %s: %w", s.owner, err)
			}
			continue
		}
		if err := upgradeIn(ctx, db, s.upgrade); err != nil {
			return fmt.Errorf("upgrade of %s: %w", s.owner, err)
		}
	}
	return nil
}

func upgradeIn(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// dispatch runs the handlers of cmd. An unknown type is refused on purpose
// rather than skipped silently: every node refuses it the same way. A
// handler that fails after another one succeeded leaves the memory mirrors
// behind the tables (the command's changes are rolled back): they are
// dropped.
func (r *Registry) dispatch(tx *Tx, cmd Command) (json.RawMessage, error) {
	hs, ok := r.handlers[cmd.Type]
	if !ok {
		return nil, Errorf(CodeInvalid, "unknown command type %q", cmd.Type)
	}
	var result any
	for i, h := range hs {
		v, err := h(tx, cmd)
		if err != nil {
			if i > 0 {
				r.dropMirrors()
			}
			return nil, err
		}
		if result == nil && v != nil {
			result = v
		}
	}
	if result == nil {
		return nil, nil
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode result of %s: %w", cmd.Type, err)
	}
	return raw, nil
}

// Tx is the transaction a handler runs in, with the Raft index of its
// command and a place to leave events, published once the batch commits.
type Tx struct {
	tx      *sql.Tx
	stmts   *stmtCache
	index   uint64
	clock   int64 // unix nanoseconds
	events  []Event
	compact bool
}

// Event is a message derived from an applied command, published on NATS
// after commit under Subject (coop.<noun>.<verb>). ID is unique per event
// and the same on every node, so a de-duplicating consumer keeps one copy.
type Event struct {
	Subject string
	ID      string
	Data    []byte
}

// Index is the Raft index of the command being applied.
func (t *Tx) Index() uint64 { return t.index }

// Clock is the committed clock at this command: the latest command time
// applied so far, this command's included. It never goes back, so a node
// whose clock is late cannot reopen a window that has closed (a budget
// year, a grant's end) by stamping an earlier time; it is the same on
// every node, since it is kept in the replicated state.
func (t *Tx) Clock() time.Time { return time.Unix(0, t.clock).UTC() }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	if st := t.stmts.get(t.tx, query); st != nil {
		return st.Exec(args...)
	}
	return t.tx.Exec(query, args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	if st := t.stmts.get(t.tx, query); st != nil {
		return st.Query(args...)
	}
	return t.tx.Query(query, args...)
}

// Prepare prepares a statement for repeated use in the transaction (bulk
// inserts); the caller closes it.
func (t *Tx) Prepare(query string) (*sql.Stmt, error) {
	return t.tx.Prepare(query)
}

// QueryRow runs a query that returns at most one row.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	if st := t.stmts.get(t.tx, query); st != nil {
		return st.QueryRow(args...)
	}
	return t.tx.QueryRow(query, args...)
}

// Emit leaves an event to publish once the command is committed. Events of a
// refused command are dropped with its changes.
func (t *Tx) Emit(subject string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", subject, err)
	}
	id := strconv.FormatUint(t.index, 10) + "-" + strconv.Itoa(len(t.events))
	t.events = append(t.events, Event{Subject: subject, ID: id, Data: data})
	return nil
}

// RequestCompaction asks every node, once this command commits, to compact:
// take a snapshot, drop the log it covers and truncate the WALs, so that
// rows the command deleted leave every file (erasure). Each node applies
// the command, so each node compacts.
func (t *Tx) RequestCompaction() { t.compact = true }
