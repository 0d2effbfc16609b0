package main

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// A data directory from before the records tables per pool (one shared
// pooling_records table) is upgraded when the node starts: every record is
// in its pool's table again, the shared table is gone, and the members see
// exactly the records they wrote.
func TestNode_UpgradesRecordsFromTheSharedTable(t *testing.T) {
	cfg := testConfig(t, "n1")
	n := startNode(t, cfg)
	waitReady(t, n)
	writers := newMeterWriters(t, n.URL(), 2, []string{n.URL()})
	for _, w := range writers {
		for seq := range 5 {
			if err := w.write(seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// Back to the layout of the earlier build.
	db, err := sql.Open("sqlite3", filepath.Join(cfg.Data, "raft", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE pooling_records (id TEXT PRIMARY KEY, pool TEXT NOT NULL, member_key TEXT NOT NULL,
			data TEXT NOT NULL, contributed_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`,
		`INSERT INTO pooling_records SELECT record_id, 'meter', member_key, data, contributed_at, updated_at FROM pooling_records_meter`,
		`DROP TABLE pooling_records_meter`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	again := startNode(t, cfg)
	waitReady(t, again)
	checkMeterRecords(t, again.URL(), writers)
	var tables int
	if err := again.Store().DB().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('pooling_records', 'pooling_records_meter')`).Scan(&tables); err != nil || tables != 1 {
		t.Fatalf("%d of the shared and the pool's tables (%v), want the pool's only", tables, err)
	}
	writers[0].urls = []string{again.URL()}     // a new port
	if err := writers[0].write(5); err != nil { // and contributions go on
		t.Fatal(err)
	}
	checkMeterRecords(t, again.URL(), writers)
}
