package pooling

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AccessEvent is one use of pooled data as operators see it in the access
// journal: when, which pool, what for, never who. Of a query run's size
// they see only its noisy count (MembersNoisy), and only when it reaches
// the run's minimum cohort; under it, FewerThan says so.
type AccessEvent struct {
	At           time.Time `json:"at"`
	Pool         string    `json:"pool"`
	Action       string    `json:"action"`
	Purpose      string    `json:"purpose"`
	Proposal     string    `json:"proposal,omitempty"`
	Epsilon      float64   `json:"epsilon,omitempty"`
	MembersNoisy *int64    `json:"members_noisy,omitempty"`
	FewerThan    int       `json:"members_fewer_than,omitempty"`
}

// AccessSummary lists the latest uses of pooled data, newest first, at
// most limit.
func (s *Service) AccessSummary(ctx context.Context, limit int) ([]AccessEvent, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT at, pool, action, purpose, proposal, epsilon, members_noisy, min_cohort
		FROM pooling_access_events ORDER BY at DESC, rowid DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read the access journal: %w", err)
	}
	defer rows.Close()
	out := []AccessEvent{}
	for rows.Next() {
		var e AccessEvent
		var at int64
		var n sql.NullInt64
		var cohort int
		if err := rows.Scan(&at, &e.Pool, &e.Action, &e.Purpose, &e.Proposal, &e.Epsilon, &n, &cohort); err != nil {
			return nil, fmt.Errorf("read the access journal: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		switch {
		case !n.Valid:
		case n.Int64 >= int64(cohort):
			e.MembersNoisy = &n.Int64
		default:
			e.FewerThan = cohort
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
