package members

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"coop/raftdata"
)

// Role is what an account may do.
type Role string

const (
	// RoleApplicant comes with sign-up: signs the charter, consents,
	// contributes, exports and erases, but does not vote.
	RoleApplicant Role = "applicant"
	// RoleMember comes with admission (membership.admission in the
	// rulebook): everything an applicant does, and votes.
	RoleMember Role = "member"
	// RoleResearcher, granted by an operator, submits proposals.
	RoleResearcher Role = "researcher"
	// RoleOperator, granted by an operator or at bootstrap, runs the
	// system: accounts, cluster, journals, never members' pooled data.
	RoleOperator Role = "operator"
	// RoleGuest, invited by an operator until a date (guests.go), reads
	// proposals, discussions and published results: never votes, never
	// sees ballots, holds no data.
	RoleGuest Role = "guest"
)

// ParseRole reads a role name; an unknown one is a CodeInvalid error.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleApplicant, RoleMember, RoleResearcher, RoleOperator, RoleGuest:
		return r, nil
	}
	return "", raftdata.Refuse(raftdata.CodeInvalid, "unknown_role", "unknown role %q: the roles are applicant, member, researcher, operator and guest", s).With("role", s).On("role")
}

// grantable checks that an operator may grant or revoke r: applicant
// comes with sign-up, member with admission.
func grantable(s string) (Role, error) {
	r, err := ParseRole(s)
	if err != nil {
		return "", err
	}
	if r == RoleGuest {
		return "", raftdata.Refuse(raftdata.CodeInvalid, "guest_by_invitation", "guests are invited with an end date (POST /api/v1/guests); an operator grants researcher or operator").On("role")
	}
	if r == RoleMember || r == RoleApplicant {
		return "", raftdata.Refuse(raftdata.CodeInvalid, "role_by_admission", "the %s role comes with sign-up and admission (POST /api/v1/members/{id}/admit); an operator grants researcher or operator", r).With("role", r).On("role")
	}
	return r, nil
}

// exclusive is the role no account holds together with r (separation of
// duties: whoever runs the system does not query members' data, and
// whoever queries it does not run the system); "" when there is none.
func exclusive(r Role) Role {
	switch r {
	case RoleOperator:
		return RoleResearcher
	case RoleResearcher:
		return RoleOperator
	}
	return ""
}

// Contributes tells whether the account may consent and contribute to
// pools: an applicant or an admitted member.
func (a Account) Contributes() bool { return a.Has(RoleMember) || a.Has(RoleApplicant) }

// Has tells whether the account holds role r (whatever its status).
func (a Account) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// Require checks that the account is active and holds at least one of
// roles (any role when none is given): CodeForbidden otherwise. The ui
// calls it before every restricted action; handlers check again.
func (a Account) Require(roles ...Role) error {
	if a.ID == "" {
		return errLogIn()
	}
	if !a.Active() {
		return ErrAccountInactive(a.Status)
	}
	if len(roles) == 0 || slices.ContainsFunc(roles, a.Has) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	if len(names) > 1 {
		return raftdata.Refuse(raftdata.CodeForbidden, "roles_needed", "this needs the %s role", strings.Join(names, " or ")).
			With("role", names[0]).With("role2", names[1])
	}
	return raftdata.Refuse(raftdata.CodeForbidden, "role_needed", "this needs the %s role", names[0]).With("role", names[0])
}

// errLogIn refuses an anonymous caller.
func errLogIn() *raftdata.Error {
	return raftdata.Refuse(raftdata.CodeUnauthorized, "log_in_first", "log in first")
}

// ErrAccountInactive refuses an account that is suspended or deleted.
func ErrAccountInactive(s Status) *raftdata.Error {
	return raftdata.Refuse(raftdata.CodeForbidden, "account_"+string(s), "this account is %s", s)
}

// RoleChange is the payload of CmdRoleGranted and CmdRoleRevoked.
type RoleChange struct {
	Account string `json:"account"`
	Role    Role   `json:"role"`
	Actor   string `json:"actor"`
}

// GrantRole gives role (researcher or operator) to an account. Only an
// operator may, never to their own account; no account holds operator and
// researcher together. Granting a role the account holds changes
// nothing. Applicants may be researchers (researchers need not be
// members).
func (s *Service) GrantRole(ctx context.Context, actor Account, accountID, role string) error {
	r, err := grantable(role)
	if err != nil {
		return err
	}
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if actor.ID == accountID {
		return errOwnRoles()
	}
	if err := s.apply(ctx, CmdRoleGranted, RoleChange{Account: accountID, Role: r, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("grant role: %w", err)
	}
	return nil
}

// RevokeRole takes role (researcher or operator) from an account. The last
// active operator keeps theirs.
func (s *Service) RevokeRole(ctx context.Context, actor Account, accountID, role string) error {
	r, err := grantable(role)
	if err != nil {
		return err
	}
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if actor.ID == accountID {
		return errOwnRoles()
	}
	if err := s.apply(ctx, CmdRoleRevoked, RoleChange{Account: accountID, Role: r, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("revoke role: %w", err)
	}
	return nil
}

func errOwnRoles() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "own_roles", "no one changes their own roles: another operator must")
}

