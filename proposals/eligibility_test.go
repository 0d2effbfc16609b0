package proposals

import (
	"testing"
	"time"

	"coop/members"
)

func TestIneligibility_TheFirstReasonThatApplies(t *testing.T) {
	opened := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := Proposal{ID: "p", Requester: "req", OpenedAt: &opened}
	member := func(id string, charter bool) members.Account {
		return members.Account{ID: id, Roles: []members.Role{members.RoleMember}, Status: members.StatusActive, CharterCurrent: charter}
	}
	before, after := opened.Add(-time.Hour), opened.Add(time.Hour)
	tests := []struct {
		name  string
		a     members.Account
		in    bool
		since time.Time
		want  string
	}{
		{"anonymous", members.Account{}, false, time.Time{}, NotSignedIn},
		{"voter", member("m", true), true, before, ""},
		{"requester", members.Account{ID: "req", Roles: []members.Role{members.RoleResearcher}}, false, time.Time{}, IsRequester},
		{"applicant", members.Account{ID: "a", Roles: []members.Role{members.RoleApplicant}}, false, time.Time{}, NotAdmitted},
		{"operator", members.Account{ID: "o", Roles: []members.Role{members.RoleOperator}}, false, time.Time{}, NotMember},
		{"admitted later", member("m", true), false, after, AdmittedAfterOpen},
		{"no charter", member("m", false), false, before, NoCurrentCharter},
		{"suspended at the opening", member("m", true), false, before, NotInElectorate},
	}
	for _, tt := range tests {
		if got := Ineligibility(tt.a, p, tt.in, tt.since); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
