package raftdata

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// dedupeWindow is how long the FSM remembers the id of an applied command,
// so that a client retrying after a leader change gets the first result
// instead of applying the command twice. Retries happen within a request's
// deadline (seconds); the window is generous and pruning is deterministic
// (it uses command times, not the clock).
const dedupeWindow = 15 * time.Minute

// pruneEvery is how often (in Raft indexes) old command ids are pruned.
const pruneEvery = 1024

// stateDB is the replicated SQLite database: one writer (the FSM) and a pool
// of query-only readers.
type stateDB struct {
	path     string
	writer   *sql.DB
	readers  *sql.DB
	registry *Registry
	stmts    *stmtCache
	logger   *slog.Logger
	publish  atomic.Pointer[func([]Event)]
	// compactCh is signalled after a commit that asked for compaction, or
	// after a snapshot replaced the state.
	compactCh chan struct{}

	// mu serialises the writer between apply, snapshot and restore (raft
	// already calls them from one goroutine; compaction calls in too).
	mu      sync.Mutex
	applied atomic.Uint64
	// counters for /metrics
	batches, commands, refused atomic.Uint64
	restores                   atomic.Uint64 // snapshots installed over the local state

	// fault is set while SQLite cannot write (applyBatch retries);
	// stopRetries, closed when the node closes, ends the retries;
	// abandoned (under mu) says a batch was left unapplied at shutdown.
	fault       storageFault
	stopRetries <-chan struct{}
	abandoned   bool
	// batchLatency times each committed batch (SQLite transaction).
	batchLatency latency
	// appliedCh is closed and replaced each time applied grows, so waiters
	// can block until an index is reached.
	waitMu    sync.Mutex
	appliedCh chan struct{}
}

