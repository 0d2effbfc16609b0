package proposals

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// A data directory from before participation-only tallies keeps each
// proposal's participation (yes + no + abstain), and a second run changes
// nothing.
func TestUpgradeTalliesKeepsParticipation(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE proposals_tallies (proposal TEXT PRIMARY KEY, yes INTEGER NOT NULL DEFAULT 0,
		no INTEGER NOT NULL DEFAULT 0, abstain INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
		INSERT INTO proposals_tallies VALUES ('a', 3, 2, 1), ('b', 0, 0, 4)`); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := upgradeTallies(tx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		rows, err := db.Query(`SELECT proposal, participation FROM proposals_tallies`)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for rows.Next() {
			var id string
			var n int
			rows.Scan(&id, &n)
			got[id] = n
		}
		rows.Close()
		if len(got) != 2 || got["a"] != 6 || got["b"] != 4 {
			t.Fatalf("run %d: participation %v, want a=6 b=4", run, got)
		}
	}
}

// A data directory from before proxies, colleges and secret ballots: its
// tables gain their columns (twice changes nothing), and a vote closed
// then reads as it was, with one college, no proxies and no extras.
func TestUpgradeBallotsReadsOlderVotes(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE proposals (id TEXT PRIMARY KEY, requester TEXT NOT NULL, kind TEXT NOT NULL, pool TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', rule TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, opened_at INTEGER,
		deadline INTEGER, closed_at INTEGER, electorate INTEGER NOT NULL DEFAULT 0, yes INTEGER NOT NULL DEFAULT 0, no INTEGER NOT NULL DEFAULT 0,
		abstain INTEGER NOT NULL DEFAULT 0, definition TEXT NOT NULL);
		CREATE TABLE proposals_electorate (proposal TEXT NOT NULL, voter_key TEXT NOT NULL, account_id TEXT, PRIMARY KEY (proposal, voter_key)) WITHOUT ROWID;
		CREATE TABLE proposals_ballots (proposal TEXT NOT NULL, voter_key TEXT NOT NULL, choice TEXT NOT NULL, receipt_hash TEXT NOT NULL,
			cast_at INTEGER NOT NULL, PRIMARY KEY (proposal, voter_key)) WITHOUT ROWID;
		CREATE TABLE proposals_tallies (proposal TEXT PRIMARY KEY, participation INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
		INSERT INTO proposals VALUES ('p1', 'r', 'amendment', '', 'passed', 'approved', '{"min_voting_minutes":1,"max_voting_minutes":60,"quorum_percent":25,"approval_percent":66,"early_close":"all_voted"}',
			1, 2, 3, 4, 3, 3, 0, 0, '{"title":"t","purpose":"p","kind":"amendment","voting_minutes":10}');
		INSERT INTO proposals_ballots VALUES ('p1', 'k1', 'yes', 'h1', 3)`); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := upgradeBallots(tx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	row, err := loadRow(db, "p1")
	if err != nil {
		t.Fatal(err)
	}
	p := row.public()
	if p.Secret || p.ProxyCap != 0 || p.Colleges != nil || p.Tally == nil || p.Tally.Yes != 3 || p.Tally.Proxied != 0 || p.Tally.InScope != nil {
		t.Fatalf("an older vote reads %+v, tally %+v", p, p.Tally)
	}
	var holder string
	if err := db.QueryRow(`SELECT holder_receipt_hash FROM proposals_ballots WHERE voter_key = 'k1'`).Scan(&holder); err != nil || holder != "" {
		t.Fatalf("an older ballot: %q %v", holder, err)
	}
}
