package members

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// Changes the membership journal records.
const (
	ChangeAdmitted    = "admitted"     // an applicant became a member
	ChangeSponsored   = "sponsored"    // a member vouched for an applicant
	ChangeRoleGranted = "role_granted" // researcher or operator
	ChangeRoleRevoked = "role_revoked"
)

// journalRoleIn writes one line of the membership journal.
func journalRoleIn(tx *raftdata.Tx, cmd raftdata.Command, account, change string, role Role, actor, via string) error {
	if _, err := tx.Exec(`INSERT INTO members_role_journal(at, account_id, change, role, actor, via) VALUES(?,?,?,?,?,?)`,
		nanos(cmd), account, change, string(role), actor, via); err != nil {
		return fmt.Errorf("write membership journal: %w", err)
	}
	return nil
}

// MembershipEntry is one line of the membership journal: whose membership
// or role changed, how, by whom and when. Names are read when the journal
// is, so an erased account shows none.
type MembershipEntry struct {
	At          time.Time `json:"at"`
	Account     string    `json:"account"`
	AccountName string    `json:"account_name"` // "" once the account is erased
	Change      string    `json:"change"`
	Role        Role      `json:"role,omitempty"`
	Actor       string    `json:"actor"`      // "" when the sponsors or the rulebook decided
	ActorName   string    `json:"actor_name"` // "" for no actor or an erased one
	Via         string    `json:"via,omitempty"`
	College     string    `json:"college,omitempty"` // a college assigned (change college_set)
}

// MonthCount is how many admissions, sponsorships and role changes a
// calendar month (UTC) saw.
type MonthCount struct {
	Month       string `json:"month"` // YYYY-MM
	Admitted    int    `json:"admitted"`
	Sponsored   int    `json:"sponsored"`
	RoleChanges int    `json:"role_changes"`
}

// MembershipJournal is a page of the journal, newest first, with the
// counts of every month.
type MembershipJournal struct {
	Entries []MembershipEntry `json:"entries"`
	Months  []MonthCount      `json:"months"`
	More    bool              `json:"more"` // an older page follows
}

// JournalPageSize is how many entries a page of the membership journal
// holds.
const JournalPageSize = 100

