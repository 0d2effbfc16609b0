package governance

import (
	"fmt"
	"math/big"
)

// Tally counts the votes of a closed vote, proxies included.
type Tally struct {
	Yes        int `json:"yes"`
	No         int `json:"no"`
	Abstain    int `json:"abstain"`
	Electorate int `json:"electorate"`
	// Proxied is how many of the votes counted a proxy holder cast for a
	// member who did not vote themselves.
	Proxied int `json:"proxied,omitempty"`
	// Colleges is each college's count when the vote had two or more
	// (their weights fixed when it opened).
	Colleges []CollegeTally `json:"colleges,omitempty"`
	// InScope says, under a double majority, whether the voters whose data
	// is in scope approved: never how many they were or how they voted.
	InScope *InScope `json:"in_scope,omitempty"`
	// TokensIssued is, for a secret ballot, how many voting tokens were
	// signed: a count of ballots above it would be a forged token.
	TokensIssued int `json:"tokens_issued,omitempty"`
}

// CollegeTally is one college's count.
type CollegeTally struct {
	Name          string `json:"name"`
	WeightPercent int    `json:"weight_percent"`
	Yes           int    `json:"yes"`
	No            int    `json:"no"`
	Abstain       int    `json:"abstain"`
	Electorate    int    `json:"electorate"`
}

// InScope is all a tally says of the voters whose data is in scope.
type InScope struct {
	Majority bool `json:"majority"`
}

// ScopeCount is the yes and no of the voters whose data is in scope of a
// proposal. A decision reads it; no tally, event, page or log carries it:
// how many members consent to a pool is itself personal.
type ScopeCount struct {
	Yes, No int
}

// Cast is the number of votes counted, abstentions included.
func (t Tally) Cast() int { return t.Yes + t.No + t.Abstain }

// Choices a ballot may carry.
const (
	Yes     = "yes"
	No      = "no"
	Abstain = "abstain"
)

// Elector is a member of a vote's electorate as counting sees them.
type Elector struct {
	Key     string // the voter's pseudonym in this vote
	College string // "" with one college
	InScope bool   // their data was in scope of the proposal when it opened
}

// Vote is one vote counted: the elector's own ballot, or their proxy
// holder's. Count is how many identical votes it stands for (0 counts as
// one): a vote's direct ballots are counted by SQL in groups of the same
// college, scope and choice.
type Vote struct {
	Elector
	Choice  string
	Proxied bool
	Count   int
}

// n is how many votes v stands for.
func (v Vote) n() int { return max(v.Count, 1) }

// Resolve says whose vote counts, and how: each elector once, with their
// own ballot if they cast one (direct, by voter key), else with the
// ballot their proxy holder, an elector too, cast themselves (holders
// maps a giver's key to the holder's), else not at all. A proxy is never passed on: a holder's
// ballot carries the proxies given to them, not those of their own
// holder. A holder carries at most maxPerHolder proxies; beyond it, in the
// electors' order, a proxy does not count (the proposals FSM refuses them
// before they are given: this is the last line). Pure, the same on every
// node.
func Resolve(electors []Elector, direct, holders map[string]string, maxPerHolder int) []Vote {
	carried := map[string]int{}
	in := make(map[string]bool, len(holders))
	if len(holders) > 0 {
		for _, e := range electors {
			in[e.Key] = true
		}
	}
	var votes []Vote
	for _, e := range electors {
		if choice, ok := direct[e.Key]; ok {
			votes = append(votes, Vote{Elector: e, Choice: choice})
			continue
		}
		h, ok := holders[e.Key]
		if !ok || h == e.Key || !in[h] {
			continue
		}
		choice, voted := direct[h]
		if !voted || carried[h] >= maxPerHolder {
			continue
		}
		carried[h]++
		votes = append(votes, Vote{Elector: e, Choice: choice, Proxied: true})
	}
	return votes
}

// Electorate is the size of a vote's electorate by college ("" with one
// college).
type Electorate map[string]int

// ElectorateOf counts electors by college.
func ElectorateOf(electors []Elector) Electorate {
	e := Electorate{}
	for _, el := range electors {
		e[el.College]++
	}
	return e
}

// Sum counts votes into a tally: the electorate, and by college when
// colleges names two or more (a college the rulebook does not name counts
// in the first). The yes and no of the voters whose data is in scope come
// apart, for the double majority only.
func Sum(electorate Electorate, votes []Vote, colleges []College) (Tally, ScopeCount) {
	var t Tally
	var scope ScopeCount
	index := map[string]int{}
	if len(colleges) >= 2 {
		t.Colleges = make([]CollegeTally, len(colleges))
		for i, c := range colleges {
			t.Colleges[i] = CollegeTally{Name: c.Name, WeightPercent: c.WeightPercent}
			index[c.Name] = i
		}
	}
	for college, n := range electorate {
		t.Electorate += n
		if t.Colleges != nil {
			t.Colleges[index[CollegeOf(colleges, college)]].Electorate += n
		}
	}
	for _, v := range votes {
		var college *CollegeTally
		if t.Colleges != nil {
			college = &t.Colleges[index[CollegeOf(colleges, v.College)]]
		}
		n := v.n()
		switch v.Choice {
		case Yes:
			t.Yes += n
			if college != nil {
				college.Yes += n
			}
			if v.InScope {
				scope.Yes += n
			}
		case No:
			t.No += n
			if college != nil {
				college.No += n
			}
			if v.InScope {
				scope.No += n
			}
		case Abstain:
			t.Abstain += n
			if college != nil {
				college.Abstain += n
			}
		default:
			continue
		}
		if v.Proxied {
			t.Proxied += n
		}
	}
	return t, scope
}

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
	// InScope is set under a double majority: whether the voters whose
	// data is in scope approved.
	InScope *InScope `json:"in_scope,omitempty"`
}

