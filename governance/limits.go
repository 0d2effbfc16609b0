package governance

import (
	"math"

	"coop/raftdata"
)

// HardLimits bind every rulebook: the --rules file at bootstrap, every
// amendment when proposed and again when adopted, and the rulebook in
// force when a proposal or a query is checked (an older rulebook past a
// limit is read as if it stopped at the limit). They live in code, not in
// the replicated state: no vote moves them.
type HardLimits struct {
	// MinCohortFloor: no rulebook lets a result describe fewer members.
	MinCohortFloor int `json:"min_cohort_floor"`
	// MaxEpsilonPerProposal and MaxEpsilonPerPoolYear: the most privacy
	// budget a rulebook may allow one proposal, and one pool in a year.
	MaxEpsilonPerProposal float64 `json:"max_epsilon_per_proposal"`
	MaxEpsilonPerPoolYear float64 `json:"max_epsilon_per_pool_per_year"`
	// MinEpsilonPerQuery: a proposal's query costs at least this much, so
	// a grant runs a bounded number of times.
	MinEpsilonPerQuery float64 `json:"min_epsilon_per_query"`
}

// Limits are the hard limits of this release (DESIGN.md): cohort floor at
// least 5, epsilon at most 4 per proposal and 20 per pool per year, at
// least 0.01 per query.
func Limits() HardLimits {
	return HardLimits{MinCohortFloor: 5, MaxEpsilonPerProposal: 4, MaxEpsilonPerPoolYear: 20, MinEpsilonPerQuery: 0.01}
}

// check lists what in d crosses a hard limit, each naming the field and
// the limit.
func (h HardLimits) check(d Disclosure) raftdata.Problems {
	var problems raftdata.Problems
	if d.MinCohortFloor < h.MinCohortFloor {
		problems.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_cohort_floor_hard", "min_cohort_floor must be at least %d (a hard limit no rulebook crosses), got %d", h.MinCohortFloor, d.MinCohortFloor).
			With("min", h.MinCohortFloor).With("got", d.MinCohortFloor).On("min_cohort_floor"))
	}
	if !(d.MaxEpsilonPerProposal <= h.MaxEpsilonPerProposal) {
		problems.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_epsilon_proposal_hard", "max_epsilon_per_proposal must be at most %g (a hard limit no rulebook crosses), got %g", h.MaxEpsilonPerProposal, d.MaxEpsilonPerProposal).
			With("max", h.MaxEpsilonPerProposal).With("got", d.MaxEpsilonPerProposal).On("max_epsilon_per_proposal"))
	}
	if !(d.MaxEpsilonPerPoolYear <= h.MaxEpsilonPerPoolYear) {
		problems.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_epsilon_pool_hard", "max_epsilon_per_pool_per_year must be at most %g (a hard limit no rulebook crosses), got %g", h.MaxEpsilonPerPoolYear, d.MaxEpsilonPerPoolYear).
			With("max", h.MaxEpsilonPerPoolYear).With("got", d.MaxEpsilonPerPoolYear).On("max_epsilon_per_pool_per_year"))
	}
	return problems
}

// Bounded is d held within the hard limits: what proposals and queries
// are checked against, whatever a rulebook adopted by an older release
// says.
func (d Disclosure) Bounded() Disclosure {
	h := Limits()
	d.MinCohortFloor = max(d.MinCohortFloor, h.MinCohortFloor)
	if !(d.MaxEpsilonPerProposal <= h.MaxEpsilonPerProposal) {
		d.MaxEpsilonPerProposal = h.MaxEpsilonPerProposal
	}
	if !(d.MaxEpsilonPerPoolYear <= h.MaxEpsilonPerPoolYear) {
		d.MaxEpsilonPerPoolYear = h.MaxEpsilonPerPoolYear
	}
	return d
}

// MaxRuns bounds what Runs answers: far above what the hard limits allow
// (4 / 0.01 = 400), and far below any integer overflow.
const MaxRuns = 1_000_000

// Runs is how many times a query costing perQuery may run on a budget of
// total, computed without overflow: 0 when either is not a positive
// number, at most MaxRuns. A share within a billionth of a whole number
// counts as that number (0.3 / 0.1 is 3 runs, not 2).
func Runs(total, perQuery float64) int {
	if !(total > 0) || !(perQuery > 0) || math.IsInf(total, 0) {
		return 0
	}
	n := total / perQuery
	if !(n < MaxRuns) {
		return MaxRuns
	}
	return int(math.Floor(n + 1e-9))
}