// MembershipJournal is read by members and operators, page by page (page
// 1 is the newest), so that every admission and role change is seen.
func (s *Service) MembershipJournal(ctx context.Context, actor Account, page int) (MembershipJournal, error) {
	if err := actor.Require(RoleMember, RoleOperator); err != nil {
		return MembershipJournal{}, err
	}
	if page < 1 {
		page = 1
	}
	if err := s.sync(ctx); err != nil {
		return MembershipJournal{}, err
	}
	q := s.local(ctx)
	rows, err := q.Query(`SELECT j.at, j.account_id, COALESCE(CASE WHEN a.status = 'deleted' THEN NULL ELSE a.name END, ''),
			j.change, j.role, j.actor, COALESCE(CASE WHEN b.status = 'deleted' THEN NULL ELSE b.name END, ''), j.via, j.college
		FROM members_role_journal j
		LEFT JOIN members_accounts a ON a.id = j.account_id
		LEFT JOIN members_accounts b ON b.id = j.actor
		ORDER BY j.at DESC, j.id DESC LIMIT ? OFFSET ?`, JournalPageSize+1, (page-1)*JournalPageSize)
	if err != nil {
		return MembershipJournal{}, fmt.Errorf("read membership journal: %w", err)
	}
	defer rows.Close()
	out := MembershipJournal{Entries: []MembershipEntry{}}
	for rows.Next() {
		var e MembershipEntry
		var at int64
		if err := rows.Scan(&at, &e.Account, &e.AccountName, &e.Change, &e.Role, &e.Actor, &e.ActorName, &e.Via, &e.College); err != nil {
			return MembershipJournal{}, fmt.Errorf("read membership journal: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		out.Entries = append(out.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return MembershipJournal{}, fmt.Errorf("read membership journal: %w", err)
	}
	if len(out.Entries) > JournalPageSize {
		out.Entries, out.More = out.Entries[:JournalPageSize], true
	}
	out.Months, err = monthCounts(q)
	return out, err
}

// MonthlyCounts are the journal's counts per month, newest first: public,
// on the rulebook page, names left out.
func (s *Service) MonthlyCounts(ctx context.Context) ([]MonthCount, error) {
	return monthCounts(s.local(ctx))
}

func monthCounts(q querier) ([]MonthCount, error) {
	rows, err := q.Query(`SELECT strftime('%Y-%m', at / 1000000000, 'unixepoch') AS month,
			SUM(change = ?), SUM(change = ?), SUM(change IN (?, ?, ?))
		FROM members_role_journal GROUP BY month ORDER BY month DESC`,
		ChangeAdmitted, ChangeSponsored, ChangeRoleGranted, ChangeRoleRevoked, ChangeCollege)
	if err != nil {
		return nil, fmt.Errorf("count membership changes: %w", err)
	}
	defer rows.Close()
	out := []MonthCount{}
	for rows.Next() {
		var m MonthCount
		if err := rows.Scan(&m.Month, &m.Admitted, &m.Sponsored, &m.RoleChanges); err != nil {
			return nil, fmt.Errorf("count membership changes: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Applicant is an account waiting for admission.
type Applicant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"` // operators only
	AppliedAt time.Time `json:"applied_at"`
	Sponsors  int       `json:"sponsors"`
	// SponsoredByYou tells a member whether they vouched for this
	// applicant already.
	SponsoredByYou bool `json:"sponsored_by_you"`
}

// Applicants lists the active accounts waiting for admission, oldest
// first: to operators, and to members when the rulebook admits by
// sponsorship (they need the names to vouch; emails stay with operators).
func (s *Service) Applicants(ctx context.Context, actor Account) ([]Applicant, error) {
	if err := actor.Require(RoleOperator, RoleMember); err != nil {
		return nil, err
	}
	m, err := s.Membership(ctx)
	if err != nil {
		return nil, err
	}
	operator := actor.Has(RoleOperator)
	if !operator && m.Admission != governance.AdmitBySponsors {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "applicants_hidden", "applicants are listed to members only when the rulebook admits by sponsorship")
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	rows, err := s.local(ctx).Query(`SELECT a.id, COALESCE(a.name, ''), COALESCE(a.email, ''), r.granted_at,
			(SELECT COUNT(*) FROM members_sponsorships s
				JOIN members_accounts sa ON sa.id = s.sponsor_id AND sa.status = 'active'
				JOIN members_roles sr ON sr.account_id = s.sponsor_id AND sr.role = ?
				WHERE s.account_id = a.id),
			EXISTS(SELECT 1 FROM members_sponsorships s WHERE s.account_id = a.id AND s.sponsor_id = ?)
		FROM members_accounts a JOIN members_roles r ON r.account_id = a.id AND r.role = ?
		WHERE a.status = 'active' ORDER BY r.granted_at, a.id`, RoleMember, actor.ID, RoleApplicant)
	if err != nil {
		return nil, fmt.Errorf("list applicants: %w", err)
	}
	defer rows.Close()
	out := []Applicant{}
	for rows.Next() {
		var a Applicant
		var at int64
		var mine sql.NullBool
		if err := rows.Scan(&a.ID, &a.Name, &a.Email, &at, &a.Sponsors, &mine); err != nil {
			return nil, fmt.Errorf("list applicants: %w", err)
		}
		a.AppliedAt, a.SponsoredByYou = time.Unix(0, at).UTC(), mine.Bool
		if !operator {
			a.Email = ""
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Membership is the membership part of the rulebook in force on this node.
func (s *Service) Membership(ctx context.Context) (governance.Membership, error) {
	rules := s.opts.Rulebook
	if rules == nil {
		rules = governance.New(s.store)
	}
	v, err := rules.Current(ctx)
	if err != nil {
		return governance.Membership{}, err
	}
	return v.Rules.Membership, nil
}
