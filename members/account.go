package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"coop/raftdata"
)

// Status is the state of an account.
type Status string

const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended" // by an operator; cannot log in
	StatusDeleted   Status = "deleted"   // by the member or an operator; identity awaits its purge
)

// Account is a member as the rest of coop sees it: what /me answers. It
// never carries a password hash.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Roles     []Role    `json:"roles"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// CharterCurrent is true when the account signed the current version
	// of every charter its roles call for (CharterCurrent).
	CharterCurrent bool `json:"charter_current"`
	// Admitted is true for a member who votes (the member role); an
	// applicant waits for admission (membership.admission).
	Admitted bool `json:"admitted"`
	// College is the college an operator assigned ("" until then: the
	// rulebook's first college, when it names colleges).
	College string `json:"college"`
	// ExpiresAt ends a guest's account (guests.go); nil for everyone else.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Active tells whether the account may act.
func (a Account) Active() bool { return a.Status == StatusActive }

// querier is what both the local read pool and a handler's transaction
// offer, so that one query serves both.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

// dbq runs queries on the local read-only copy with a context.
type dbq struct {
	ctx context.Context
	db  *sql.DB
}

func (q dbq) QueryRow(query string, args ...any) *sql.Row {
	return q.db.QueryRowContext(q.ctx, query, args...)
}

func (q dbq) Query(query string, args ...any) (*sql.Rows, error) {
	return q.db.QueryContext(q.ctx, query, args...)
}

func (s *Service) local(ctx context.Context) querier { return dbq{ctx: ctx, db: s.store.DB()} }

// accountRow is an account as stored, secrets included: it never leaves
// the package.
type accountRow struct {
	id, name, email, hash string
	status                Status
	createdAt             int64
	college               string
	expiresAt             sql.NullInt64 // guests only
}

var errNoAccount = errors.New("no such account")

const accountColumns = `id, COALESCE(name, ''), COALESCE(email, ''), COALESCE(password_hash, ''), status, created_at, college, expires_at`

// fields are the destinations of accountColumns.
func (a *accountRow) fields() []any {
	return []any{&a.id, &a.name, &a.email, &a.hash, &a.status, &a.createdAt, &a.college, &a.expiresAt}
}

func scanAccount(row *sql.Row) (accountRow, error) {
	var a accountRow
	err := row.Scan(a.fields()...)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errNoAccount
	}
	if err != nil {
		return a, fmt.Errorf("read account: %w", err)
	}
	return a, nil
}

func accountByID(q querier, id string) (accountRow, error) {
	return scanAccount(q.QueryRow(`SELECT `+accountColumns+` FROM members_accounts WHERE id = ?`, id))
}

// accountByEmail finds the account that uses email now (deleted accounts
// keep theirs until the purge, but no longer own it).
func accountByEmail(q querier, email string) (accountRow, error) {
	return scanAccount(q.QueryRow(`SELECT `+accountColumns+` FROM members_accounts WHERE email = ? AND status <> 'deleted'`, email))
}

func rolesOf(q querier, id string) ([]Role, error) {
	rows, err := q.Query(`SELECT role FROM members_roles WHERE account_id = ? ORDER BY role`, id)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	roles := []Role{}
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		roles = append(roles, r)
	}
	return roles, rows.Err()
}

// loadAccount builds the public view of an account; CharterCurrent is
// judged against versions.
func loadAccount(q querier, row accountRow, versions map[CharterKind]int) (Account, error) {
	roles, err := rolesOf(q, row.id)
	if err != nil {
		return Account{}, err
	}
	current, err := chartersCurrent(q, row.id, roles, versions)
	if err != nil {
		return Account{}, err
	}
	return newAccount(row, roles, current), nil
}

// newAccount is the public view of an account row with its roles.
func newAccount(row accountRow, roles []Role, charterCurrent bool) Account {
	return Account{
		ID: row.id, Name: row.name, Email: row.email, Roles: roles, Status: row.status,
		CreatedAt: time.Unix(0, row.createdAt).UTC(), CharterCurrent: charterCurrent, Admitted: slices.Contains(roles, RoleMember),
		College: row.college, ExpiresAt: optTime(row.expiresAt),
	}
}

