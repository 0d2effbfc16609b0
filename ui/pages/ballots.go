package pages

import (
	"strings"

	"coop/governance"
	"coop/proposals"
	"coop/ui/components"
)

// How members vote besides one ballot each: proxies, secret ballots,
// colleges, the double majority, turnout (issue 15).

// VoteWays is what a proposal's page shows of how its vote is held and,
// to a member, what they may do besides a ballot.
type VoteWays struct {
	How    []string     // how the vote is held, in words (secret, double majority, proxies, colleges)
	Secret *SecretForm  // an open secret vote the member is in the electorate of
	Proxy  *ProxyForm   // an open vote that takes proxies, to a member of its electorate
	Tally  *TallyDetail // a closed vote's tally beyond yes, no and abstain
}

// SecretForm is the secret ballot of one open vote: cast by ballot.js
// with the member's voting token, never as the member.
type SecretForm struct {
	Proposal string
	CSRF     string
	Script   string // the hashed URL of ballot.js
	// Refusals is, in JSON, the sentence of each refusal ballot.js can
	// meet, by reason ("code.<code>" for the others), in the page's
	// language: it fills in the parameters.
	Refusals string
}

// ProxyForm is a member's proxy on one open vote.
type ProxyForm struct {
	Proposal string
	Cap      int
	Given    *proposals.ProxyGiven
	Held     []proposals.ProxyHeld
	Email    string // typed, on a refused form
	Error    components.FormError
}

// TallyDetail is what a closed vote's tally adds to its counts.
type TallyDetail struct {
	Proxied      int
	Colleges     []governance.CollegeTally
	InScope      *governance.InScope
	TokensIssued int
	Secret       bool
	Cast         int
}

// MeBallots is the member's standing proxy, the proxies they carry, their
// college, and (for ballot.js) the secret votes' tokens to take.
type MeBallots struct {
	Admitted bool
	College  string // "" with one college
	Colleges bool   // the rulebook names colleges
	Standing proposals.StandingProxy
	Email    string
	Error    components.FormError
	Script   string // ballot.js: takes the tokens of every open secret vote
}

// RulesBallots is what /rules says of proxies, colleges, secret ballots and
// the turnout of past votes.
type RulesBallots struct {
	Proxies  governance.Proxies
	Colleges []governance.College
	Turnout  []KindTurnout
}

// KindTurnout is the turnout of one kind's votes over the last 12 months.
type KindTurnout struct {
	Kind        string
	Calibration governance.Calibration
}

// AmendmentNew is the form of an amendment to the voting rules: each
// kind's quorum and approval, the proxy cap, starting from the rulebook
// in force or from the quorums the turnout suggests.
type AmendmentNew struct {
	Page          components.Page
	Title         string
	Purpose       string
	VotingMinutes string
	Kinds         []AmendKind
	Proxies       string
	Suggested     bool // the quorums start from the turnout's suggestion
	Error         components.FormError
}

// AmendKind is one kind's quorum and approval in the amendment form.
type AmendKind struct {
	Kind      string
	Quorum    string
	Approval  string
	Suggested int // the calibrated quorum, 0 without past votes
}

// OpsGuests is the operators' form to invite a guest, and the password of
// the one just invited (shown once).
type OpsGuests struct {
	Name, Email, Days string
	Invited           *InvitedGuest
	Error             components.FormError
}

// InvitedGuest is a guest just invited: how they sign in, shown once.
type InvitedGuest struct {
	Name, Email, Password string
	ExpiresAt             string
}

// quorumDescribed is what describes a kind's quorum field: the quorum the
// turnout suggests, and the refusal about the field.
func quorumDescribed(e components.FormError, k AmendKind) string {
	var ids []string
	if k.Suggested > 0 {
		ids = append(ids, "quorum-hint-"+k.Kind)
	}
	if d := e.Described("quorum_" + k.Kind); d != "" {
		ids = append(ids, d)
	}
	return strings.Join(ids, " ")
}
