package pages

import (
	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/ui/components"
)

// Ops is the operators' page: the health of the node and the cluster,
// the applicants queue, a page of the accounts (searched by name or
// email), the access journal and the backups. It never shows pooled data.
type Ops struct {
	Page           components.Page
	Health         OpsHealth
	Leader         string
	Term           uint64
	Nodes          []OpsNode
	ClusterError   bool
	Members        members.AccountPage
	Query          string // the search the members list answers
	Pages          int    // how many pages the search has
	PrevURL        string // the previous page of members, "" on the first
	NextURL        string // the next page, "" on the last
	Error          components.FormError
	Accesses       []pooling.AccessEvent // the access journal, newest first
	PoolTitles     map[string]string     // pool id -> title in the page's language
	Backups        Backups
	Applicants     Applicants // the accounts awaiting admission (the first ones)
	MoreApplicants int        // applicants beyond those listed
	Guests         OpsGuests  // the guests form (ballots.go)
}

// PoolTitle is a pool's title in the page's language, its id when the
// pool is unknown.
func (v Ops) PoolTitle(id string) string {
	if t := v.PoolTitles[id]; t != "" {
		return t
	}
	return id
}

// OpsHealth is the health summary of the operators' page. Each part says
// whether it is fine (the page marks the others).
type OpsHealth struct {
	DiskFree, DiskTotal string // written for the page; DiskTotal "" when unknown
	DiskOK              bool   // at least a tenth of the disk is free
	NATS                string // connected, disconnected, or none (no live updates)
	LastBackup          string // when the last backup was sent in full, "" for never
	MaxLag              uint64 // the most entries a server is behind the coordinating one
	Lagging             string // the server that is most behind, "" when none is
	StorageFault        bool   // this server cannot write its databases
}

// healthClass is the class of a health item.
func healthClass(ok bool) string {
	if ok {
		return "ok"
	}
	return "warn"
}

// OpsNode is one server of the cluster; Lag is how many entries it
// applied fewer than the coordinating server; Problem names what is
// wrong with it ("unreachable", "storage"), "" when nothing is.
type OpsNode struct {
	ID       string
	Address  string
	State    string
	Applied  uint64
	Lag      uint64
	IsLeader bool
	Problem  string
}

// nodeState is a server's raft state in plain words.
func nodeState(p components.Page, state string) string {
	if p.Tr.Has("ops.state." + state) {
		return p.Tr.T("ops.state." + state)
	}
	return state
}

// OpsMember is one account's page for operators.
type OpsMember struct {
	Page        components.Page
	Account     members.Account
	MemberSince string // when the account was admitted, "" if never
	Self        string // the operator's own account: no role buttons
	// ResetLinks offers a one-time reset link: the coop sends no email,
	// so an operator hands the link over.
	ResetLinks bool
	Colleges   []governance.College // the rulebook's colleges, to assign (ballots.go)
	Error      components.FormError
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
