package members

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// AccountsPageSize is how many accounts one page of an operator's list
// holds.
const AccountsPageSize = 50

// AccountPage is one page of the accounts an operator administers.
type AccountPage struct {
	Accounts []Account `json:"members"`
	Total    int       `json:"total"` // accounts that match, on every page
	Page     int       `json:"page"`
	More     bool      `json:"more"` // another page follows
}

// AccountsPage lists one page (from 1) of the accounts that are not
// deleted, in order of sign-up, for an operator: those whose name or
// email contains query (any case), or all when it is empty. Paging and
// search run in SQL, so a coop of 10,000 members answers a page as fast
// as one of ten.
func (s *Service) AccountsPage(ctx context.Context, actor Account, query string, page int) (AccountPage, error) {
	if err := actor.Require(RoleOperator); err != nil {
		return AccountPage{}, err
	}
	if err := s.sync(ctx); err != nil {
		return AccountPage{}, err
	}
	page = max(page, 1)
	out := AccountPage{Page: page, Accounts: []Account{}}
	where, args := `status <> 'deleted'`, []any{}
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(query)) + "%"
		where += ` AND (lower(name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	q := s.local(ctx)
	if err := q.QueryRow(`SELECT COUNT(*) FROM members_accounts WHERE `+where, args...).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("count accounts: %w", err)
	}
	rows, err := q.Query(`SELECT `+accountColumns+` FROM members_accounts WHERE `+where+` ORDER BY created_at, id LIMIT ? OFFSET ?`,
		append(args, AccountsPageSize, (page-1)*AccountsPageSize)...)
	if err != nil {
		return out, fmt.Errorf("list accounts: %w", err)
	}
	list, err := scanAccountRows(rows)
	if err != nil {
		return out, err
	}
	if out.Accounts, err = loadAccounts(q, list, CharterVersions()); err != nil {
		return out, err
	}
	out.More = page*AccountsPageSize < out.Total
	return out, nil
}

// loadAccounts is loadAccount for a page of rows: the roles and charter
// signatures of every row read in one query each, not three per row.
func loadAccounts(q querier, list []accountRow, versions map[CharterKind]int) ([]Account, error) {
	out := make([]Account, 0, len(list))
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]any, len(list))
	for i, r := range list {
		ids[i] = r.id
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	roles := map[string][]Role{}
	err := eachRow(q, `SELECT account_id, role FROM members_roles WHERE account_id IN `+in+` ORDER BY account_id, role`, ids,
		func(scan func(...any) error) error {
			var id string
			var r Role
			err := scan(&id, &r)
			roles[id] = append(roles[id], r)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	type signature struct {
		account string
		charter CharterKind
		version int
	}
	signed := map[signature]bool{}
	err = eachRow(q, `SELECT account_id, charter, version FROM members_charter_signatures WHERE account_id IN `+in, ids,
		func(scan func(...any) error) error {
			var s signature
			err := scan(&s.account, &s.charter, &s.version)
			signed[s] = true
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read charter signatures: %w", err)
	}
	for _, row := range list {
		r := roles[row.id]
		if r == nil {
			r = []Role{}
		}
		current := true
		for _, kind := range chartersFor(r) {
			current = current && signed[signature{row.id, kind, versions[kind]}]
		}
		out = append(out, newAccount(row, r, current))
	}
	return out, nil
}

// eachRow runs query and hands each row's Scan to fn.
func eachRow(q querier, query string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := q.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// likeEscaper escapes what LIKE reads as wildcards.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// scanAccountRows reads the accounts of a query of accountColumns and
// closes rows.
func scanAccountRows(rows *sql.Rows) ([]accountRow, error) {
	defer rows.Close()
	var list []accountRow
	for rows.Next() {
		var a accountRow
		if err := rows.Scan(a.fields()...); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return list, nil
}