func openStateDB(path string, reg *Registry, logger *slog.Logger, readers int) (*stateDB, error) {
	w, err := openWriter(path, "NORMAL")
	if err != nil {
		return nil, err
	}
	if err := reg.migrate(context.Background(), w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := openReaders(path, readers)
	if err != nil {
		w.Close()
		return nil, err
	}
	s := &stateDB{path: path, writer: w, readers: r, registry: reg, stmts: newStmtCache(w), logger: logger, appliedCh: make(chan struct{}), compactCh: make(chan struct{}, 1)}
	idx, err := readAppliedIndex(w)
	if err != nil {
		s.close()
		return nil, err
	}
	s.applied.Store(idx)
	return s, nil
}

func (s *stateDB) close() error {
	s.stmts.close()
	return errors.Join(s.readers.Close(), s.writer.Close())
}

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

func readAppliedIndex(q queryer) (uint64, error) { return readMeta(q, "applied_index") }

// readMeta reads one of raftdata's counters kept in the state (0 if never
// written).
func readMeta(q queryer, key string) (uint64, error) {
	var v uint64
	err := q.QueryRow(`SELECT value FROM raftdata_meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// appliedIndex is the index of the last log entry whose effects are
// committed in SQLite.
func (s *stateDB) appliedIndex() uint64 { return s.applied.Load() }

func (s *stateDB) setApplied(idx uint64) {
	s.applied.Store(idx)
	s.waitMu.Lock()
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.waitMu.Unlock()
}

// waitApplied blocks until the local state includes index idx.
func (s *stateDB) waitApplied(ctx context.Context, idx uint64) error {
	for {
		s.waitMu.Lock()
		ch := s.appliedCh
		s.waitMu.Unlock()
		if s.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Errorf(CodeUnavailable, "this node has not caught up with index %d (at %d)", idx, s.applied.Load())
		}
	}
}

// applyBatch applies committed log entries in one SQLite transaction, each
// command in its own savepoint so that a refused command leaves its
// neighbours intact. The applied index is written in the same transaction,
// so entries replayed after a restart are recognised and skipped.
//
// If SQLite cannot write (a full disk, an I/O error), the transaction is
// rolled back whole and the batch tried again, with backoff, until it
// commits: hashicorp/raft cannot fail an entry, and skipping or half
// applying one would make this node diverge. Meanwhile the node reports
// the fault (Status, /readyz). A log entry that does not decode panics:
// the log itself is corrupt.
func (s *stateDB) applyBatch(logs []*raft.Log) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	backoff := applyRetryMin
	for {
		start := time.Now()
		out, err := s.tryApplyBatch(logs)
		if err == nil {
			if out.last != 0 {
				s.batchLatency.since(start)
			}
			if s.fault.recover() {
				s.logger.Info("the state database is writable again", "index", logs[len(logs)-1].Index)
			}
			s.finishBatch(out)
			return out.results
		}
		// The transaction is rolled back: memory the handlers changed
		// for it is wrong now, and the retry must start from the tables.
		s.registry.dropMirrors()
		if s.fault.fail(err) {
			s.logger.Error("cannot write the state database: retrying the batch until it commits", "first_index", logs[0].Index, "error", err)
		}
		select {
		case <-s.stopRetries:
			// The node is closing. The batch stays unapplied in SQLite and
			// in the log; the next start applies it. No snapshot may be
			// taken now: raft would believe it covers these entries.
			s.abandoned = true
			results := make([]any, len(logs))
			for i := range results {
				results[i] = Result{Err: Errorf(CodeUnavailable, "this node could not write its state and is shutting down")}
			}
			return results
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, applyRetryMax)
	}
}

// The pause between two attempts at a batch SQLite refused to write.
const (
	applyRetryMin = 10 * time.Millisecond
	applyRetryMax = time.Second
)

// batchOutcome is what a committed batch leaves to do and to answer.
type batchOutcome struct {
	results           []any
	last              uint64 // 0: nothing was written (a replay)
	events            []Event
	compact           bool
	commands, refused uint64
}

// tryApplyBatch runs one attempt at a batch. An error is a failure of
// SQLite or of the disk, after which nothing of the batch is committed.
func (s *stateDB) tryApplyBatch(logs []*raft.Log) (out batchOutcome, err error) {
	out.results = make([]any, len(logs))
	applied := s.applied.Load()
	last := logs[len(logs)-1].Index
	if last <= applied {
		for i, l := range logs {
			out.results[i] = s.replayedResult(s.writer, l)
		}
		return out, nil
	}

	sqlTx, err := s.writer.Begin()
	if err != nil {
		return out, fmt.Errorf("begin apply transaction: %w", err)
	}
	defer func() {
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	pruned, err := readMeta(sqlTx, "pruned_epoch")
	if err != nil {
		return out, err
	}
	prunedBefore := pruned
	clock, err := readMeta(sqlTx, "clock")
	if err != nil {
		return out, err
	}
	clockBefore := clock
	for i, l := range logs {
		if l.Index <= applied {
			out.results[i] = s.replayedResult(sqlTx, l)
			continue
		}
		if l.Type != raft.LogCommand {
			continue
		}
		cmd, err := decodeCommand(l.Data)
		if err != nil {
			panic(fmt.Sprintf("raftdata: log entry %d cannot be applied: %v", l.Index, err))
		}
		// Old command ids go at the first command of each stretch of
		// pruneEvery indexes, by that command's time: the same command on
		// every node, whatever the batches a node cut the log into.
		if epoch := l.Index / pruneEvery; epoch > pruned {
			if _, err := sqlTx.Exec(`DELETE FROM raftdata_commands WHERE time < ?`, cmd.Time.Add(-dedupeWindow).UnixNano()); err != nil {
				return out, fmt.Errorf("prune command ids: %w", err)
			}
			pruned = epoch
		}
		// The committed clock: the latest command time applied so far. It
		// never goes back, whatever the clock of the node that stamped a
		// command (Tx.Clock).
		if t := cmd.Time.UnixNano(); t > 0 && uint64(t) > clock {
			clock = uint64(t)
		}
		res, tx, err := s.applyOne(sqlTx, l.Index, cmd, int64(clock))
		if err != nil {
			return out, fmt.Errorf("apply entry %d (%s): %w", l.Index, cmd.Type, err)
		}
		out.results[i] = res
		out.commands++
		if res.Err != nil {
			out.refused++
		}
		if tx != nil {
			out.events = append(out.events, tx.events...)
			out.compact = out.compact || tx.compact
		}
	}
	if _, err := sqlTx.Exec(`INSERT INTO raftdata_meta(key, value) VALUES('applied_index', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, last); err != nil {
		return out, fmt.Errorf("record applied index: %w", err)
	}
	if pruned != prunedBefore {
		if _, err := sqlTx.Exec(`INSERT INTO raftdata_meta(key, value) VALUES('pruned_epoch', ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, pruned); err != nil {
			return out, fmt.Errorf("record pruning: %w", err)
		}
	}
	if clock != clockBefore {
		if _, err := sqlTx.Exec(`INSERT INTO raftdata_meta(key, value) VALUES('clock', ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, clock); err != nil {
			return out, fmt.Errorf("record the committed clock: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return out, fmt.Errorf("commit apply transaction: %w", err)
	}
	out.last = last
	return out, nil
}

// finishBatch makes a committed batch visible: applied index, counters,
// compaction, events.
func (s *stateDB) finishBatch(out batchOutcome) {
	if out.last == 0 {
		return
	}
	s.stmts.preparePending()
	s.setApplied(out.last)
	s.batches.Add(1)
	s.commands.Add(out.commands)
	s.refused.Add(out.refused)
	if out.compact {
		s.requestCompaction()
	}
	if publish := s.publish.Load(); len(out.events) > 0 && publish != nil {
		(*publish)(out.events)
	}
}

// requestCompaction signals the store's compactor without blocking.
func (s *stateDB) requestCompaction() {
	select {
	case s.compactCh <- struct{}{}:
	default:
	}
}

// applyOne runs one command in a savepoint and records its id and result.
// The returned Tx carries the command's events and requests; it is nil when
// the command was refused or had already been applied. An error is a
// failure of SQLite or of the disk: the caller rolls the batch back.
func (s *stateDB) applyOne(sqlTx *sql.Tx, index uint64, cmd Command, clock int64) (Result, *Tx, error) {
	tx := &Tx{tx: sqlTx, stmts: s.stmts, index: index, clock: clock}
	// Claim the id first: a command already applied (a client's retry) is
	// recognised by the conflict, and answered with its recorded result.
	claim, err := tx.Exec(`INSERT INTO raftdata_commands(id, idx, time) VALUES(?,?,?) ON CONFLICT(id) DO NOTHING`,
		cmd.ID, index, cmd.Time.UnixNano())
	if err != nil {
		return Result{}, nil, fmt.Errorf("record command %s: %w", cmd.ID, err)
	}
	if n, _ := claim.RowsAffected(); n == 0 {
		var prior []byte
		if err := tx.QueryRow(`SELECT result FROM raftdata_commands WHERE id = ?`, cmd.ID).Scan(&prior); err != nil {
			return Result{}, nil, fmt.Errorf("look up command %s: %w", cmd.ID, err)
		}
		return decodeResult(prior), nil, nil
	}

	if _, err := tx.Exec(`SAVEPOINT cmd`); err != nil {
		return Result{}, nil, fmt.Errorf("savepoint: %w", err)
	}
	value, err := s.registry.dispatch(tx, cmd)
	if err != nil && isStorageError(err) {
		// The disk, not the command: the whole batch is tried again.
		return Result{}, nil, err
	}
	var res Result
	if err != nil {
		if _, rbErr := tx.Exec(`ROLLBACK TO cmd`); rbErr != nil {
			return Result{}, nil, fmt.Errorf("rollback to savepoint: %w", rbErr)
		}
		var e *Error
		if errors.As(err, &e) {
			res.Err = e
		} else {
			// Not a refusal but a fault in a handler (a SQL error): the
			// same on every node, so it is recorded like a refusal.
			s.logger.Error("command handler failed", "type", cmd.Type, "index", index, "error", err)
			res.Err = Errorf(CodeInternal, "the command could not be applied")
		}
	} else {
		res.Value = value
	}
	if _, err := tx.Exec(`RELEASE cmd`); err != nil {
		return Result{}, nil, fmt.Errorf("release savepoint: %w", err)
	}
	if res.Err != nil || len(res.Value) > 0 {
		encoded, _ := json.Marshal(res)
		if _, err := tx.Exec(`UPDATE raftdata_commands SET result = ? WHERE id = ?`, encoded, cmd.ID); err != nil {
			return Result{}, nil, fmt.Errorf("record result of %s: %w", cmd.ID, err)
		}
	}
	if res.Err != nil {
		return res, nil, nil // a refusal's events and requests are dropped with its changes
	}
	return res, tx, nil
}

// replayedResult answers for an entry the database already holds: the
// result recorded when it was first applied, if still remembered.
func (s *stateDB) replayedResult(q queryer, l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	cmd, err := decodeCommand(l.Data)
	if err != nil {
		panic(fmt.Sprintf("raftdata: log entry %d cannot be applied: %v", l.Index, err))
	}
	var prior []byte
	if err := q.QueryRow(`SELECT result FROM raftdata_commands WHERE id = ?`, cmd.ID).Scan(&prior); err != nil {
		return Result{}
	}
	return decodeResult(prior)
}

// decodeResult reads a recorded result; none recorded means the command
// succeeded without a value.
func decodeResult(raw []byte) Result {
	var r Result
	if len(raw) == 0 {
		return r
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Result{Err: Errorf(CodeInternal, "stored result unreadable")}
	}
	return r
}
