package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Export is everything members holds about one account (the right of
// access, GET /me/export). Secrets are left out: no password hash, no
// token, no token hash. Other packages add their own sections beside it.
type Export struct {
	GeneratedAt       time.Time      `json:"generated_at"`
	Account           ExportAccount  `json:"account"`
	Roles             []RoleGrant    `json:"roles"`
	CharterSignatures []Signature    `json:"charter_signatures"`
	Sessions          []SessionInfo  `json:"sessions"`
	Tokens            []TokenInfo    `json:"tokens"`
	Journal           []JournalEntry `json:"connection_journal"`
	// Retention states how long each part is kept.
	Retention Retention `json:"retention_months"`
}

// ExportAccount is the identity and status of the account.
type ExportAccount struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Status      Status     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	SuspendedAt *time.Time `json:"suspended_at,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

// RoleGrant is a role with when and by whom it was granted (an account id,
// or "signup" / "bootstrap").
type RoleGrant struct {
	Role      Role      `json:"role"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
}

// Export gathers everything members holds about an account, after
// catching up with the leader. The ui calls it with the caller's own id.
func (s *Service) Export(ctx context.Context, accountID string) (Export, error) {
	if err := s.sync(ctx); err != nil {
		return Export{}, err
	}
	q := s.local(ctx)
	var e Export
	var created int64
	var suspended, deleted sql.NullInt64
	err := q.QueryRow(`SELECT id, COALESCE(name, ''), COALESCE(email, ''), status, created_at, suspended_at, deleted_at
		FROM members_accounts WHERE id = ?`, accountID).
		Scan(&e.Account.ID, &e.Account.Name, &e.Account.Email, &e.Account.Status, &created, &suspended, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return Export{}, errNoSuchAccount(accountID)
	}
	if err != nil {
		return Export{}, fmt.Errorf("export account: %w", err)
	}
	e.Account.CreatedAt = time.Unix(0, created).UTC()
	e.Account.SuspendedAt = optionalTime(suspended)
	e.Account.DeletedAt = optionalTime(deleted)
	if e.Roles, err = grantsOf(q, accountID); err != nil {
		return Export{}, err
	}
	if e.CharterSignatures, err = signatures(q, accountID); err != nil {
		return Export{}, err
	}
	if e.Sessions, err = sessionsOf(q, accountID); err != nil {
		return Export{}, err
	}
	if e.Tokens, err = tokensOf(q, accountID); err != nil {
		return Export{}, err
	}
	if e.Journal, err = journalOf(q, accountID); err != nil {
		return Export{}, err
	}
	if e.Retention, err = s.retention(ctx); err != nil {
		return Export{}, err
	}
	e.GeneratedAt = s.now()
	return e, nil
}

func optionalTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(0, v.Int64).UTC()
	return &t
}

func grantsOf(q querier, id string) ([]RoleGrant, error) {
	rows, err := q.Query(`SELECT role, granted_at, granted_by FROM members_roles WHERE account_id = ? ORDER BY granted_at, role`, id)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	out := []RoleGrant{}
	for rows.Next() {
		var g RoleGrant
		var at int64
		if err := rows.Scan(&g.Role, &at, &g.GrantedBy); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		g.GrantedAt = time.Unix(0, at).UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}
