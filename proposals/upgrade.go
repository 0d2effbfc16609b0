package proposals

import (
	"database/sql"
	"fmt"
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
