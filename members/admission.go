package members

import (
	"context"
	"fmt"
	"slices"

	"coop/governance"
	"coop/raftdata"
)

// Admission is the payload of CmdAdmitted (an operator admits an
// applicant) and CmdSponsored (a member vouches for one).
type Admission struct {
	Account string `json:"account"`
	Actor   string `json:"actor"`
}

// Admit makes an applicant a member who votes. An operator does it when
// the rulebook's membership.admission is "operator" or "open", and, under
// "sponsors", while the cooperative has fewer admitted members than a
// sponsorship needs (its founders). No one admits themselves. Admitting a
// member changes nothing.
func (s *Service) Admit(ctx context.Context, actor Account, accountID string) error {
	if actor.ID != "" && actor.ID == accountID {
		return errSelfAdmission()
	}
	if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if err := s.apply(ctx, CmdAdmitted, Admission{Account: accountID, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	return nil
}

// Sponsor records that an admitted member vouches for an applicant, under
// membership.admission "sponsors"; the sponsorship that brings the count
// to membership.sponsors_required admits them. Sponsoring twice counts
// once. No one sponsors themselves.
func (s *Service) Sponsor(ctx context.Context, actor Account, accountID string) (Sponsorship, error) {
	if actor.ID != "" && actor.ID == accountID {
		return Sponsorship{}, errSelfAdmission()
	}
	if err := actor.Require(RoleMember); err != nil {
		return Sponsorship{}, err
	}
	var out Sponsorship
	if err := s.apply(ctx, CmdSponsored, Admission{Account: accountID, Actor: actor.ID}, &out); err != nil {
		return Sponsorship{}, fmt.Errorf("sponsor: %w", err)
	}
	return out, nil
}

// Sponsorship is what a sponsorship gives: how many sponsors the applicant
// has, how many admission needs, and whether they are admitted now.
type Sponsorship struct {
	Sponsors int  `json:"sponsors"`
	Required int  `json:"required"`
	Admitted bool `json:"admitted"`
}

func errSelfAdmission() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "self_admission", "no one admits or sponsors themselves")
}

// admissionIn decodes an admission and reads what both handlers need: the
// rulebook in force and the applicant, who must not be the actor.
func admissionIn(tx *raftdata.Tx, cmd raftdata.Command) (Admission, governance.Membership, []Role, error) {
	var p Admission
	if err := decode(cmd, &p); err != nil {
		return p, governance.Membership{}, nil, err
	}
	if p.Actor == p.Account {
		return p, governance.Membership{}, nil, errSelfAdmission()
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return p, governance.Membership{}, nil, err
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return p, rules.Membership, nil, err
	}
	if row.status != StatusActive {
		return p, rules.Membership, nil, errReinstateFirst(row.status)
	}
	roles, err := rolesOf(tx, p.Account)
	return p, rules.Membership, roles, err
}

func applyAdmitted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	p, m, roles, err := admissionIn(tx, cmd)
	if err != nil {
		return nil, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return nil, err
	}
	if slices.Contains(roles, RoleMember) {
		return nil, nil
	}
	if !slices.Contains(roles, RoleApplicant) {
		return nil, errNeverApplied()
	}
	if m.Admission == governance.AdmitBySponsors {
		members, err := admittedMembers(tx)
		if err != nil {
			return nil, err
		}
		if members >= m.SponsorsRequired {
			return nil, raftdata.Refuse(raftdata.CodeConflict, "admission_by_sponsors",
				"in this cooperative, applicants are admitted when %d members sponsor them (POST /api/v1/members/{id}/sponsor), not by an operator", m.SponsorsRequired).
				With("count", m.SponsorsRequired)
		}
	}
	return nil, admitIn(tx, cmd, p.Account, p.Actor, governance.AdmitByOperator)
}

