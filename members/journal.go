package members

import (
	"context"
	"fmt"
	"time"

	"coop/raftdata"
)

// Outcomes of a login attempt in the connection journal.
const (
	OutcomeSuccess       = "success"
	OutcomeWrongPassword = "wrong_password"
	OutcomeSuspended     = "suspended" // right password, suspended account
)

// JournalEntry is one login attempt on an account: when, from where, and
// how it ended. Entries are kept one year after they were written (seed
// 003). Attempts refused by the login limit, before any password check,
// are not journaled one by one: the failures that led to the limit are.
type JournalEntry struct {
	At      time.Time `json:"at"`
	Address string    `json:"address"`
	Outcome string    `json:"outcome"`
}

func journalIn(tx *raftdata.Tx, account string, at int64, address, outcome string) error {
	if _, err := tx.Exec(`INSERT INTO members_journal(account_id, at, address, outcome) VALUES(?,?,?,?)`,
		account, at, address, outcome); err != nil {
		return fmt.Errorf("write connection journal: %w", err)
	}
	return nil
}

// Journal lists the connection journal of an account, newest first. It
// catches up with the leader first: a member reads what every node wrote.
func (s *Service) Journal(ctx context.Context, accountID string) ([]JournalEntry, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return journalOf(s.local(ctx), accountID)
}

func journalOf(q querier, id string) ([]JournalEntry, error) {
	rows, err := q.Query(`SELECT at, address, outcome FROM members_journal WHERE account_id = ? ORDER BY at DESC, id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("read connection journal: %w", err)
	}
	defer rows.Close()
	out := []JournalEntry{}
	for rows.Next() {
		var e JournalEntry
		var at int64
		if err := rows.Scan(&at, &e.Address, &e.Outcome); err != nil {
			return nil, fmt.Errorf("read connection journal: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
