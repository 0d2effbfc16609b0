package proposals

import (
	"context"
	"database/sql"
	"time"

	"coop/raftdata"
)

// closeEvery is how often the leader looks for votes past their deadline
// and grants past their end: a vote closes within this of its deadline.
const closeEvery = time.Second

// RunCloser closes votes at their deadline and expires grants at their end,
// until ctx ends. It runs on every node and acts only on the leader; the
// close is a replicated command stamped with the leader's time, so every
// node closes the vote at the same log index with the same tally.
func (s *Service) RunCloser(ctx context.Context) {
	t := time.NewTicker(closeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.store.IsLeader() {
			if err := s.CloseDue(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("closing due proposals", "error", err)
			}
		}
	}
}

// CloseDue closes every open vote whose deadline has passed, expires
// every grant past its end and deletes the reuse results past their
// retention, by the service's clock.
func (s *Service) CloseDue(ctx context.Context) error {
	now := s.now().UnixNano()
	due, err := s.ids(ctx, `SELECT id FROM proposals WHERE status = 'open' AND deadline <= ?`, now)
	if err != nil {
		return err
	}
	for _, id := range due {
		if _, err := s.store.Apply(ctx, cmdClosed, closedPayload{ID: id}); err != nil {
			return err
		}
	}
	expired, err := s.ids(ctx, `SELECT p.id FROM proposals p JOIN proposals_grants g ON g.proposal = p.id
		WHERE p.status = 'passed' AND g.expires_at <= ?`, now)
	if err != nil {
		return err
	}
	for _, id := range expired {
		if _, err := s.store.Apply(ctx, cmdGrantExpired, expiredPayload{ID: id}); err != nil {
			return err
		}
	}
	// Reuse results past their retention (the handler checks again on the
	// committed clock).
	kept, err := s.ids(ctx, `SELECT DISTINCT r.proposal FROM proposals_runs r JOIN proposals_grants g ON g.proposal = r.proposal
		WHERE g.retention_days > 0 AND r.result <> '' AND r.deleted_at IS NULL AND r.at + g.retention_days * ? <= ?`, int64(day), now)
	if err != nil {
		return err
	}
	for _, id := range kept {
		if _, err := s.store.Apply(ctx, cmdOutputsDeleted, outputsDeletedPayload{ID: id}); err != nil && raftdata.ErrorCode(err) != raftdata.CodeConflict {
			return err
		}
	}
	return nil
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	return textColumn(s.store.DB().QueryContext(ctx, q, args...))
}

// textColumn reads a query's one column of text, and closes its rows.
func textColumn(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
