package governance

import "fmt"

// Tally counts the ballots of a closed vote.
type Tally struct {
	Yes        int `json:"yes"`
	No         int `json:"no"`
	Abstain    int `json:"abstain"`
	Electorate int `json:"electorate"`
}

// Cast is the number of ballots cast, abstentions included.
func (t Tally) Cast() int { return t.Yes + t.No + t.Abstain }

// Outcome of a vote.
type Outcome string

const (
	Passed   Outcome = "passed"
	Rejected Outcome = "rejected"
)

// Decision is an outcome with the reason, in words a member reads.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
}

// Decide applies a voting rule to a tally. It is pure: the same tally and
// rule give the same decision on every node and in every replay.
// Quorum: cast*100 >= quorum*electorate. Approval: yes*100 > approval*(yes+no).
func Decide(rule VotingRule, t Tally) Decision {
	if t.Electorate <= 0 {
		return Decision{Rejected, "quorum not met: the electorate is empty"}
	}
	if t.Cast()*100 < rule.QuorumPercent*t.Electorate {
		return Decision{Rejected, fmt.Sprintf("quorum not met: %d of %d members voted, %d%% needed", t.Cast(), t.Electorate, rule.QuorumPercent)}
	}
	if t.Yes*100 <= rule.ApprovalPercent*(t.Yes+t.No) {
		return Decision{Rejected, fmt.Sprintf("not approved: %d yes, %d no, more than %d%% yes needed", t.Yes, t.No, rule.ApprovalPercent)}
	}
	return Decision{Passed, fmt.Sprintf("approved: %d yes, %d no, %d abstentions, %d of %d voted", t.Yes, t.No, t.Abstain, t.Cast(), t.Electorate)}
}

// CanCloseEarly tells whether a vote may close before its deadline, from
// how many of the electorate have cast a ballot (abstentions included).
func CanCloseEarly(rule VotingRule, cast, electorate int) bool {
	return rule.EarlyClose == CloseWhenAllVoted && electorate > 0 && cast >= electorate
}
