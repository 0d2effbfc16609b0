package pages

import "coop/ui/components"

// Backups says who can open the backups of every member's data: on
// /rules for everyone, on /ops for operators.
type Backups struct {
	// SealedTo is "operator" or "custodians".
	SealedTo string
	// Sealing is the set backups are sealed to; nil: the operator.
	Sealing *CustodianSet
	// Pending is a newer set waiting for its custodians' keys.
	Pending *CustodianSet
	// Names: the custodians' names are shown (signed-in visitors).
	Names bool
	// CanPropose: the visitor may propose an election (a member).
	CanPropose bool
}

// CustodianSet is one elected set of custodians.
type CustodianSet struct {
	Version    int
	Threshold  int
	Size       int
	Registered int
	Seats      []CustodianSeat
}

// CustodianSeat is one custodian; Name is empty once the account is erased.
type CustodianSeat struct {
	Name       string
	Registered bool
}

// CustodianKey is the page where an elected custodian registers the
// public key they made on their own machine.
type CustodianKey struct {
	Page components.Page
	// Custodian: the visitor holds a seat of the newest set.
	Custodian bool
	Set       *CustodianSet
	// PublicKey is the key the visitor registered, if any.
	PublicKey string
	Value     string // what was typed
	Error     components.FormError
}

// CustodiansNew is the form of a custodians election.
type CustodiansNew struct {
	Page          components.Page
	Title         string
	Purpose       string
	Threshold     string
	Emails        string // one per line
	VotingMinutes string
	MinMinutes    int
	Error         components.FormError
}
