package raftdata

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// StateHash digests every table of the local state, row by row, in a fixed
// order. Two nodes that applied the same log up to the same index give the
// same hash; tests and operators compare it across nodes.
func (s *Store) StateHash() (string, error) {
	return s.hashTables(func(string) bool { return true })
}

// DataHash is StateHash over the tables of the domain packages only,
// leaving out raftdata's own (applied index, command ids, node addresses):
// a cluster restored from a backup has the DataHash of the cluster the
// backup was taken from, at the backup's index.
func (s *Store) DataHash() (string, error) {
	return s.hashTables(func(table string) bool { return !strings.HasPrefix(table, "raftdata_") })
}

// hashTables digests the tables that keep accepts.
func (s *Store) hashTables(keep func(table string) bool) (string, error) {
	db := s.state.readers
	conn, err := db.Conn(context.Background())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// One read transaction: every table is read at the same index.
	tx, err := conn.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		if keep(n) {
			tables = append(tables, n)
		}
	}
	rows.Close()
	h := sha256.New()
	for _, t := range tables {
		r, err := tx.Query(`SELECT * FROM "` + strings.ReplaceAll(t, `"`, `""`) + `"`)
		if err != nil {
			return "", fmt.Errorf("hash table %s: %w", t, err)
		}
		cols, _ := r.Columns()
		var lines []string
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return "", err
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		r.Close()
		sort.Strings(lines)
		fmt.Fprintf(h, "table %s %d\n", t, len(lines))
		for _, l := range lines {
			h.Write([]byte(l + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
