package pooling

import (
	"database/sql"
	"fmt"
	"strings"
)

// upgradeSharedRecords moves the records of a data directory from before
// the tables per pool (one shared pooling_records table, the JSON only)
// into each pool's own table, then drops the shared table. It does nothing
// once done. Every node runs it at open and after a snapshot restore, on
// the same state, so every node ends with the same tables.
func upgradeSharedRecords(tx *sql.Tx) error {
	var shared int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'pooling_records'`).Scan(&shared); err != nil {
		return err
	}
	if shared == 0 {
		return nil
	}
	rows, err := tx.Query(`SELECT id, definition FROM pooling_pools ORDER BY id`)
	if err != nil {
		return err
	}
	var pools []Pool
	for rows.Next() {
		var id, def string
		err := rows.Scan(&id, &def)
		p, err := decodePool(id, def, err)
		if err != nil {
			rows.Close()
			return err
		}
		pools = append(pools, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range pools {
		if err := createRecordsTable(tx, p); err != nil {
			return err
		}
		if _, err := tx.Exec(moveSharedRecordsSQL(p), p.ID); err != nil {
			return fmt.Errorf("move the records of %s to their table: %w", p.ID, err)
		}
	}
	if _, err := tx.Exec(`DROP TABLE pooling_records`); err != nil {
		return fmt.Errorf("drop the shared records table: %w", err)
	}
	return nil
}

// moveSharedRecordsSQL copies pool ?1's rows of the shared table into the
// pool's own, typed columns extracted from the JSON as a contribution does.
func moveSharedRecordsSQL(p Pool) string {
	cols, vals := typedColumns(p, "data")
	cols = append([]string{"member_key", "record_id", "data", "contributed_at", "updated_at"}, cols...)
	vals = append([]string{"member_key", "id", "data", "contributed_at", "updated_at"}, vals...)
	return fmt.Sprintf(`INSERT OR IGNORE INTO %q (%s) SELECT %s FROM pooling_records WHERE pool = ?`,
		recordsTable(p.ID), strings.Join(cols, ", "), strings.Join(vals, ", "))
}