// Decide applies a voting rule to a tally (and, under a double majority,
// to the in-scope count). It is pure, in whole numbers: the same tally and
// rule give the same decision on every node and in every replay.
//   - Quorum: cast*100 >= quorum*electorate, counted over every member
//     (one member, one vote, colleges or not).
//   - Approval, one college: yes*100 > approval*(yes+no). With two or more
//     colleges, each college's yes share yes/(yes+no) weighs its weight,
//     among the colleges where someone voted yes or no: the weighted
//     share must be more than approval % (exact fractions).
//   - Double majority: the in-scope voters' yes*100 > approval*(yes+no)
//     as well; without an in-scope yes the proposal is rejected. The
//     reason never gives their numbers.
func Decide(rule VotingRule, t Tally, scope ScopeCount) Decision {
	if t.Electorate <= 0 {
		return Decision{Outcome: Rejected, Reason: "quorum not met: the electorate is empty"}
	}
	if t.Cast()*100 < rule.QuorumPercent*t.Electorate {
		return Decision{Outcome: Rejected, Reason: fmt.Sprintf("quorum not met: %d of %d members voted, %d%% needed", t.Cast(), t.Electorate, rule.QuorumPercent)}
	}
	var d Decision
	if rule.DoubleMajority {
		d.InScope = &InScope{Majority: approves(scope.Yes, scope.No, rule.ApprovalPercent)}
	}
	if len(t.Colleges) >= 2 {
		share, ok := weightedYes(t.Colleges)
		pct := "none"
		if ok {
			pct = new(big.Rat).Mul(share, big.NewRat(100, 1)).FloatString(1) + "%"
		}
		if !ok || share.Cmp(big.NewRat(int64(rule.ApprovalPercent), 100)) <= 0 {
			d.Outcome, d.Reason = Rejected, fmt.Sprintf("not approved: %s yes weighted across the colleges, more than %d%% needed (%d yes, %d no in all)", pct, rule.ApprovalPercent, t.Yes, t.No)
			return d
		}
		d.Outcome, d.Reason = Passed, fmt.Sprintf("approved: %s yes weighted across the colleges (%d yes, %d no, %d abstentions), %d of %d voted", pct, t.Yes, t.No, t.Abstain, t.Cast(), t.Electorate)
	} else {
		if !approves(t.Yes, t.No, rule.ApprovalPercent) {
			d.Outcome, d.Reason = Rejected, fmt.Sprintf("not approved: %d yes, %d no, more than %d%% yes needed", t.Yes, t.No, rule.ApprovalPercent)
			return d
		}
		d.Outcome, d.Reason = Passed, fmt.Sprintf("approved: %d yes, %d no, %d abstentions, %d of %d voted", t.Yes, t.No, t.Abstain, t.Cast(), t.Electorate)
	}
	if d.InScope != nil && !d.InScope.Majority {
		d.Outcome, d.Reason = Rejected, fmt.Sprintf("not approved by the members whose data is in scope: a double majority is needed (more than %d%% yes among all votes and among theirs)", rule.ApprovalPercent)
	}
	return d
}

// approves is yes*100 > approval*(yes+no): more than approval % of the
// yes and no (a tie, or no vote at all, does not approve).
func approves(yes, no, approval int) bool {
	return yes*100 > approval*(yes+no)
}

// weightedYes is the weighted yes share of the colleges where someone
// voted yes or no, and false when no college did.
func weightedYes(cs []CollegeTally) (*big.Rat, bool) {
	sum, weights := new(big.Rat), int64(0)
	for _, c := range cs {
		if c.Yes+c.No == 0 {
			continue
		}
		share := big.NewRat(int64(c.Yes), int64(c.Yes+c.No))
		sum.Add(sum, share.Mul(share, big.NewRat(int64(c.WeightPercent), 1)))
		weights += int64(c.WeightPercent)
	}
	if weights == 0 {
		return nil, false
	}
	return sum.Quo(sum, big.NewRat(weights, 1)), true
}

// CanCloseEarly tells whether a vote may close before its deadline, from
// how many of the electorate have a vote that counts (abstentions and
// proxies included).
func CanCloseEarly(rule VotingRule, cast, electorate int) bool {
	return rule.EarlyClose == CloseWhenAllVoted && electorate > 0 && cast >= electorate
}
