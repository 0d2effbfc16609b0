package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MemberSince is when the account became a member (its admission: the
// grant of the member role), read from the local copy; ok is false for an
// account that holds no member role. A proposal's page tells a member
// admitted after its vote opened why they do not vote on it.
func (s *Service) MemberSince(ctx context.Context, id string) (since time.Time, ok bool, err error) {
	var at int64
	err = s.store.DB().QueryRowContext(ctx, `SELECT granted_at FROM members_roles WHERE account_id = ? AND role = ?`, id, RoleMember).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("read the admission of %s: %w", id, err)
	}
	return time.Unix(0, at).UTC(), true, nil
}
