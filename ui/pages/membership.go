package pages

import (
	"coop/governance"
	"coop/members"
	"coop/ui/i18n"
)

// Applicants is the queue of accounts awaiting admission, as an operator
// (admit buttons) or a member under sponsorship (sponsor buttons) sees it.
type Applicants struct {
	List       []members.Applicant
	Membership governance.Membership
	AsOperator bool
}

// MembershipJournal is what the rulebook page shows of the membership
// journal: the counts of every month, and to members and operators the
// latest entries with names.
type MembershipJournal struct {
	Months  []members.MonthCount
	Entries []members.MembershipEntry // nil when the viewer may not read names
	CanRead bool                      // the viewer may read the whole journal
}

// journalWho is the name of an account in the journal, or the words for
// an erased one.
func journalWho(tr i18n.Tr, id, name string) string {
	if name != "" {
		return name
	}
	if id == "" {
		return ""
	}
	return tr.T("journal.erased")
}

// journalBy is who made a change: an account, or how the rulebook or the
// sponsors decided.
func journalBy(tr i18n.Tr, e members.MembershipEntry) string {
	if e.Actor != "" {
		return journalWho(tr, e.Actor, e.ActorName)
	}
	if e.Via != "" && tr.Has("journal.by."+e.Via) {
		return tr.T("journal.by." + e.Via)
	}
	return ""
}

// journalWhat says what changed, in words.
func journalWhat(tr i18n.Tr, e members.MembershipEntry) string {
	switch e.Change {
	case members.ChangeRoleGranted, members.ChangeRoleRevoked:
		return tr.F("journal.change."+e.Change, tr.T("role."+string(e.Role)))
	case members.ChangeCollege:
		return tr.F("journal.change."+e.Change, e.College)
	}
	return tr.T("journal.change." + e.Change)
}
