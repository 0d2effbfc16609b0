package members

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// ChangeCollege is the membership journal's line for a college assigned.
const ChangeCollege = "college_set"

// CollegeChange is the payload of CmdCollegeSet: an operator assigns an
// account to a college the rulebook names ("" clears it: the account then
// votes in the rulebook's first college).
type CollegeChange struct {
	Account string `json:"account"`
	College string `json:"college"`
	Actor   string `json:"actor"`
}

// SetCollege assigns accountID to college. Only an active operator may,
// never for their own account; the college must be one the rulebook in
// force names. The change is written in the membership journal. A vote
// already open keeps the college it fixed at its opening.
func (s *Service) SetCollege(ctx context.Context, actor Account, accountID, college string) error {
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if actor.ID == accountID {
		return errOwnCollege()
	}
	p := CollegeChange{Account: accountID, College: strings.TrimSpace(college), Actor: actor.ID}
	if err := s.apply(ctx, CmdCollegeSet, p, nil); err != nil {
		return fmt.Errorf("set college: %w", err)
	}
	return nil
}

// errOwnCollege refuses an operator's change of their own college.
func errOwnCollege() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "own_college", "no one assigns their own college: another operator must")
}

func applyCollegeSet(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p CollegeChange
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return nil, err
	}
	if p.Actor == p.Account {
		return nil, errOwnCollege()
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if p.College != "" {
		rules, _, err := governance.CurrentIn(tx)
		if err != nil {
			return nil, err
		}
		if !rules.HasCollege(p.College) {
			names := make([]string, len(rules.Colleges))
			for i, c := range rules.Colleges {
				names[i] = c.Name
			}
			if len(names) == 0 {
				return nil, raftdata.Refuse(raftdata.CodeInvalid, "no_colleges", "the rulebook names no colleges: every member votes in one").On("college")
			}
			return nil, raftdata.Refuse(raftdata.CodeInvalid, "unknown_college", "no college %q in the rulebook: the colleges are %s", p.College, strings.Join(names, ", ")).
				With("college", p.College).With("colleges", strings.Join(names, ", ")).On("college")
		}
	}
	if row.college == p.College {
		return nil, nil
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET college = ? WHERE id = ?`, p.College, p.Account); err != nil {
		return nil, fmt.Errorf("set college: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO members_role_journal(at, account_id, change, actor, college) VALUES(?,?,?,?,?)`,
		nanos(cmd), p.Account, ChangeCollege, p.Actor, p.College); err != nil {
		return nil, fmt.Errorf("write membership journal: %w", err)
	}
	return nil, emit(tx, "college_set", map[string]any{"id": p.Account, "college": p.College, "by": p.Actor})
}

// CollegesIn maps each of ids to the college assigned to it ("" when
// none), inside a handler's transaction: a vote fixes its voters' colleges
// when it opens.
func CollegesIn(tx *raftdata.Tx, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	stmt, err := tx.Prepare(`SELECT college FROM members_accounts WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	for _, id := range ids {
		var c string
		if err := stmt.QueryRow(id).Scan(&c); err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("read college of %s: %w", id, err)
		}
		out[id] = c
	}
	return out, nil
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(0, v.Int64).UTC()
	return &t
}

// NamesOf maps each of ids to its account's name, for another package's
// read (a proxy names its holder to its giver): accounts deleted or
// unknown have none.
func NamesOf(ctx context.Context, db *sql.DB, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		var name string
		err := db.QueryRowContext(ctx, `SELECT COALESCE(name, '') FROM members_accounts WHERE id = ? AND status <> 'deleted'`, id).Scan(&name)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("read names: %w", err)
		}
		out[id] = name
	}
	return out, nil
}
