// Package proposals holds the life of a usage proposal: a researcher
// drafts it and opens it, the electorate is fixed, members vote (one
// member, one vote), the leader closes it at its deadline, and a passed
// proposal becomes a grant with its privacy budget.
package proposals

import (
	"math"
	"strings"
	"time"

	"coop/governance"
	"coop/pooling"
	"coop/raftdata"
)

// Status of a proposal.
type Status string

const (
	StatusDraft    Status = "draft"
	StatusOpen     Status = "open"
	StatusPassed   Status = "passed"
	StatusRejected Status = "rejected"
	StatusExpired  Status = "expired" // passed, and its grant is past its end
)

// Privacy is what the proposal asks of the pooled data.
type Privacy struct {
	MinCohort       int     `json:"min_cohort"`
	EpsilonTotal    float64 `json:"epsilon_total"`
	EpsilonPerQuery float64 `json:"epsilon_per_query"`
}

// Draft is what a researcher submits.
type Draft struct {
	Title         string          `json:"title"`
	Purpose       string          `json:"purpose"`
	Kind          governance.Kind `json:"kind"`
	Pool          string          `json:"pool,omitempty"`
	Query         *pooling.Query  `json:"query,omitempty"`
	Privacy       *Privacy        `json:"privacy,omitempty"`
	VotingMinutes int             `json:"voting_minutes"`
	GrantDays     int             `json:"grant_days,omitempty"`
	Organisation  string          `json:"organisation,omitempty"`
	// RetentionDays (reuse): how long the coop keeps each result, at most
	// the rulebook's output_retention_days (0: that).
	RetentionDays int                  `json:"retention_days,omitempty"`
	Rules         *governance.Rulebook `json:"rules,omitempty"` // the rulebook an amendment proposes
	// Custodians is the set a custodians proposal elects.
	Custodians *governance.CustodianSet `json:"custodians,omitempty"`
	Draft      bool                     `json:"draft,omitempty"` // keep as a draft, open later
}

// Runs is how many times the query may run on its budget (without
// overflow, whatever the numbers).
func (p Privacy) Runs() int { return governance.Runs(p.EpsilonTotal, p.EpsilonPerQuery) }

// Tally is the count of ballots.
type Tally = governance.Tally

// Proposal is a proposal as everyone may read it. The tally is shown once
// the vote is closed; during the vote only the participation.
type Proposal struct {
	ID            string                   `json:"id"`
	Requester     string                   `json:"requester"`
	Title         string                   `json:"title"`
	Purpose       string                   `json:"purpose"`
	Kind          governance.Kind          `json:"kind"`
	Pool          string                   `json:"pool,omitempty"`
	Query         *pooling.Query           `json:"query,omitempty"`
	Privacy       *Privacy                 `json:"privacy,omitempty"`
	VotingMinutes int                      `json:"voting_minutes"`
	GrantDays     int                      `json:"grant_days,omitempty"`
	Organisation  string                   `json:"organisation,omitempty"`
	RetentionDays int                      `json:"retention_days,omitempty"`
	Rules         *governance.Rulebook     `json:"rules,omitempty"`
	Custodians    *governance.CustodianSet `json:"custodians,omitempty"`
	Status        Status                   `json:"status"`
	Reason        string                   `json:"reason,omitempty"`
	CreatedAt     time.Time                `json:"created_at"`
	OpenedAt      *time.Time               `json:"opened_at,omitempty"`
	Deadline      *time.Time               `json:"deadline,omitempty"`
	ClosedAt      *time.Time               `json:"closed_at,omitempty"`
	Participation *int                     `json:"participation,omitempty"` // votes that count so far, proxies included (open)
	Tally         *Tally                   `json:"tally,omitempty"`         // after the close
	Grant         *Grant                   `json:"grant,omitempty"`
	// How the vote is held, fixed when it opened: a secret ballot (voting
	// tokens, no proxies), a double majority (reuse), how many proxies a
	// member may carry, the colleges and their weights.
	Secret         bool                 `json:"secret,omitempty"`
	DoubleMajority bool                 `json:"double_majority,omitempty"`
	ProxyCap       int                  `json:"proxy_cap,omitempty"`
	Colleges       []governance.College `json:"colleges,omitempty"`
}

// Limits of the free text of a proposal.
const (
	maxTitle   = 200
	maxPurpose = 5000
	maxGrant   = 3650
)

