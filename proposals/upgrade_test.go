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
