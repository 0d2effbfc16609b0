package raftdata

import (
	"database/sql"
	"fmt"
)

// Column is a column an Upgrade adds to a table of an older data
// directory that lacks it: DDL is its ALTER TABLE ... ADD COLUMN.
type Column struct {
	Table, Name, DDL string
}

// AddColumns adds, inside an Upgrade's transaction, each column its table
// lacks; a column already there is left alone, so running it again
// changes nothing.
func AddColumns(tx *sql.Tx, cols ...Column) error {
	for _, c := range cols {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.Table, c.Name).Scan(&n); err != nil {
			return fmt.Errorf("upgrade %s: %w", c.Table, err)
		}
		if n > 0 {
			continue
		}
		if _, err := tx.Exec(c.DDL); err != nil {
			return fmt.Errorf("upgrade %s: %w", c.Table, err)
		}
	}
	return nil
}