// validate checks a draft against the rulebook and the pool it targets.
// pool is nil for a kind that uses no data (amendment, custodians). Each
// problem names its reason and the field of the draft it is about.
func (d Draft) validate(rules governance.Rulebook, pool *pooling.Pool) error {
	var problems raftdata.Problems
	bad := func(reason, field, format string, args ...any) *raftdata.Error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...).On(field)
		problems.Add(e)
		return e
	}
	if t := strings.TrimSpace(d.Title); t == "" || len(t) > maxTitle {
		bad("proposal_title", "title", "a title is required (at most %d characters)", maxTitle).With("max", maxTitle)
	}
	if p := strings.TrimSpace(d.Purpose); p == "" || len(p) > maxPurpose {
		bad("proposal_purpose", "purpose", "the purpose, in plain words, is required (at most %d characters)", maxPurpose).With("max", maxPurpose)
	}
	rule, ok := rules.Rule(d.Kind)
	if !ok {
		return raftdata.Refuse(raftdata.CodeInvalid, "proposal_kind", "kind must be knowledge, reuse, amendment or custodians, got %q", d.Kind).On("kind")
	}
	if d.VotingMinutes < rule.MinMinutes || d.VotingMinutes > rule.MaxMinutes {
		bad("voting_minutes", "voting_minutes", "voting_minutes must be within %d..%d for a %s proposal, got %d", rule.MinMinutes, rule.MaxMinutes, d.Kind, d.VotingMinutes).
			With("min", rule.MinMinutes).With("max", rule.MaxMinutes).With("kind", d.Kind)
	}
	if d.Custodians != nil && d.Kind != governance.Custodians {
		bad("custodians_kind", "custodians", "only a custodians proposal names custodians")
	}
	switch d.Kind {
	case governance.Amendment:
		if d.Rules == nil {
			bad("amendment_rules", "rules", "an amendment carries the rulebook it proposes (rules)")
		} else if err := d.Rules.Validate(); err != nil {
			problems.AddFrom(err, "amendment_rules", "rulebook: ")
		}
		if d.Query != nil || d.Pool != "" || d.Privacy != nil {
			bad("amendment_no_query", "pool", "an amendment unlocks no query: leave pool, query and privacy out")
		}
	case governance.Custodians:
		if d.Custodians == nil {
			bad("custodians_missing", "custodians", "a custodians proposal names the custodians and how many of them open a backup together (custodians: {threshold, accounts})")
		} else if err := d.Custodians.Validate(); err != nil {
			problems.AddFrom(err, "custodians_missing", "")
		}
		if d.Query != nil || d.Pool != "" || d.Privacy != nil || d.Rules != nil || d.GrantDays != 0 || d.Organisation != "" {
			bad("custodians_no_query", "pool", "a custodians election unlocks no query and changes no rule: leave pool, query, privacy, rules, grant_days and organisation out")
		}
	default:
		switch {
		case d.Pool == "":
			bad("pool_required", "pool", "a pool is required")
		case pool == nil:
			bad("no_pool", "pool", "no pool %q", d.Pool).With("pool", d.Pool)
		case d.Query == nil:
			bad("query_required", "aggregate", "the query to unlock is required")
		default:
			if err := pool.ValidateQuery(*d.Query); err != nil {
				problems.AddFrom(err, "query_invalid", "query: ")
			}
		}
		if d.Privacy == nil {
			bad("privacy_required", "min_cohort", "privacy parameters are required (min_cohort, epsilon_total, epsilon_per_query)")
		} else {
			p, disc := d.Privacy, rules.Disclosure.Bounded()
			if p.MinCohort < disc.MinCohortFloor {
				bad("min_cohort", "min_cohort", "min_cohort must be at least %d (the rulebook's floor), got %d", disc.MinCohortFloor, p.MinCohort).
					With("min", disc.MinCohortFloor).With("got", p.MinCohort)
			}
			if !(p.EpsilonTotal > 0) || math.IsInf(p.EpsilonTotal, 0) || p.EpsilonTotal > disc.MaxEpsilonPerProposal {
				bad("epsilon_total", "epsilon_total", "epsilon_total must be above 0 and at most %g (the rulebook's limit per proposal), got %g", disc.MaxEpsilonPerProposal, p.EpsilonTotal).
					With("max", disc.MaxEpsilonPerProposal).With("got", p.EpsilonTotal)
			}
			if least := governance.Limits().MinEpsilonPerQuery; !(p.EpsilonPerQuery >= least) || p.EpsilonPerQuery > p.EpsilonTotal {
				bad("epsilon_per_query", "epsilon_per_query", "epsilon_per_query must be at least %g (a hard limit: a grant runs a bounded number of times) and at most epsilon_total, got %g", least, p.EpsilonPerQuery).
					With("min", least).With("got", p.EpsilonPerQuery)
			}
		}
		if d.GrantDays < 1 || d.GrantDays > maxGrant {
			bad("grant_days", "grant_days", "grant_days must be within 1..%d, got %d", maxGrant, d.GrantDays).With("max", maxGrant).With("got", d.GrantDays)
		}
		if d.Kind == governance.Reuse && strings.TrimSpace(d.Organisation) == "" {
			bad("organisation_required", "organisation", "a reuse proposal names the organisation that will receive the results")
		}
		if most := rules.Retention.OutputRetention(); d.Kind == governance.Reuse && (d.RetentionDays < 0 || d.RetentionDays > most) {
			bad("retention_days", "retention_days", "retention_days must be at most %d (the rulebook's output_retention_days), got %d", most, d.RetentionDays).
				With("max", most).With("got", d.RetentionDays)
		}
		if d.Kind != governance.Reuse && d.RetentionDays != 0 {
			bad("retention_days_kind", "retention_days", "retention_days applies to reuse proposals (a knowledge proposal's results are published and kept)")
		}
		if d.Rules != nil {
			bad("rules_kind", "rules", "only an amendment carries rules")
		}
	}
	return problems.Err(raftdata.CodeInvalid, "")
}
