package proposals

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"coop/governance"
)

// Summary is a proposal as a list shows it: a line of the proposals page.
type Summary struct {
	ID            string
	Title         string
	Kind          governance.Kind
	Status        Status
	Deadline      *time.Time // once opened
	ClosedAt      *time.Time
	Participation *int // ballots cast so far, while the vote is open
}

// Summaries returns one page (from 1) of the proposals as List does (same
// order, filter and pages) but only what a list shows: it reads a few
// columns and the title, without decoding whole definitions.
func (s *Service) Summaries(ctx context.Context, status string, page int) ([]Summary, bool, error) {
	q, args := pageQuery(`SELECT p.id, COALESCE(json_extract(p.definition, '$.title'), ''), p.kind, p.status, p.opened_at, p.deadline, p.closed_at,
		COALESCE(t.participation, 0)`+rowFrom, status, page)
	rows, err := s.store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list proposals: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var sm Summary
		var kind, st string
		var opened, deadline, closed sql.NullInt64
		var cast int
		if err := rows.Scan(&sm.ID, &sm.Title, &kind, &st, &opened, &deadline, &closed, &cast); err != nil {
			return nil, false, fmt.Errorf("read proposal summary: %w", err)
		}
		sm.Kind, sm.Status = governance.Kind(kind), Status(st)
		if opened.Valid {
			sm.Deadline = optTime(deadline)
		}
		sm.ClosedAt = optTime(closed)
		if sm.Status == StatusOpen {
			sm.Participation = &cast
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list proposals: %w", err)
	}
	more := len(out) > PageSize
	if more {
		out = out[:PageSize]
	}
	return out, more, nil
}
