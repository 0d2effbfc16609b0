package raftdata

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// cmdBackupRecorded notes, through the log, that a backup was sent in
// full: every node then tells operators when the last one was taken,
// whichever node served it.
const cmdBackupRecorded = "raftdata.backup.recorded"

// BackupRecorded is the payload of cmdBackupRecorded (version 1): the
// index the backup was taken at, and to whom it was sealed.
type BackupRecorded struct {
	Index    uint64 `json:"index"`
	SealedTo string `json:"sealed_to"`
}

// BackupRecord is the last backup sent in full: when (the command's
// time), at which index.
type BackupRecord struct {
	At    time.Time `json:"at"`
	Index uint64    `json:"index"`
}

func applyBackupRecorded(tx *Tx, cmd Command) (any, error) {
	var p BackupRecorded
	if err := cmd.Decode(&p); err != nil {
		return nil, Malformed("%v", err)
	}
	if p.Index == 0 {
		return nil, Malformed("a backup record needs the index of the backup")
	}
	for key, v := range map[string]int64{"last_backup_at": cmd.Time.UnixNano(), "last_backup_index": int64(p.Index)} {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO raftdata_meta(key, value) VALUES(?, ?)`, key, v); err != nil {
			return nil, fmt.Errorf("record the backup: %w", err)
		}
	}
	return nil, nil
}

// RecordBackup notes that the backup taken at index was sent in full.
func (s *Store) RecordBackup(ctx context.Context, index uint64, sealedTo string) error {
	_, err := s.Apply(ctx, cmdBackupRecorded, BackupRecorded{Index: index, SealedTo: sealedTo})
	return err
}

// LastBackup is the last backup recorded, from the local copy; ok is
// false when none was.
func (s *Store) LastBackup() (rec BackupRecord, ok bool, err error) {
	var at, index sql.NullInt64
	err = s.state.readers.QueryRow(`SELECT
		(SELECT value FROM raftdata_meta WHERE key = 'last_backup_at'),
		(SELECT value FROM raftdata_meta WHERE key = 'last_backup_index')`).Scan(&at, &index)
	if err != nil {
		return rec, false, fmt.Errorf("read the last backup: %w", err)
	}
	if !at.Valid || !index.Valid {
		return rec, false, nil
	}
	return BackupRecord{At: time.Unix(0, at.Int64).UTC(), Index: uint64(index.Int64)}, true, nil
}
