package pooling

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"coop/raftdata"
)

// Records live in one table per pool, created with the pool (a pool's
// schema never changes). Each row holds the record as canonical JSON (what
// the member sees, rectifies and exports, byte for byte as contributed)
// and, written by the same FSM statement, one typed column per field
// (numbers REAL, categories and months TEXT, months as YYYY-MM, which
// sorts like the months), extracted by SQLite from the JSON: the FSM
// never decodes rows in Go, and the aggregate engine parses no JSON.
//
// Layout, for a pool "energy" with fields heating (category), kwh (number)
// and month (month):
//
//	pooling_records_energy(member_key, record_id, data, contributed_at, updated_at, f_heating, f_kwh, f_month)
//	  PRIMARY KEY (member_key, record_id)     -- a member's records, rectify, delete, erase
//	  INDEX …_by_heating (f_heating, member_key, record_id, f_kwh, f_month)
//	  INDEX …_by_month   (f_month, member_key, record_id, f_heating, f_kwh)
//
// One covering index per category or month field, ordered by that field
// then by member: a query grouped by (or filtered on) the field reads each
// group's rows already sorted by member, so SQLite reduces them to one
// value per member without a temporary B-tree, and a key range of members
// is a range of the index (see partials.go). record_id comes right after
// member_key so that a contribution's rows (one member, consecutive ids)
// land in one run of each index instead of at random places.

// recordsTable names the records table of a pool. Pool ids are slugs of
// lower-case letters, digits and dashes (no underscore), so the mapping is
// one to one.
func recordsTable(poolID string) string {
	return "pooling_records_" + strings.ReplaceAll(poolID, "-", "_")
}

// column names a field's column; the prefix keeps field names clear of
// the other columns.
func column(field string) string { return `"f_` + field + `"` }

// fieldIndex names the covering index of a category or month field.
func fieldIndex(poolID, field string) string {
	return recordsTable(poolID) + "_by_" + field
}

// groupable is whether a field has an index of its own (it can be grouped
// by or filtered on).
func groupable(f Field) bool { return f.Type == TypeCategory || f.Type == TypeMonth }

// checkRecordsTable answers a clear sentence for a pool without its
// records table: one created by a build from before tables per pool,
// whose data directory was not upgraded (upgrade.go runs at every open).
func checkRecordsTable(ctx context.Context, db *sql.DB, poolID string) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, recordsTable(poolID)).Scan(&n)
	if err != nil {
		return fmt.Errorf("aggregate %s: %w", poolID, err)
	}
	if n == 0 {
		return raftdata.Refuse(raftdata.CodeUnavailable, "pool_not_upgraded", "the pool %q has no records table of its own: its data directory predates them and was not upgraded; restart the node to upgrade it", poolID)
	}
	return nil
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// createRecordsTable creates the records table of a pool and its indexes.
func createRecordsTable(db execer, p Pool) error {
	table := recordsTable(p.ID)
	cols := []string{"member_key TEXT NOT NULL", "record_id TEXT NOT NULL", "data TEXT NOT NULL",
		"contributed_at INTEGER NOT NULL", "updated_at INTEGER NOT NULL"}
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
		idx := []string{column(g.Name), "member_key", "record_id"}
		for _, f := range p.Fields {
			if f.Name != g.Name {
				idx = append(idx, column(f.Name))
			}
		}
		ddl = append(ddl, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, fieldIndex(p.ID, g.Name), table, strings.Join(idx, ", ")))
	}
	for _, q := range ddl {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("create the records table of %s: %w", p.ID, err)
		}
	}
	return nil
}

// insertRecordSQL inserts one record: ?1 member key, ?2 record id, ?3 its
// canonical JSON, ?4 the time; the typed columns are extracted from ?3.
func insertRecordSQL(p Pool) string {
	cols, vals := typedColumns(p, "?3")
	cols = append([]string{"member_key", "record_id", "data", "contributed_at", "updated_at"}, cols...)
	vals = append([]string{"?1", "?2", "?3", "?4", "?4"}, vals...)
	return fmt.Sprintf(`INSERT INTO %q (%s) VALUES (%s)`, recordsTable(p.ID), strings.Join(cols, ", "), strings.Join(vals, ", "))
}

// typedColumns are the typed columns of p's records table and, for each,
// the expression that extracts its value from the record's JSON in data.
func typedColumns(p Pool, data string) (cols, vals []string) {
	for _, f := range p.Fields {
		cols = append(cols, column(f.Name))
		vals = append(vals, fmt.Sprintf("json_extract(%s, '$.%s')", data, f.Name))
	}
	return cols, vals
}

// rectifyRecordSQL replaces a record's values: ?1 member key, ?2 record
// id, ?3 the new canonical JSON, ?4 the time.
func rectifyRecordSQL(p Pool) string {
	set := []string{"data = ?3", "updated_at = ?4"}
	cols, vals := typedColumns(p, "?3")
	for i := range cols {
		set = append(set, cols[i]+" = "+vals[i])
	}
	return fmt.Sprintf(`UPDATE %q SET %s WHERE member_key = ?1 AND record_id = ?2`, recordsTable(p.ID), strings.Join(set, ", "))
}

func deleteRecord(db execer, poolID, memberKey, recordID string) error {
	if _, err := db.Exec(fmt.Sprintf(`DELETE FROM %q WHERE member_key = ? AND record_id = ?`, recordsTable(poolID)), memberKey, recordID); err != nil {
		return fmt.Errorf("delete a record: %w", err)
	}
	return nil
}

type queryCtxer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// poolIDs lists the ids of every pool, in order.
func poolIDs(ctx context.Context, db queryCtxer) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT id FROM pooling_pools ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// eraseRecords deletes every record of a member, in every pool.
func eraseRecords(tx *raftdata.Tx, memberKey string) error {
	pools, err := poolIDs(context.Background(), txQueryer{tx})
	if err != nil {
		return err
	}
	for _, id := range pools {
		if _, err := tx.Exec(fmt.Sprintf(`DELETE FROM %q WHERE member_key = ?`, recordsTable(id)), memberKey); err != nil {
			return fmt.Errorf("erase member records: %w", err)
		}
	}
	return nil
}

// txQueryer lets FSM code use the readers' helpers (the FSM's transaction
// has no context: it is the apply's).
type txQueryer struct{ tx *raftdata.Tx }

func (t txQueryer) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.Query(query, args...)
}
