package raftdata

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// A snapshot is a consistent copy of the SQLite database, framed so that a
// truncated or corrupted copy is recognised before it replaces anything:
//
//	magic "COOPSNAP" | format uint32 | applied index uint64 | size uint64
//	| size bytes of SQLite database | sha256 of everything before it
const (
	snapshotMagic  = "COOPSNAP"
	snapshotFormat = 1
	headerSize     = 8 + 4 + 8 + 8
)

// snapshot copies the database with VACUUM INTO. Raft calls it between
// applies, so the copy is exactly the state at the applied index; the copy
// has no free pages, so nothing deleted travels in it.
func (s *stateDB) snapshot() (raft.FSMSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.abandoned {
		return nil, errors.New("snapshot: the state database missed committed entries at shutdown; the next start applies them")
	}
	tmp, err := vacuumInto(s.writer, filepath.Dir(s.path), "snapshot-*.db")
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return &fsmSnapshot{path: tmp, index: s.applied.Load()}, nil
}

// vacuumInto copies the database behind db into a new file of dir, named
// after pattern (as os.CreateTemp), and returns its path. VACUUM INTO reads
// in one transaction, so the copy is a consistent state, and it writes no
// free pages, so nothing deleted travels in it.
func vacuumInto(db *sql.DB, dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	f.Close()
	os.Remove(tmp) // VACUUM INTO wants to create the file itself
	if _, err := db.Exec(`VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("copy database: %w", err)
	}
	return tmp, nil
}

type fsmSnapshot struct {
	path  string
	index uint64
}

func (f *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	err := writeSnapshot(sink, f.path, f.index)
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (f *fsmSnapshot) Release() { os.Remove(f.path) }

func writeSnapshot(w io.Writer, dbPath string, index uint64) error {
	db, err := os.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	out := io.MultiWriter(w, h)
	var hdr [headerSize]byte
	copy(hdr[:8], snapshotMagic)
	binary.BigEndian.PutUint32(hdr[8:12], snapshotFormat)
	binary.BigEndian.PutUint64(hdr[12:20], index)
	binary.BigEndian.PutUint64(hdr[20:28], uint64(st.Size()))
	if _, err := out.Write(hdr[:]); err != nil {
		return err
	}
	if n, err := io.Copy(out, db); err != nil {
		return err
	} else if n != st.Size() {
		return fmt.Errorf("database copy changed size while being written")
	}
	_, err = w.Write(h.Sum(nil))
	return err
}

// readSnapshot checks a framed snapshot from r and writes its database to
// dst. It returns the applied index the snapshot was taken at.
func readSnapshot(r io.Reader, dst string) (uint64, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(r, 1<<16)
	var hdr [headerSize]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, fmt.Errorf("truncated snapshot header: %w", err)
	}
	h.Write(hdr[:])
	if string(hdr[:8]) != snapshotMagic {
		return 0, errors.New("not a coop snapshot (bad magic)")
	}
	if v := binary.BigEndian.Uint32(hdr[8:12]); v != snapshotFormat {
		return 0, fmt.Errorf("snapshot format %d is not supported", v)
	}
	index := binary.BigEndian.Uint64(hdr[12:20])
	size := binary.BigEndian.Uint64(hdr[20:28])
	f, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(br, int64(size)))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("read snapshot body: %w", err)
	}
	if uint64(n) != size {
		return 0, fmt.Errorf("truncated snapshot: %d of %d database bytes", n, size)
	}
	var sum [sha256.Size]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return 0, fmt.Errorf("truncated snapshot: checksum missing")
	}
	if !bytes.Equal(sum[:], h.Sum(nil)) {
		return 0, errors.New("corrupt snapshot: checksum mismatch")
	}
	return index, nil
}

// restore replaces the database with a snapshot's. If the local database
// already holds that index or a later one (a restart, where raft restores
// the last snapshot before replaying the log), it is kept: it is the same
// committed history, further along. Otherwise the snapshot's pages are
// copied over the live file with SQLite's backup API, so the readers' pool
// stays open and sees the new state at once.
func (s *stateDB) restore(r io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	br := bufio.NewReaderSize(r, 1<<16)
	if hdr, err := br.Peek(headerSize); err == nil && string(hdr[:8]) == snapshotMagic {
		if index := binary.BigEndian.Uint64(hdr[12:20]); index <= s.applied.Load() {
			s.logger.Info("snapshot not newer than local state, keeping local state", "snapshot_index", index, "applied_index", s.applied.Load())
			return nil
		}
	}
	tmp := s.path + ".restore"
	defer os.Remove(tmp)
	index, err := readSnapshot(br, tmp)
	if err != nil {
		return err
	}
	if err := checkDatabase(tmp); err != nil {
		return err
	}
	err = copyDatabase(s.writer, tmp)
	s.registry.restored() // even a failed copy may have changed pages
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if err := s.registry.migrate(context.Background(), s.writer); err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	got, err := readAppliedIndex(s.writer)
	if err != nil {
		return err
	}
	if got != index {
		return fmt.Errorf("restore snapshot: database says index %d, header says %d", got, index)
	}
	if _, err := s.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		s.logger.Warn("checkpoint after restore", "error", err)
	}
	s.setApplied(index)
	s.restores.Add(1)
	s.logger.Info("restored snapshot", "index", index)
	// The log this node kept from before may hold rows the snapshot no
	// longer has (an erasure it did not apply itself): compact it away.
	s.requestCompaction()
	return nil
}

// checkDatabase opens a database file and runs SQLite's quick_check.
func checkDatabase(path string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("snapshot database unreadable: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("snapshot database damaged: %s", res)
	}
	return nil
}

// copyDatabase overwrites the database behind dst with the file at src.
func copyDatabase(dst *sql.DB, src string) error {
	srcDB, err := sql.Open("sqlite3", "file:"+src+"?mode=ro")
	if err != nil {
		return err
	}
	defer srcDB.Close()
	ctx := context.Background()
	dc, err := dst.Conn(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	sc, err := srcDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	return dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			if _, err := b.Step(-1); err != nil {
				b.Finish()
				return err
			}
			return b.Finish()
		})
	})
}

// verifySnapshots opens every snapshot in store and checks it, so that a
// damaged file stops the node with its path named instead of being skipped.
func verifySnapshots(store *raft.FileSnapshotStore, dir string) error {
	metas, err := store.List()
	if err != nil {
		return fmt.Errorf("list snapshots in %s: %w", dir, err)
	}
	for _, m := range metas {
		path := filepath.Join(dir, m.ID)
		_, rc, err := store.Open(m.ID)
		if err != nil {
			return fmt.Errorf("snapshot %s is damaged: %w", path, err)
		}
		tmp, err := os.CreateTemp("", "coop-verify-*.db")
		if err != nil {
			rc.Close()
			return err
		}
		tmp.Close()
		_, err = readSnapshot(rc, tmp.Name())
		rc.Close()
		if err == nil {
			err = checkDatabase(tmp.Name())
		}
		os.Remove(tmp.Name())
		if err != nil {
			return fmt.Errorf("snapshot %s is damaged: %w", path, err)
		}
	}
	return nil
}
