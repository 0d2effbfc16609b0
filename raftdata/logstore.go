package raftdata

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// logStore keeps the Raft log and Raft's stable values (term, vote) in a
// SQLite file. It is chosen over raft-wal and bbolt because erasure must
// reach the log: with secure_delete on, DeleteRange zeroes the bytes of the
// removed entries, and a truncating checkpoint empties the WAL, so a
// compaction leaves no copy of an erased member's commands. One StoreLogs
// call is one transaction: one fsync for a whole batch of entries
// (synchronous=FULL: an acknowledged entry survives a power cut).
type logStore struct {
	db *sql.DB
	// fault is set while writes fail (a full disk): the entries are
	// refused, raft answers the leader so, and the leader sends them again.
	fault storageFault
}

var (
	_ raft.LogStore    = (*logStore)(nil)
	_ raft.StableStore = (*logStore)(nil)
)

// errKeyNotFound must read "not found": hashicorp/raft compares the text.
var errKeyNotFound = errors.New("not found")

func openLogStore(path string) (*logStore, error) {
	db, err := openWriter(path, "FULL")
	if err != nil {
		return nil, err
	}
	_, err = db.Exec(`
CREATE TABLE IF NOT EXISTS logs (
	idx         INTEGER PRIMARY KEY,
	term        INTEGER NOT NULL,
	type        INTEGER NOT NULL,
	data        BLOB,
	extensions  BLOB,
	appended_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stable (
	key   BLOB PRIMARY KEY,
	value BLOB NOT NULL
);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create log tables in %s: %w", path, err)
	}
	return &logStore{db: db}, nil
}

func (s *logStore) Close() error { return s.db.Close() }

func (s *logStore) FirstIndex() (uint64, error) {
	var idx sql.NullInt64
	if err := s.db.QueryRow(`SELECT MIN(idx) FROM logs`).Scan(&idx); err != nil {
		return 0, fmt.Errorf("first log index: %w", err)
	}
	return uint64(idx.Int64), nil
}

func (s *logStore) LastIndex() (uint64, error) {
	var idx sql.NullInt64
	if err := s.db.QueryRow(`SELECT MAX(idx) FROM logs`).Scan(&idx); err != nil {
		return 0, fmt.Errorf("last log index: %w", err)
	}
	return uint64(idx.Int64), nil
}

func (s *logStore) GetLog(index uint64, l *raft.Log) error {
	var appended int64
	var typ uint8
	err := s.db.QueryRow(`SELECT term, type, data, extensions, appended_at FROM logs WHERE idx = ?`, index).
		Scan(&l.Term, &typ, &l.Data, &l.Extensions, &appended)
	if errors.Is(err, sql.ErrNoRows) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return fmt.Errorf("get log %d: %w", index, err)
	}
	l.Index = index
	l.Type = raft.LogType(typ)
	if appended != 0 {
		l.AppendedAt = time.Unix(0, appended)
	} else {
		l.AppendedAt = time.Time{}
	}
	return nil
}

func (s *logStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s *logStore) StoreLogs(logs []*raft.Log) error {
	return s.track(s.storeLogs(logs))
}

// track records the outcome of a write in s.fault.
func (s *logStore) track(err error) error {
	if err != nil {
		s.fault.fail(err)
	} else {
		s.fault.recover()
	}
	return err
}

func (s *logStore) storeLogs(logs []*raft.Log) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store logs: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT OR REPLACE INTO logs(idx, term, type, data, extensions, appended_at) VALUES(?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("store logs: %w", err)
	}
	defer stmt.Close()
	for _, l := range logs {
		var appended int64
		if !l.AppendedAt.IsZero() {
			appended = l.AppendedAt.UnixNano()
		}
		if _, err := stmt.Exec(l.Index, l.Term, uint8(l.Type), l.Data, l.Extensions, appended); err != nil {
			return fmt.Errorf("store log %d: %w", l.Index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store logs: %w", err)
	}
	return nil
}

// DeleteRange removes entries min..max inclusive. secure_delete zeroes them
// in the database file; truncateWAL must follow for the WAL's copies.
func (s *logStore) DeleteRange(min, max uint64) error {
	if _, err := s.db.Exec(`DELETE FROM logs WHERE idx >= ? AND idx <= ?`, min, max); err != nil {
		return s.track(fmt.Errorf("delete logs %d..%d: %w", min, max, err))
	}
	return nil
}

// truncateWAL checkpoints the WAL into the database file and truncates it to
// zero bytes, so that no old page image (of a deleted entry) stays in it.
func (s *logStore) truncateWAL() error {
	var busy, logPages, done int
	if err := s.db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("checkpoint raft log: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpoint raft log: database busy")
	}
	return nil
}

func (s *logStore) Set(key, val []byte) error {
	if _, err := s.db.Exec(`INSERT OR REPLACE INTO stable(key, value) VALUES(?,?)`, key, val); err != nil {
		return s.track(fmt.Errorf("set %s: %w", key, err))
	}
	return nil
}

func (s *logStore) Get(key []byte) ([]byte, error) {
	var v []byte
	err := s.db.QueryRow(`SELECT value FROM stable WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errKeyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return v, nil
}

func (s *logStore) SetUint64(key []byte, val uint64) error {
	if _, err := s.db.Exec(`INSERT OR REPLACE INTO stable(key, value) VALUES(?,?)`, key, int64(val)); err != nil {
		return s.track(fmt.Errorf("set %s: %w", key, err))
	}
	return nil
}

func (s *logStore) GetUint64(key []byte) (uint64, error) {
	var v int64
	err := s.db.QueryRow(`SELECT value FROM stable WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errKeyNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", key, err)
	}
	return uint64(v), nil
}
