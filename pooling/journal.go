package pooling

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"coop/raftdata"
)

// The access journal: every read of pooled data is recorded for each member
// whose data it touched, so that a member sees who used their data, when,
// and for what (seed 004: every access journaled).
const cmdAccessed = "pool.data_accessed"

const journalSchema = `
CREATE TABLE IF NOT EXISTS pooling_access_journal (
	member_key TEXT NOT NULL,
	at         INTEGER NOT NULL,
	pool       TEXT NOT NULL,
	action     TEXT NOT NULL,
	purpose    TEXT NOT NULL,
	proposal   TEXT NOT NULL DEFAULT '',
	epsilon    REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pooling_access_journal_member ON pooling_access_journal(member_key, at);
-- One line per use, for operators: never who, and of how many only a
-- noisy count, shown when it reaches the run's minimum cohort.
CREATE TABLE IF NOT EXISTS pooling_access_events (
	at            INTEGER NOT NULL,
	pool          TEXT NOT NULL,
	action        TEXT NOT NULL,
	purpose       TEXT NOT NULL,
	proposal      TEXT NOT NULL DEFAULT '',
	epsilon       REAL NOT NULL DEFAULT 0,
	members_noisy INTEGER,               -- NULL: no count (an export, an old line)
	min_cohort    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pooling_access_events_at ON pooling_access_events(at);
`

// Access is one journal line as the member reads it.
type Access struct {
	At       time.Time `json:"at"`
	Pool     string    `json:"pool"`
	Action   string    `json:"action"` // export, query, ...
	Purpose  string    `json:"purpose"`
	Proposal string    `json:"proposal,omitempty"`
	Epsilon  float64   `json:"epsilon,omitempty"`
}

type accessPayload struct {
	Account string `json:"account"`
	Pool    string `json:"pool"`
	Action  string `json:"action"`
	Purpose string `json:"purpose"`
}

func applyAccessed(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p accessPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	key, err := memberKeyIn(tx, p.Account, "")
	if err != nil || key == "" {
		return nil, err
	}
	if _, err = tx.Exec(`INSERT INTO pooling_access_journal(member_key, at, pool, action, purpose) VALUES(?,?,?,?,?)`,
		key, cmd.Time.UnixNano(), p.Pool, p.Action, p.Purpose); err != nil {
		return nil, err
	}
	_, err = tx.Exec(`INSERT INTO pooling_access_events(at, pool, action, purpose) VALUES(?,?,?,?)`, cmd.Time.UnixNano(), p.Pool, p.Action, p.Purpose)
	return nil, err
}

// RunAccess is a query run as the journal records it.
type RunAccess struct {
	At       time.Time
	Pool     string
	Purpose  string
	Proposal string
	Epsilon  float64
	// MembersNoisy is the answer's noisy size (Answer.MembersNoisy);
	// operators see it only when it reaches MinCohort.
	MembersNoisy int64
	MinCohort    int
}

// JournalRunIn records, inside a command's transaction, that a query run
// used the pooled data of the members behind keys: a line in each one's
// journal, and one line for operators.
func JournalRunIn(tx *raftdata.Tx, r RunAccess, keys []string) error {
	stmt, err := tx.Prepare(`INSERT INTO pooling_access_journal(member_key, at, pool, action, purpose, proposal, epsilon) VALUES(?,?,?,'query',?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.Exec(k, r.At.UnixNano(), r.Pool, r.Purpose, r.Proposal, r.Epsilon); err != nil {
			return fmt.Errorf("journal access: %w", err)
		}
	}
	_, err = tx.Exec(`INSERT INTO pooling_access_events(at, pool, action, purpose, proposal, epsilon, members_noisy, min_cohort) VALUES(?,?,'query',?,?,?,?,?)`,
		r.At.UnixNano(), r.Pool, r.Purpose, r.Proposal, r.Epsilon, r.MembersNoisy, r.MinCohort)
	return err
}

// upgradeAccessEvents fills the operators' lines from the members'
// journal of a data directory from before them (without counts). It does
// nothing once there is any line.
func upgradeAccessEvents(tx *sql.Tx) error {
	var events, journal int
	if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM pooling_access_events), (SELECT COUNT(*) FROM pooling_access_journal)`).Scan(&events, &journal); err != nil {
		return err
	}
	if events > 0 || journal == 0 {
		return nil
	}
	_, err := tx.Exec(`INSERT INTO pooling_access_events(at, pool, action, purpose, proposal, epsilon)
		SELECT at, pool, action, purpose, proposal, epsilon FROM pooling_access_journal GROUP BY at, pool, action, purpose, proposal, epsilon`)
	if err != nil {
		return fmt.Errorf("upgrade the access events: %w", err)
	}
	return nil
}

// recordAccess journals a member's own read of their data (an export).
func (s *Service) recordAccess(ctx context.Context, accountID, pool, action, purpose string) error {
	_, err := s.store.Apply(ctx, cmdAccessed, accessPayload{Account: accountID, Pool: pool, Action: action, Purpose: purpose})
	return err
}

// AccessJournal lists every use of the member's pooled data, newest first.
func (s *Service) AccessJournal(ctx context.Context, accountID string) ([]Access, error) {
	key, err := s.memberKey(ctx, accountID)
	if err != nil || key == "" {
		return []Access{}, err
	}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT at, pool, action, purpose, proposal, epsilon
		FROM pooling_access_journal WHERE member_key = ? ORDER BY at DESC, rowid DESC LIMIT 1000`, key)
	if err != nil {
		return nil, fmt.Errorf("read access journal: %w", err)
	}
	defer rows.Close()
	out := []Access{}
	for rows.Next() {
		var a Access
		var at int64
		if err := rows.Scan(&at, &a.Pool, &a.Action, &a.Purpose, &a.Proposal, &a.Epsilon); err != nil {
			return nil, err
		}
		a.At = time.Unix(0, at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// PrivacyLoss is the total epsilon charged to a member by the uses in
// their journal: their personal privacy ledger.
func PrivacyLoss(uses []Access) float64 {
	var total float64
	for _, a := range uses {
		total += a.Epsilon
	}
	return math.Round(total*1e9) / 1e9
}
