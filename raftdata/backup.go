package raftdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
)

// Backups and restores.
//
// A backup is the node's database copied with VACUUM INTO on a read-only
// connection, after a linearizable Sync: it holds every write acknowledged
// before the backup began, and it is one consistent state (one read
// transaction), taken without stopping the FSM. It is framed like a Raft
// snapshot (snapshot.go) and sealed (backupcrypt.go).
//
// A restore writes that database as the state.db of an empty directory,
// with a marker file. The first Open of the directory (with Bootstrap)
// turns it into the Raft snapshot of a new one-node cluster, at the index
// the backup was taken at: the log goes on from there, so applied indexes,
// command ids and event ids stay consistent, and a node that joins later
// receives the state by snapshot install.

// restoreMarker names the file PrepareRestore leaves in a directory whose
// state.db is a restored backup not yet adopted by Raft.
const restoreMarker = "restore-pending"

// Backup is a consistent copy of a node's state, waiting in a temporary
// file of the data directory until it is written out and closed.
type Backup struct {
	// Index is the applied index of the copy: it holds every command up
	// to this index and none after it.
	Index uint64
	path  string
	size  int64 // framed snapshot: header, database, checksum
}

// Backup copies the state, after making sure this node's copy holds every
// write acknowledged before the call. The caller writes it out
// (WriteEncrypted) and closes it.
func (s *Store) Backup(ctx context.Context) (*Backup, error) {
	if err := s.Sync(ctx); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// A connection of its own: the readers' pool is _query_only, which
	// SQLite takes to refuse VACUUM INTO; mode=ro reads the same WAL.
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "5000")
	db, err := sql.Open("sqlite3", "file:"+s.state.path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	path, err := vacuumInto(db, s.cfg.Dir, "backup-*.db")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	b := &Backup{path: path}
	if b.Index, err = readIndexOf(path); err != nil {
		b.Close()
		return nil, fmt.Errorf("backup: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("backup: %w", err)
	}
	b.size = headerSize + st.Size() + 32
	s.logger.Info("backup copied", "index", b.Index, "bytes", st.Size())
	return b, nil
}

// readIndexOf reads the applied index recorded in a database file.
func readIndexOf(path string) (uint64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return readAppliedIndex(db)
}

// EncryptedSize is the number of bytes WriteEncrypted writes.
func (b *Backup) EncryptedSize() int64 { return EncryptedBackupSize(b.size) }

// WriteEncrypted writes the backup file, sealed under fk, to w.
func (b *Backup) WriteEncrypted(w io.Writer, fk BackupFileKey) error {
	return b.write(w, fk, operatorHeader(fk, b.Index, b.size))
}

// write writes the file: header, then the framed snapshot sealed under fk.
func (b *Backup) write(w io.Writer, fk BackupFileKey, header []byte) error {
	bw, err := startBackupWriter(w, fk, header)
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := writeSnapshot(bw, b.path, b.Index); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := bw.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return nil
}

// Close deletes the temporary copy.
func (b *Backup) Close() error {
	if err := os.Remove(b.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// PrepareRestore makes dir (a store's Dir, which must not exist yet or be
// empty) hold the state read from backup, the plaintext of a backup file
// (OpenBackup). It checks the framing, the checksum and the database, and
// forgets where the old cluster's nodes were. Opened with Bootstrap, dir
// then starts a new one-node cluster serving that state; other nodes join
// it. It returns the index the backup was taken at. On error, dir may
// hold partial files: restore into a scratch directory and move it.
func PrepareRestore(dir string, backup io.Reader) (uint64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	if entries, err := os.ReadDir(dir); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	} else if len(entries) > 0 {
		return 0, fmt.Errorf("restore: %s is not empty", dir)
	}
	statePath := filepath.Join(dir, "state.db")
	index, err := readSnapshot(backup, statePath)
	if err != nil {
		return 0, fmt.Errorf("the backup's content is damaged: %w", err)
	}
	// The last chunk must authenticate too: read the stream to its end.
	if n, err := io.Copy(io.Discard, backup); err != nil {
		return 0, err
	} else if n > 0 {
		return 0, errors.New("the backup's content is damaged: data follows the database")
	}
	if err := checkDatabase(statePath); err != nil {
		return 0, err
	}
	if err := resetClusterState(statePath, index); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	if index == 0 {
		return 0, errors.New("the backup holds no applied command: nothing to restore")
	}
	marker := fmt.Sprintf("state.db is a backup taken at index %d; the next start makes it a new cluster's snapshot\n", index)
	if err := os.WriteFile(filepath.Join(dir, restoreMarker), []byte(marker), 0o600); err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	return index, nil
}

// resetClusterState drops what the database knows of the old cluster (its
// nodes' addresses) and checks the applied index. The applied index and the
// remembered command ids stay: the new cluster's log goes on after them.
func resetClusterState(path string, index uint64) error {
	db, err := openWriter(path, "FULL")
	if err != nil {
		return err
	}
	defer db.Close()
	got, err := readAppliedIndex(db)
	if err != nil {
		return err
	}
	if got != index {
		return fmt.Errorf("the database says index %d, its frame says %d", got, index)
	}
	if _, err := db.Exec(`DELETE FROM raftdata_nodes`); err != nil {
		return fmt.Errorf("forget the old cluster's nodes: %w", err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// adoptRestore runs in Open, before Raft starts. In a directory prepared by
// PrepareRestore and holding no Raft state yet, it writes the restored
// database as a Raft snapshot at its applied index, whose configuration is
// this node alone: Raft starts from it as a one-node cluster. It reports
// whether it did.
func (s *Store) adoptRestore(snaps raft.SnapshotStore, hasState bool) (bool, error) {
	marker := filepath.Join(s.cfg.Dir, restoreMarker)
	if _, err := os.Stat(marker); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("restored state: %w", err)
	}
	if hasState {
		// Adopted already; the marker outlived a crash right after.
		return false, os.Remove(marker)
	}
	if !s.cfg.Bootstrap {
		return false, errors.New("this data directory holds a restored backup: start it without --join, as the first node of a new cluster; other nodes join it")
	}
	index := s.state.appliedIndex()
	if index == 0 {
		return false, errors.New("the restored state has no applied index")
	}
	snap, err := s.state.snapshot()
	if err != nil {
		return false, fmt.Errorf("restored state: %w", err)
	}
	defer snap.Release()
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(s.cfg.NodeID), Address: s.trans.LocalAddr()}}}
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, 1, conf, index, s.trans)
	if err != nil {
		return false, fmt.Errorf("restored state: %w", err)
	}
	if err := snap.Persist(sink); err != nil {
		return false, fmt.Errorf("restored state: %w", err)
	}
	if err := os.Remove(marker); err != nil {
		return false, fmt.Errorf("restored state: %w", err)
	}
	s.logger.Info("restored backup adopted: new one-node cluster", "index", index)
	return true, nil
}

// removeStaleCopies deletes the temporary database copies a crash left in
// dir (a backup or a snapshot being written): they hold plaintext data,
// and an erasure would not reach them. Open runs it before anything else.
func removeStaleCopies(dir string) error {
	for _, pattern := range []string{"backup-*.db", "snapshot-*.db"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				return fmt.Errorf("remove a stale copy: %w", err)
			}
		}
	}
	return nil
}
