package proposals

import (
	"context"
	"fmt"
	"time"

	"coop/members"
)

// Why an account does not vote on an open proposal (Ineligibility). The
// electorate is fixed when the vote opens: admitted members, active, who
// had signed the current member charter, the requester excepted.
const (
	NotSignedIn       = "not_signed_in"       // an anonymous visitor
	NotAdmitted       = "not_admitted"        // an applicant, awaiting admission
	NotMember         = "not_member"          // an account of another kind: a guest, a researcher, an operator
	IsRequester       = "requester"           // who made the proposal
	AdmittedAfterOpen = "admitted_after_open" // admitted once the vote had opened
	NoCurrentCharter  = "no_current_charter"  // has not signed the member charter in force
	NotInElectorate   = "not_in_electorate"   // anything else: suspended or without the charter when it opened
)

// InElectorate tells whether the account is among the voters of a
// proposal (fixed when it opened), from the local copy.
func (s *Service) InElectorate(ctx context.Context, id, accountID string) (bool, error) {
	ok, err := s.exists(ctx, `SELECT 1 FROM proposals_electorate WHERE proposal = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return false, fmt.Errorf("read the electorate of %s: %w", id, err)
	}
	return ok, nil
}

// Ineligibility says why a cannot vote on p: "" when a is in its
// electorate (inElectorate), else one of the reasons above, the first
// that applies. memberSince is when a was admitted (zero if never).
// Anonymous visitors have a zero a.ID.
func Ineligibility(a members.Account, p Proposal, inElectorate bool, memberSince time.Time) string {
	switch {
	case a.ID == "":
		return NotSignedIn
	case inElectorate:
		return ""
	case a.ID == p.Requester:
		return IsRequester
	case a.Has(members.RoleApplicant):
		return NotAdmitted
	case !a.Has(members.RoleMember):
		return NotMember
	case p.OpenedAt != nil && !memberSince.IsZero() && memberSince.After(*p.OpenedAt):
		return AdmittedAfterOpen
	case !a.CharterCurrent:
		return NoCurrentCharter
	}
	return NotInElectorate
}