func applySponsored(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	p, m, roles, err := admissionIn(tx, cmd)
	if err != nil {
		return nil, err
	}
	sponsor, err := targetIn(tx, p.Actor)
	if err != nil {
		return nil, errSponsorMember()
	}
	sponsorRoles, err := rolesOf(tx, p.Actor)
	if err != nil {
		return nil, err
	}
	if sponsor.status != StatusActive || !slices.Contains(sponsorRoles, RoleMember) {
		return nil, errSponsorMember()
	}
	if m.Admission != governance.AdmitBySponsors {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "not_by_sponsors", "this cooperative's rulebook admits members by %q, not by sponsorship", m.Admission).
			With("admission", m.Admission)
	}
	out := Sponsorship{Required: m.SponsorsRequired}
	if slices.Contains(roles, RoleMember) {
		out.Admitted = true
		return out, nil
	}
	if !slices.Contains(roles, RoleApplicant) {
		return nil, errNeverApplied()
	}
	res, err := tx.Exec(`INSERT OR IGNORE INTO members_sponsorships(account_id, sponsor_id, at) VALUES(?,?,?)`, p.Account, p.Actor, nanos(cmd))
	if err != nil {
		return nil, fmt.Errorf("record sponsorship: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := journalRoleIn(tx, cmd, p.Account, ChangeSponsored, "", p.Actor, ""); err != nil {
			return nil, err
		}
		if err := emit(tx, "sponsored", map[string]any{"id": p.Account, "by": p.Actor}); err != nil {
			return nil, err
		}
	}
	if out.Sponsors, err = sponsorsOf(tx, p.Account); err != nil {
		return nil, err
	}
	if out.Sponsors >= m.SponsorsRequired {
		out.Admitted = true
		return out, admitIn(tx, cmd, p.Account, "", governance.AdmitBySponsors)
	}
	return out, nil
}

// admitIn turns an applicant into a member: the applicant role becomes the
// member role (granted by actor, or by via when the rulebook or the
// sponsors decided), the pending sponsorships go, and the journal says so.
func admitIn(tx *raftdata.Tx, cmd raftdata.Command, account, actor, via string) error {
	if _, err := tx.Exec(`DELETE FROM members_roles WHERE account_id = ? AND role = ?`, account, RoleApplicant); err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	by := actor
	if by == "" {
		by = via
	}
	if _, err := tx.Exec(`INSERT OR IGNORE INTO members_roles(account_id, role, granted_at, granted_by) VALUES(?,?,?,?)`,
		account, RoleMember, nanos(cmd), by); err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_sponsorships WHERE account_id = ?`, account); err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	if err := journalRoleIn(tx, cmd, account, ChangeAdmitted, RoleMember, actor, via); err != nil {
		return err
	}
	return emit(tx, "admitted", map[string]any{"id": account, "by": actor, "via": via})
}

// admittedMembers counts the active accounts holding the member role.
func admittedMembers(q querier) (int, error) {
	var n int
	err := q.QueryRow(`SELECT COUNT(*) FROM members_roles r JOIN members_accounts a ON a.id = r.account_id
		WHERE r.role = ? AND a.status = 'active'`, RoleMember).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count members: %w", err)
	}
	return n, nil
}

// sponsorsOf counts the sponsors of an applicant who are still active,
// admitted members.
func sponsorsOf(q querier, account string) (int, error) {
	var n int
	err := q.QueryRow(`SELECT COUNT(*) FROM members_sponsorships s
		JOIN members_accounts a ON a.id = s.sponsor_id AND a.status = 'active'
		JOIN members_roles r ON r.account_id = s.sponsor_id AND r.role = ?
		WHERE s.account_id = ?`, RoleMember, account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sponsors: %w", err)
	}
	return n, nil
}

func errNeverApplied() error {
	return raftdata.Refuse(raftdata.CodeConflict, "never_applied", "this account never applied for membership: only a sign-up makes an applicant")
}

func errSponsorMember() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "sponsor_member", "only an active, admitted member sponsors an applicant")
}
