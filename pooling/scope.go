package pooling

import (
	"database/sql"
	"errors"
	"fmt"

	"coop/raftdata"
)

// ConsentingIn tells, inside a handler's transaction, which of accounts
// consent to pool now: a reuse vote's double majority fixes, when it
// opens, whose data is in scope. Only the proposals FSM reads it; no
// count of it leaves the state.
func ConsentingIn(tx *raftdata.Tx, pool string, accounts []string) (map[string]bool, error) {
	out := make(map[string]bool, len(accounts))
	stmt, err := tx.Prepare(`SELECT c.granted FROM pooling_member_keys k JOIN pooling_consents c ON c.member_key = k.member_key AND c.pool = ?
		WHERE k.account_id = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	for _, a := range accounts {
		var granted bool
		err := stmt.QueryRow(pool, a).Scan(&granted)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read consent: %w", err)
		}
		out[a] = granted
	}
	return out, nil
}
