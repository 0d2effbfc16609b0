package governance

import (
	"coop/raftdata"
	"regexp"
)

// How members vote, besides the rule of each kind: proxies, colleges,
// secret ballots and the double majority (the checks of VotingRule's
// Secret and DoubleMajority are here too).

// DefaultProxies is how many proxies a member may carry by default: the
// cap French cooperatives' statutes usually set.
const DefaultProxies = 2

// maxProxies bounds proxies.max_per_holder: beyond it, a few members
// would decide for everyone.
const maxProxies = 10

// Proxies says how members give their vote to another member.
type Proxies struct {
	// MaxPerHolder is how many proxies one member may carry on one
	// proposal (standing proxies included); 0 turns proxies off.
	MaxPerHolder int `json:"max_per_holder"`
}

func (p Proxies) check() []*raftdata.Error {
	if p.MaxPerHolder < 0 || p.MaxPerHolder > maxProxies {
		return []*raftdata.Error{raftdata.Refuse(raftdata.CodeInvalid, "rules_proxies", "proxies.max_per_holder must be within 0..%d (0: no proxies), got %d", maxProxies, p.MaxPerHolder).
			With("max", maxProxies).With("got", p.MaxPerHolder).On("proxies.max_per_holder")}
	}
	return nil
}

// College is one college of a cooperative that has several (a SCIC's
// users, producers, partners...): one member one vote inside it, and its
// result weighs WeightPercent of the outcome.
type College struct {
	Name          string `json:"name"`
	WeightPercent int    `json:"weight_percent"`
}

// College weights, as cooperatives' law frames them for a SCIC: no college
// weighs less than 10 % or more than 50 %, and together they make 100 %.
const (
	MinCollegeWeight = 10
	MaxCollegeWeight = 50
)

var collegeName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// checkColleges: none (one college, as before colleges existed), or two
// or more with distinct names and weights of 10 to 50 % summing to 100.
func checkColleges(cs []College) []*raftdata.Error {
	if len(cs) == 0 {
		return nil
	}
	var problems []*raftdata.Error
	bad := func(reason, format string, args ...any) *raftdata.Error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...).On("colleges")
		problems = append(problems, e)
		return e
	}
	if len(cs) == 1 {
		bad("rules_colleges_one", "colleges: name two or more colleges, or none (one college for every member)")
	}
	seen := map[string]bool{}
	sum := 0
	for _, c := range cs {
		if !collegeName.MatchString(c.Name) {
			bad("rules_college_name", "colleges: a name is 1 to 32 lower-case letters, digits, - or _, starting with a letter, got %q", c.Name).With("name", c.Name)
		}
		if seen[c.Name] {
			bad("rules_college_twice", "colleges: %q is named twice", c.Name).With("name", c.Name)
		}
		seen[c.Name] = true
		if c.WeightPercent < MinCollegeWeight || c.WeightPercent > MaxCollegeWeight {
			bad("rules_college_weight", "colleges: %q weighs %d%%: each college weighs %d%% to %d%%", c.Name, c.WeightPercent, MinCollegeWeight, MaxCollegeWeight).
				With("name", c.Name).With("got", c.WeightPercent).With("min", MinCollegeWeight).With("max", MaxCollegeWeight)
		}
		sum += c.WeightPercent
	}
	if sum != 100 {
		bad("rules_college_sum", "colleges: the weights sum to %d%%, not 100%%", sum).With("sum", sum)
	}
	return problems
}

// CollegeOf is the college a member votes in: theirs when the rulebook
// names it, else the first college (members not yet assigned, or whose
// college a later rulebook dropped). With no colleges it is "".
func CollegeOf(cs []College, assigned string) string {
	if len(cs) == 0 {
		return ""
	}
	for _, c := range cs {
		if c.Name == assigned {
			return assigned
		}
	}
	return cs[0].Name
}

// HasCollege tells whether the rulebook names college name.
func (r Rulebook) HasCollege(name string) bool {
	for _, c := range r.Colleges {
		if c.Name == name {
			return true
		}
	}
	return false
}

// checkBallots is what a kind's rule says of secret ballots and the double
// majority.
func (v VotingRule) checkBallots(k Kind) []*raftdata.Error {
	var problems []*raftdata.Error
	if v.DoubleMajority && !k.UsesData() {
		problems = append(problems, raftdata.Refuse(raftdata.CodeInvalid, "rules_double_majority_kind",
			"%s: double_majority is for proposals that use pooled data (knowledge, reuse): no one's data is in scope of a %s", k, k).
			With("kind", k).On("voting."+string(k)+".double_majority"))
	}
	if v.DoubleMajority && v.Secret {
		problems = append(problems, raftdata.Refuse(raftdata.CodeInvalid, "rules_secret_double_majority",
			"%s: a vote is secret or decided by a double majority, not both: a secret ballot cannot tell whether its voter's data is in scope", k).
			With("kind", k).On("voting."+string(k)+".secret"))
	}
	return problems
}