// roleChangeIn decodes a role change and checks what granting and revoking
// both need: a role that can be granted, an active operator doing it, an
// account to change that is not the operator's own.
func roleChangeIn(tx *raftdata.Tx, cmd raftdata.Command) (RoleChange, error) {
	var p RoleChange
	if err := decode(cmd, &p); err != nil {
		return p, err
	}
	if _, err := grantable(string(p.Role)); err != nil {
		return p, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return p, err
	}
	if p.Actor == p.Account {
		return p, errOwnRoles()
	}
	_, err := targetIn(tx, p.Account)
	return p, err
}

func applyRoleGranted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	p, err := roleChangeIn(tx, cmd)
	if err != nil {
		return nil, err
	}
	roles, err := rolesOf(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if other := exclusive(p.Role); other != "" && slices.Contains(roles, other) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "duties",
			"no account holds the operator and researcher roles together: this account is a %s, so it cannot be made a %s (revoke %s first)", other, p.Role, other).
			With("role", other)
	}
	res, err := tx.Exec(`INSERT OR IGNORE INTO members_roles(account_id, role, granted_at, granted_by) VALUES(?,?,?,?)`,
		p.Account, p.Role, nanos(cmd), p.Actor)
	if err != nil {
		return nil, fmt.Errorf("grant role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	if err := journalRoleIn(tx, cmd, p.Account, ChangeRoleGranted, p.Role, p.Actor, ""); err != nil {
		return nil, err
	}
	return nil, emit(tx, "role_granted", map[string]any{"id": p.Account, "role": p.Role, "by": p.Actor})
}

func applyRoleRevoked(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	p, err := roleChangeIn(tx, cmd)
	if err != nil {
		return nil, err
	}
	if p.Role == RoleOperator {
		others, err := otherActiveOperators(tx, p.Account)
		if err != nil {
			return nil, err
		}
		if others == 0 {
			return nil, errLastOperator()
		}
	}
	res, err := tx.Exec(`DELETE FROM members_roles WHERE account_id = ? AND role = ?`, p.Account, p.Role)
	if err != nil {
		return nil, fmt.Errorf("revoke role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	if err := journalRoleIn(tx, cmd, p.Account, ChangeRoleRevoked, p.Role, p.Actor, ""); err != nil {
		return nil, err
	}
	return nil, emit(tx, "role_revoked", map[string]any{"id": p.Account, "role": p.Role, "by": p.Actor})
}

// StatusChange is the payload of CmdSuspended and CmdReinstated.
type StatusChange struct {
	Account string `json:"account"`
	Actor   string `json:"actor"`
}

// Suspend stops an account at once (its sessions and tokens are deleted)
// until an operator reinstates it. Only an operator may; not their own
// account, nor the last active operator.
func (s *Service) Suspend(ctx context.Context, actor Account, accountID string) error {
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if err := s.apply(ctx, CmdSuspended, StatusChange{Account: accountID, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("suspend: %w", err)
	}
	return nil
}

// Reinstate lets a suspended account log in again.
func (s *Service) Reinstate(ctx context.Context, actor Account, accountID string) error {
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if err := s.apply(ctx, CmdReinstated, StatusChange{Account: accountID, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("reinstate: %w", err)
	}
	return nil
}

func applySuspended(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p StatusChange
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return nil, err
	}
	if p.Actor == p.Account {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "suspend_self", "an operator cannot suspend their own account")
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status == StatusSuspended {
		return nil, nil
	}
	roles, err := rolesOf(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if slices.Contains(roles, RoleOperator) {
		if others, err := otherActiveOperators(tx, p.Account); err != nil {
			return nil, err
		} else if others == 0 {
			return nil, errLastOperator()
		}
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET status = 'suspended', suspended_at = ? WHERE id = ?`, nanos(cmd), p.Account); err != nil {
		return nil, fmt.Errorf("suspend: %w", err)
	}
	if err := dropCredentials(tx, p.Account); err != nil {
		return nil, err
	}
	return nil, emit(tx, "suspended", map[string]any{"id": p.Account, "by": p.Actor})
}

func applyReinstated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p StatusChange
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return nil, err
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status == StatusActive {
		return nil, nil
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET status = 'active', suspended_at = NULL WHERE id = ?`, p.Account); err != nil {
		return nil, fmt.Errorf("reinstate: %w", err)
	}
	return nil, emit(tx, "reinstated", map[string]any{"id": p.Account, "by": p.Actor})
}

// dropCredentials deletes every session and API token of an account.
func dropCredentials(tx *raftdata.Tx, id string) error {
	if _, err := tx.Exec(`DELETE FROM members_sessions WHERE account_id = ?`, id); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_tokens WHERE account_id = ?`, id); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	return nil
}

// errLastOperator refuses to leave the coop without an active operator.
func errLastOperator() *raftdata.Error {
	return raftdata.Refuse(raftdata.CodeConflict, "last_operator", "this is the last active operator: grant the role to someone else first")
}
