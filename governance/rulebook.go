// Package governance holds the cooperative's rulebook as replicated data:
// voting rules per proposal kind, the disclosure policy, the retention
// periods. It changes only when an amendment proposal passes. The decision
// function (decide.go) is pure.
package governance

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Kind is a kind of proposal.
type Kind string

const (
	Knowledge Kind = "knowledge" // results published to every member
	Reuse     Kind = "reuse"     // results go to an outside organisation
	Amendment Kind = "amendment" // changes this rulebook
)

// Kinds lists every kind, in a fixed order.
var Kinds = []Kind{Knowledge, Reuse, Amendment}

// Early-close policies.
const (
	CloseAtDeadline   = "deadline"  // only at the deadline
	CloseWhenAllVoted = "all_voted" // at once when the whole electorate has voted
)

// VotingRule says how a proposal of one kind is decided. Shares are whole
// percentages so that a decision never depends on floating point.
type VotingRule struct {
	MinMinutes int `json:"min_voting_minutes"`
	MaxMinutes int `json:"max_voting_minutes"`
	// QuorumPercent: ballots cast (abstentions included) must reach this
	// share of the electorate.
	QuorumPercent int `json:"quorum_percent"`
	// ApprovalPercent: yes must be MORE than this share of yes+no (50: more
	// yes than no).
	ApprovalPercent int    `json:"approval_percent"`
	EarlyClose      string `json:"early_close"`
}

// Disclosure bounds what a proposal may ask of the pooled data.
type Disclosure struct {
	MinCohortFloor        int     `json:"min_cohort_floor"`
	MaxEpsilonPerProposal float64 `json:"max_epsilon_per_proposal"`
	MaxEpsilonPerPoolYear float64 `json:"max_epsilon_per_pool_per_year"`
	// The privacy accountant (privacy.go; zero: the default).
	MaxEpsilonPerMemberPerYear      float64 `json:"max_epsilon_per_member_per_year,omitempty"`
	PreviewEpsilon                  float64 `json:"preview_epsilon,omitempty"`
	MaxPreviewEpsilonPerPoolPerYear float64 `json:"max_preview_epsilon_per_pool_per_year,omitempty"`
}

// Retention says how long personal data is kept (seed 003).
type Retention struct {
	IdentityMonthsAfterDeletion int `json:"identity_months_after_deletion"`
	CharterMonthsAfterDeletion  int `json:"charter_months_after_deletion"`
	ConnectionLogMonths         int `json:"connection_log_months"`
	// OutputRetentionDays: how long a reuse grant's results are kept
	// (privacy.go; zero: the default).
	OutputRetentionDays int `json:"output_retention_days,omitempty"`
}

// Rulebook is the whole set of rules in force.
type Rulebook struct {
	Voting     map[Kind]VotingRule `json:"voting"`
	Disclosure Disclosure          `json:"disclosure"`
	Retention  Retention           `json:"retention"`
}

// Default is the rulebook of a new cooperative (DESIGN.md): 1 to 43,200
// minutes of voting for every kind, quorum 25 %, more yes than no, early
// close when everyone voted; cohort floor 5, epsilon 2 per proposal and 10
// per pool per year; identity kept 3 months after deletion, the charter
// signature 12 months, connection logs 12 months.
func Default() Rulebook {
	rule := VotingRule{MinMinutes: 1, MaxMinutes: 43200, QuorumPercent: 25, ApprovalPercent: 50, EarlyClose: CloseWhenAllVoted}
	r := Rulebook{
		Voting:     map[Kind]VotingRule{Knowledge: rule, Reuse: rule, Amendment: rule},
		Disclosure: Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10},
		Retention:  Retention{IdentityMonthsAfterDeletion: 3, CharterMonthsAfterDeletion: 12, ConnectionLogMonths: 12},
	}
	r.fillPrivacyDefaults()
	return r
}

// Validate lists every rule that does not make sense, in one error.
func (r Rulebook) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, k := range Kinds {
		v, ok := r.Voting[k]
		if !ok {
			bad("voting rules for %q are missing", k)
			continue
		}
		if v.MinMinutes < 1 || v.MaxMinutes < v.MinMinutes {
			bad("%s: voting minutes must satisfy 1 <= min (%d) <= max (%d)", k, v.MinMinutes, v.MaxMinutes)
		}
		if v.QuorumPercent < 0 || v.QuorumPercent > 100 {
			bad("%s: quorum_percent must be within 0..100, got %d", k, v.QuorumPercent)
		}
		if v.ApprovalPercent < 0 || v.ApprovalPercent > 99 {
			bad("%s: approval_percent must be within 0..99, got %d", k, v.ApprovalPercent)
		}
		if v.EarlyClose != CloseAtDeadline && v.EarlyClose != CloseWhenAllVoted {
			bad("%s: early_close must be %q or %q, got %q", k, CloseAtDeadline, CloseWhenAllVoted, v.EarlyClose)
		}
	}
	for k := range r.Voting {
		if !slices.Contains(Kinds, k) {
			bad("unknown proposal kind %q", k)
		}
	}
	d := r.Disclosure
	if d.MinCohortFloor < 2 {
		bad("min_cohort_floor must be at least 2, got %d", d.MinCohortFloor)
	}
	if !(d.MaxEpsilonPerProposal > 0) || !(d.MaxEpsilonPerPoolYear >= d.MaxEpsilonPerProposal) {
		bad("epsilon limits must satisfy 0 < per proposal (%g) <= per pool per year (%g)", d.MaxEpsilonPerProposal, d.MaxEpsilonPerPoolYear)
	}
	t := r.Retention
	if t.IdentityMonthsAfterDeletion < 0 || t.CharterMonthsAfterDeletion < 0 || t.ConnectionLogMonths < 1 {
		bad("retention periods must be positive months (connection logs at least 1)")
	}
	problems = append(problems, r.privacyProblems()...)
	if len(problems) > 0 {
		return fmt.Errorf("rulebook: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Parse reads a rulebook from JSON. Fields left out keep their default
// value, unknown fields are refused, and the result is validated.
func Parse(data []byte) (Rulebook, error) {
	r := Default()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rulebook{}, fmt.Errorf("rulebook: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Rulebook{}, err
	}
	return r, nil
}

// Load reads a rulebook file (coop serve --rules FILE).
func Load(path string) (Rulebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Rulebook{}, fmt.Errorf("read rulebook: %w", err)
	}
	r, err := Parse(data)
	if err != nil {
		return Rulebook{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
