package pooling

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"coop/raftdata"
)

// Typed values: besides its JSON row in pooling_records (what the member
// sees and exports), every record has one row in its pool's values table,
// with one typed column per field (numbers REAL, categories and months
// TEXT), written by the same FSM handler in the same transaction. The
// aggregate engine reads only these tables: no JSON is parsed at query
// time. A pool's schema never changes, so its table is created once, when
// the pool is.
//
// Layout, for a pool "energy" with fields heating (category), kwh (number)
// and month (month):
//
//	pooling_values_energy(member_key, record_id, f_heating, f_kwh, f_month)
//	  PRIMARY KEY (member_key, record_id)            -- rectify, delete, erase; per-member scans
//	  INDEX …_by_heating (f_heating, member_key, f_kwh, f_month)
//	  INDEX …_by_month   (f_month, member_key, f_heating, f_kwh)
//
// One covering index per category or month field, ordered by that field
// then by member: a query grouped by (or filtered on) the field reads each
// group's rows already sorted by member, so SQLite reduces them to one
// value per member without a temporary B-tree, and a key range of members
// is a range of the index (see aggregate.go). The cost is one more copy
// of the values per such field, written at contribution time.

// valuesTable names the typed table of a pool. Pool ids are slugs of
// lower-case letters, digits and dashes (no underscore), so the mapping is
// one to one.
func valuesTable(poolID string) string {
	return "pooling_values_" + strings.ReplaceAll(poolID, "-", "_")
}

// column names a field's column; the prefix keeps field names clear of
// member_key and record_id.
func column(field string) string { return `"f_` + field + `"` }

// valuesIndex names the covering index of a category or month field.
func valuesIndex(poolID, field string) string {
	return valuesTable(poolID) + "_by_" + field
}

// groupable is whether a field has an index of its own (it can be grouped
// by or filtered on).
func groupable(f Field) bool { return f.Type == TypeCategory || f.Type == TypeMonth }

// checkValuesTable answers a clear sentence for a pool without its
// values table: one created by a build from before typed values, whose
// data directory this build does not migrate (pre-release).
func checkValuesTable(ctx context.Context, db *sql.DB, poolID string) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, valuesTable(poolID)).Scan(&n)
	if err != nil {
		return fmt.Errorf("aggregate %s: %w", poolID, err)
	}
	if n == 0 {
		return raftdata.Errorf(raftdata.CodeUnavailable, "the pool %q has no typed values table: its data directory predates them and is not migrated; start from a new data directory", poolID)
	}
	return nil
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// createValuesTable creates the typed table of a pool and its indexes.
func createValuesTable(db execer, p Pool) error {
	table := valuesTable(p.ID)
	cols := []string{"member_key TEXT NOT NULL", "record_id TEXT NOT NULL"}
	for _, f := range p.Fields {
		typ := "TEXT"
		if f.Type == TypeNumber {
			typ = "REAL"
		}
		cols = append(cols, column(f.Name)+" "+typ+" NOT NULL")
	}
	ddl := []string{fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %q (%s, PRIMARY KEY (member_key, record_id)) WITHOUT ROWID`,
		table, strings.Join(cols, ", "))}
	for _, g := range p.Fields {
		if !groupable(g) {
			continue
		}
		idx := []string{column(g.Name), "member_key"}
		for _, f := range p.Fields {
			if f.Name != g.Name {
				idx = append(idx, column(f.Name))
			}
		}
		ddl = append(ddl, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, valuesIndex(p.ID, g.Name), table, strings.Join(idx, ", ")))
	}
	for _, q := range ddl {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("create the values table of %s: %w", p.ID, err)
		}
	}
	return nil
}

// insertValuesSQL inserts one record's typed row, from its canonical JSON
// (?3), extracted by SQLite: the FSM never decodes the rows in Go.
func insertValuesSQL(p Pool) string {
	cols := []string{"member_key", "record_id"}
	vals := []string{"?1", "?2"}
	for _, f := range p.Fields {
		cols = append(cols, column(f.Name))
		vals = append(vals, fmt.Sprintf("json_extract(?3, '$.%s')", f.Name))
	}
	return fmt.Sprintf(`INSERT INTO %q (%s) VALUES (%s)`, valuesTable(p.ID), strings.Join(cols, ", "), strings.Join(vals, ", "))
}

// replaceValues rewrites one record's typed row after a rectification.
func replaceValues(db execer, p Pool, memberKey, recordID, data string) error {
	if err := deleteValues(db, p.ID, memberKey, recordID); err != nil {
		return err
	}
	if _, err := db.Exec(insertValuesSQL(p), memberKey, recordID, data); err != nil {
		return fmt.Errorf("write the values of a record: %w", err)
	}
	return nil
}

func deleteValues(db execer, poolID, memberKey, recordID string) error {
	if _, err := db.Exec(fmt.Sprintf(`DELETE FROM %q WHERE member_key = ? AND record_id = ?`, valuesTable(poolID)), memberKey, recordID); err != nil {
		return fmt.Errorf("delete the values of a record: %w", err)
	}
	return nil
}

// eraseValues deletes every typed row of a member, in every pool.
func eraseValues(tx *raftdata.Tx, memberKey string) error {
	rows, err := tx.Query(`SELECT id FROM pooling_pools ORDER BY id`)
	if err != nil {
		return fmt.Errorf("erase member values: %w", err)
	}
	var pools []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		pools = append(pools, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range pools {
		if _, err := tx.Exec(fmt.Sprintf(`DELETE FROM %q WHERE member_key = ?`, valuesTable(id)), memberKey); err != nil {
			return fmt.Errorf("erase member values: %w", err)
		}
	}
	return nil
}
