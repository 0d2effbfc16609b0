package proposals

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Objecting tells whether the member excluded their data from the
// proposal's grant (see Object), read from the local copy.
func (s *Service) Objecting(ctx context.Context, id, accountID string) (bool, error) {
	ok, err := s.exists(ctx, `SELECT 1 FROM proposals_objections WHERE proposal = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return false, fmt.Errorf("read objection to %s: %w", id, err)
	}
	return ok, nil
}

// exists tells whether query, read from the local copy, finds a row.
func (s *Service) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := s.store.DB().QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
