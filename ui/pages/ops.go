package pages

import (
	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/ui/components"
)

// Ops is the operators' page: the cluster's health and the accounts, with
// the forms that change their roles and status. It never shows pooled
// data.
type Ops struct {
	Page         components.Page
	Leader       string
	Term         uint64
	Nodes        []OpsNode
	ClusterError string
	Accounts     []members.Account
	Error        components.FormError
	Accesses     []pooling.AccessEvent // the access journal, newest first
	Backups      Backups
	Applicants   Applicants // the accounts awaiting admission
	Self         string     // the operator's own account: no role buttons (no one changes their own roles)
	// ResetLinks offers a one-time reset link per account: the coop
	// sends no email, so an operator hands the link over.
	ResetLinks bool
	Colleges   []governance.College // the rulebook's colleges, to assign (ballots.go)
	Guests     OpsGuests
}

// OpsNode is one node of the cluster; Lag is how many entries it applied
// fewer than the leader.
type OpsNode struct {
	ID       string
	Address  string
	State    string
	Applied  uint64
	Lag      uint64
	IsLeader bool
	Error    string
}

// grantable tells whether an operator may grant role to a: no account
// holds operator and researcher together.
func grantable(a members.Account, role members.Role) bool {
	switch role {
	case members.RoleResearcher:
		return !a.Has(members.RoleOperator)
	case members.RoleOperator:
		return !a.Has(members.RoleResearcher)
	}
	return true
}

// hasRole tells whether an account holds role.
func hasRole(a members.Account, role members.Role) bool { return a.Has(role) }
