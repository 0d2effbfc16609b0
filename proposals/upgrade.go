package proposals

import (
	"database/sql"
	"fmt"

	"coop/raftdata"
)

// upgradeTallies rebuilds proposals_tallies of a data directory from
// before it kept participation only (yes, no and abstain columns, a
// running count of each choice): one row per proposal with the number of
// ballots. It does nothing once done. Every node runs it at open and after
// a snapshot restore, on the same state, so every node ends the same.
func upgradeTallies(tx *sql.Tx) error {
	var old int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('proposals_tallies') WHERE name = 'yes'`).Scan(&old); err != nil {
		return err
	}
	if old == 0 {
		return nil
	}
	for _, q := range []string{
		`CREATE TABLE proposals_tallies_upgraded (proposal TEXT PRIMARY KEY, participation INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
		`INSERT INTO proposals_tallies_upgraded(proposal, participation) SELECT proposal, yes + no + abstain FROM proposals_tallies`,
		`DROP TABLE proposals_tallies`,
		`ALTER TABLE proposals_tallies_upgraded RENAME TO proposals_tallies`,
	} {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("upgrade proposals_tallies: %w", err)
		}
	}
	return nil
}

// upgradePrivacyColumns adds the columns of issue #13 to the tables of a
// data directory from before them (consent sets, noisy sizes, deletion of
// reuse results, retention of grants). Each is added once.
func upgradePrivacyColumns(tx *sql.Tx) error {
	for _, c := range []struct{ table, column, ddl string }{
		{"proposals_grants", "retention_days", "INTEGER NOT NULL DEFAULT 0"},
		{"proposals_runs", "consent_index", "INTEGER NOT NULL DEFAULT 0"},
		{"proposals_runs", "consent_hash", "TEXT NOT NULL DEFAULT ''"},
		{"proposals_runs", "members_noisy", "INTEGER NOT NULL DEFAULT 0"},
		{"proposals_runs", "deleted_at", "INTEGER"},
	} {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := tx.Exec(fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, c.table, c.column, c.ddl)); err != nil {
			return fmt.Errorf("upgrade %s: %w", c.table, err)
		}
	}
	return nil
}

// upgradeBallots gives the tables of an older data directory the columns
// proxies, colleges and secret ballots added: every vote already there
// has one college, no proxies and no tally extras, as it had. It does
// nothing once done.
func upgradeBallots(tx *sql.Tx) error {
	col := func(table, name, ddl string) raftdata.Column {
		return raftdata.Column{Table: table, Name: name, DDL: ddl}
	}
	return raftdata.AddColumns(tx,
		col("proposals", "colleges", `ALTER TABLE proposals ADD COLUMN colleges TEXT NOT NULL DEFAULT ''`),
		col("proposals", "proxy_cap", `ALTER TABLE proposals ADD COLUMN proxy_cap INTEGER NOT NULL DEFAULT 0`),
		col("proposals", "tally_extra", `ALTER TABLE proposals ADD COLUMN tally_extra TEXT NOT NULL DEFAULT ''`),
		col("proposals_electorate", "college", `ALTER TABLE proposals_electorate ADD COLUMN college TEXT NOT NULL DEFAULT ''`),
		col("proposals_electorate", "in_scope", `ALTER TABLE proposals_electorate ADD COLUMN in_scope INTEGER NOT NULL DEFAULT 0`),
		col("proposals_ballots", "holder_receipt_hash", `ALTER TABLE proposals_ballots ADD COLUMN holder_receipt_hash TEXT NOT NULL DEFAULT ''`),
	)
}
