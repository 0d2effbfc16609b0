package pooling

import (
	"context"
	"fmt"
	"time"
)

// AccessEvent is one use of pooled data as operators see it in the access
// journal: when, which pool, what for, and how many members it touched,
// never who.
type AccessEvent struct {
	At       time.Time `json:"at"`
	Pool     string    `json:"pool"`
	Action   string    `json:"action"`
	Purpose  string    `json:"purpose"`
	Proposal string    `json:"proposal,omitempty"`
	Epsilon  float64   `json:"epsilon,omitempty"`
	Members  int       `json:"members"`
}

// AccessSummary lists the latest uses of pooled data, newest first, at
// most limit, each with the number of members whose data it touched.
func (s *Service) AccessSummary(ctx context.Context, limit int) ([]AccessEvent, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT at, pool, action, purpose, proposal, epsilon, COUNT(*)
		FROM pooling_access_journal GROUP BY at, pool, action, purpose, proposal, epsilon ORDER BY at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read the access journal: %w", err)
	}
	defer rows.Close()
	out := []AccessEvent{}
	for rows.Next() {
		var e AccessEvent
		var at int64
		if err := rows.Scan(&at, &e.Pool, &e.Action, &e.Purpose, &e.Proposal, &e.Epsilon, &e.Members); err != nil {
			return nil, fmt.Errorf("read the access journal: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
