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
	var one int
	err := s.store.DB().QueryRowContext(ctx,
		`SELECT 1 FROM proposals_objections WHERE proposal = ? AND account_id = ?`, id, accountID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read objection to %s: %w", id, err)
	}
	return true, nil
}