// Get returns an account by id, catching up with the leader once if this
// node does not know it yet. A deleted account is not found.
func (s *Service) Get(ctx context.Context, id string) (Account, error) {
	q := s.local(ctx)
	row, err := accountByID(q, id)
	if errors.Is(err, errNoAccount) {
		if err := s.sync(ctx); err != nil {
			return Account{}, err
		}
		row, err = accountByID(q, id)
	}
	if errors.Is(err, errNoAccount) || err == nil && row.status == StatusDeleted {
		return Account{}, errNoSuchAccount(id)
	}
	if err != nil {
		return Account{}, err
	}
	return loadAccount(q, row, CharterVersions())
}

// LookupIn reads an account inside a handler's transaction, for other
// packages' handlers (a ballot checks that its voter is an active member).
// A deleted account is not found. CharterCurrent is judged against
// versions, which the handler takes from its payload (CharterVersions()
// at the proposing node), never from the binary it runs.
func LookupIn(tx *raftdata.Tx, id string, versions map[CharterKind]int) (Account, error) {
	row, err := accountByID(tx, id)
	if errors.Is(err, errNoAccount) || err == nil && row.status == StatusDeleted {
		return Account{}, errNoSuchAccount(id)
	}
	if err != nil {
		return Account{}, err
	}
	return loadAccount(tx, row, versions)
}

// ElectorateIn lists, inside a handler's transaction, the ids of the
// accounts that may vote: active, admitted (the member role), having signed
// version memberCharter of the member charter; except is left out (a
// proposal's requester). The handler takes memberCharter from its payload
// (CharterVersion(CharterMember) at the proposing node). The list is
// sorted, the same on every node.
func ElectorateIn(tx *raftdata.Tx, except string, memberCharter int) ([]string, error) {
	rows, err := tx.Query(`SELECT a.id FROM members_accounts a
		JOIN members_roles r ON r.account_id = a.id AND r.role = ?
		JOIN members_charter_signatures c ON c.account_id = a.id AND c.charter = ? AND c.version = ?
		WHERE a.status = 'active' AND a.id <> ? ORDER BY a.id`,
		RoleMember, CharterMember, memberCharter, except)
	if err != nil {
		return nil, fmt.Errorf("read electorate: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read electorate: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// activeOperatorIn checks, in a handler, that actor is an active operator.
func activeOperatorIn(tx *raftdata.Tx, actor string) error {
	row, err := accountByID(tx, actor)
	if errors.Is(err, errNoAccount) {
		return errOperatorsOnly()
	}
	if err != nil {
		return err
	}
	roles, err := rolesOf(tx, actor)
	if err != nil {
		return err
	}
	if row.status != StatusActive || !slices.Contains(roles, RoleOperator) {
		return errOperatorsOnly()
	}
	return nil
}

// otherActiveOperators counts active operators other than id.
func otherActiveOperators(tx *raftdata.Tx, id string) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM members_roles r JOIN members_accounts a ON a.id = r.account_id
		WHERE r.role = ? AND a.status = 'active' AND a.id <> ?`, RoleOperator, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count operators: %w", err)
	}
	return n, nil
}

// targetIn reads the account a command acts on, refusing a missing or
// deleted one.
func targetIn(tx *raftdata.Tx, id string) (accountRow, error) {
	row, err := accountByID(tx, id)
	if errors.Is(err, errNoAccount) || err == nil && row.status == StatusDeleted {
		return row, errNoSuchAccount(id)
	}
	return row, err
}

// errNoSuchAccount refuses an account id that names no account.
func errNoSuchAccount(id string) error {
	return raftdata.Refuse(raftdata.CodeNotFound, "no_account", "no account %q", id).With("id", id)
}

// errReinstateFirst refuses to act on an account that is not active.
func errReinstateFirst(s Status) error {
	return raftdata.Refuse(raftdata.CodeConflict, "reinstate_first", "this account is %s: reinstate it first", s).With("account_status", s)
}

func errOperatorsOnly() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "operators_only", "only an active operator may do this")
}
