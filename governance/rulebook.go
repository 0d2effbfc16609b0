// Package governance holds the cooperative's rulebook as replicated data:
// voting rules per proposal kind, the disclosure policy, the retention
// periods. It changes only when an amendment proposal passes. The decision
// function (decide.go) is pure.
package governance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"coop/raftdata"
)

// Kind is a kind of proposal.
type Kind string

const (
	Knowledge  Kind = "knowledge"  // results published to every member
	Reuse      Kind = "reuse"      // results go to an outside organisation
	Amendment  Kind = "amendment"  // changes this rulebook
	Custodians Kind = "custodians" // elects who can open the backups (custodians.go)
)

// Kinds lists every kind, in a fixed order.
var Kinds = []Kind{Knowledge, Reuse, Amendment, Custodians}

// UsesData tells whether a passed proposal of this kind unlocks a query
// over pooled data (knowledge, reuse); the others change the coop itself.
func (k Kind) UsesData() bool { return k == Knowledge || k == Reuse }

// laterKinds are the kinds added after rulebooks were first stored: a
// rulebook written before one existed (in the log, in the state, in an
// amendment) has no rule for it and takes the default rule.
var laterKinds = []Kind{Custodians}

// Rule is the voting rule for kind k: the rulebook's own, or the default
// one for a kind added after the rulebook was written.
func (r Rulebook) Rule(k Kind) (VotingRule, bool) {
	if v, ok := r.Voting[k]; ok {
		return v, true
	}
	if slices.Contains(laterKinds, k) {
		v, ok := Default().Voting[k]
		return v, ok
	}
	return VotingRule{}, false
}

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
	// Secret: ballots are cast with blindly signed voting tokens, and no
	// stored data links a member to a choice (proposals/DESIGN.md).
	Secret bool `json:"secret"`
	// DoubleMajority: a proposal that uses data passes only if the voters
	// whose data is in scope approve it too (ballots.go).
	DoubleMajority bool `json:"double_majority"`
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

// Admission modes: who turns an applicant into a member who votes.
const (
	AdmitByOperator = "operator" // an operator admits, as a cooperative's board does
	AdmitBySponsors = "sponsors" // SponsorsRequired admitted members vouch
	AdmitOpen       = "open"     // a sign-up admits at once (demos and tests)
)

// Membership says how applicants become members.
type Membership struct {
	Admission string `json:"admission"`
	// SponsorsRequired is how many admitted members must sponsor an
	// applicant under AdmitBySponsors.
	SponsorsRequired int `json:"sponsors_required"`
}

// Rulebook is the whole set of rules in force.
type Rulebook struct {
	Voting     Voting     `json:"voting"`
	Disclosure Disclosure `json:"disclosure"`
	Retention  Retention  `json:"retention"`
	Membership Membership `json:"membership"`
	// Proxies bounds how many votes one member may carry (ballots.go).
	Proxies Proxies `json:"proxies"`
	// Colleges, when two or more, weigh each college's result (ballots.go).
	Colleges []College `json:"colleges"`
}

// Voting maps each kind of proposal to its rule.
type Voting map[Kind]VotingRule

// Default voting durations, in minutes.
const (
	Day           = 1440
	MaxVoteLength = 30 * Day // every kind: at most 30 days
)

// Default is the rulebook of a new cooperative (DESIGN.md): knowledge and
// reuse votes last 1 to 30 days, amendments 7 to 30 days and need more
// than 66 % yes of yes+no (two thirds); quorum 25 %, early close when
// everyone voted; cohort floor 5, epsilon 2 per proposal and 10 per pool
// per year; identity kept 3 months after deletion, the charter signature
// 12 months, connection logs 12 months; an operator admits applicants
// (two sponsors when an amendment chooses sponsorship); a custodians
// election is decided like an amendment (7 days, two thirds). Amendments
// and custodian elections are secret ballots; a reuse needs a double
// majority; a member carries at most 2 proxies; one college.
func Default() Rulebook {
	rule := VotingRule{MinMinutes: Day, MaxMinutes: MaxVoteLength, QuorumPercent: 25, ApprovalPercent: 50, EarlyClose: CloseWhenAllVoted}
	reuse := rule
	reuse.DoubleMajority = true
	amend := rule
	amend.MinMinutes, amend.ApprovalPercent, amend.Secret = 7*Day, 66, true
	r := Rulebook{
		Voting:     Voting{Knowledge: rule, Reuse: reuse, Amendment: amend, Custodians: amend},
		Disclosure: Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10},
		Retention:  Retention{IdentityMonthsAfterDeletion: 3, CharterMonthsAfterDeletion: 12, ConnectionLogMonths: 12},
		Membership: Membership{Admission: AdmitByOperator, SponsorsRequired: 2},
		Proxies:    Proxies{MaxPerHolder: DefaultProxies},
		Colleges:   []College{},
	}
	r.fillPrivacyDefaults()
	return r
}

// Clone is a copy of r that shares no map with it.
func (r Rulebook) Clone() Rulebook {
	r.Voting = maps.Clone(r.Voting)
	r.Colleges = slices.Clone(r.Colleges)
	return r
}

// UnmarshalJSON reads a rulebook that may name only some of its fields:
// every field left out keeps its value in Default(), at any depth (inside
// each voting.<kind> too), so a rulebook written before a field existed
// reads with that field's default. Unknown fields are refused.
func (r *Rulebook) UnmarshalJSON(data []byte) error {
	type plain Rulebook // without this method
	p := plain(Default())
	if err := strictDecode(data, &p); err != nil {
		return err
	}
	*r = Rulebook(p)
	return nil
}

// UnmarshalJSON merges the kinds named in data into v: a kind's fields
// left out keep their value (the default when decoding a Rulebook).
func (v *Voting) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var kinds map[Kind]json.RawMessage
	if err := json.Unmarshal(data, &kinds); err != nil {
		return err
	}
	merged := maps.Clone(*v)
	if merged == nil {
		merged = Voting{}
	}
	for k, raw := range kinds {
		rule := merged[k]
		if err := strictDecode(raw, &rule); err != nil {
			return fmt.Errorf("voting.%s: %w", k, err)
		}
		merged[k] = rule
	}
	*v = merged
	return nil
}

// strictDecode decodes one JSON value into v, refusing unknown fields.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Validate lists every rule that does not make sense, in one refusal
// (raftdata.Problems: each problem with its reason).
func (r Rulebook) Validate() error {
	var problems raftdata.Problems
	bad := func(reason, field string, format string, args ...any) *raftdata.Error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...).On(field)
		problems.Add(e)
		return e
	}
	for _, k := range Kinds {
		v, ok := r.Voting[k]
		if !ok {
			if !slices.Contains(laterKinds, k) {
				bad("rules_voting_missing", "voting."+string(k), "voting rules for %q are missing", k).With("kind", k)
			}
			continue
		}
		if v.MinMinutes < 1 || v.MaxMinutes < v.MinMinutes {
			bad("rules_voting_minutes", "voting."+string(k)+".min_minutes", "%s: voting minutes must satisfy 1 <= min (%d) <= max (%d)", k, v.MinMinutes, v.MaxMinutes).
				With("kind", k).With("min", v.MinMinutes).With("max", v.MaxMinutes)
		}
		if v.QuorumPercent < 0 || v.QuorumPercent > 100 {
			bad("rules_quorum", "voting."+string(k)+".quorum_percent", "%s: quorum_percent must be within 0..100, got %d", k, v.QuorumPercent).
				With("kind", k).With("got", v.QuorumPercent)
		}
		if v.ApprovalPercent < 0 || v.ApprovalPercent > 99 {
			bad("rules_approval", "voting."+string(k)+".approval_percent", "%s: approval_percent must be within 0..99, got %d", k, v.ApprovalPercent).
				With("kind", k).With("got", v.ApprovalPercent)
		}
		if v.EarlyClose != CloseAtDeadline && v.EarlyClose != CloseWhenAllVoted {
			bad("rules_early_close", "voting."+string(k)+".early_close", "%s: early_close must be %q or %q, got %q", k, CloseAtDeadline, CloseWhenAllVoted, v.EarlyClose).
				With("kind", k)
		}
		problems = append(problems, v.checkBallots(k)...)
	}
	for k := range r.Voting {
		if !slices.Contains(Kinds, k) {
			bad("rules_unknown_kind", "voting", "unknown proposal kind %q", k).With("kind", k)
		}
	}
	d := r.Disclosure
	problems = append(problems, Limits().check(d)...)
	if !(d.MaxEpsilonPerProposal > 0) || !(d.MaxEpsilonPerPoolYear >= d.MaxEpsilonPerProposal) {
		bad("rules_epsilon_order", "max_epsilon_per_proposal", "epsilon limits must satisfy 0 < per proposal (%g) <= per pool per year (%g)", d.MaxEpsilonPerProposal, d.MaxEpsilonPerPoolYear).
			With("per_proposal", d.MaxEpsilonPerProposal).With("per_pool", d.MaxEpsilonPerPoolYear)
	}
	m := r.Membership
	if !slices.Contains([]string{AdmitByOperator, AdmitBySponsors, AdmitOpen}, m.Admission) {
		bad("rules_admission", "membership.admission", "membership.admission must be %q, %q or %q, got %q", AdmitByOperator, AdmitBySponsors, AdmitOpen, m.Admission)
	}
	if m.SponsorsRequired < 1 || m.SponsorsRequired > maxSponsors {
		bad("rules_sponsors", "membership.sponsors_required", "membership.sponsors_required must be within 1..%d, got %d", maxSponsors, m.SponsorsRequired).
			With("max", maxSponsors).With("got", m.SponsorsRequired)
	}
	problems = append(problems, r.Proxies.check()...)
	problems = append(problems, checkColleges(r.Colleges)...)
	t := r.Retention
	if t.IdentityMonthsAfterDeletion < 0 || t.CharterMonthsAfterDeletion < 0 || t.ConnectionLogMonths < 1 {
		bad("rules_retention", "retention", "retention periods must be positive months (connection logs at least 1)")
	}
	problems = append(problems, r.privacyProblems()...)
	return problems.Err(raftdata.CodeInvalid, "rulebook: ")
}

// maxSponsors bounds membership.sponsors_required.
const maxSponsors = 100

// Parse reads a rulebook from JSON, bare or wrapped as GET
// /api/v1/governance/rules answers it ({"version","rules","hard_limits"}).
// Fields left out keep their default value at any depth, unknown fields
// are refused, and the result is validated, hard limits included. The
// read-only parts of the wrapped form are ignored, except hard limits
// that differ from the code's: they cannot be set, and saying otherwise
// is refused.
func Parse(data []byte) (Rulebook, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Rulebook{}, fmt.Errorf("rulebook: %w", err)
	}
	if raw, wrapped := top["rules"]; wrapped {
		var w struct {
			Version    int             `json:"version"`
			Rules      json.RawMessage `json:"rules"`
			HardLimits *HardLimits     `json:"hard_limits"`
		}
		if err := strictDecode(data, &w); err != nil {
			return Rulebook{}, fmt.Errorf("rulebook: %w", err)
		}
		if w.HardLimits != nil && *w.HardLimits != Limits() {
			return Rulebook{}, fmt.Errorf("rulebook: hard_limits are fixed in code (%+v) and no rulebook sets them: leave them out", Limits())
		}
		data = raw
	}
	var r Rulebook
	if err := strictDecode(data, &r); err != nil {
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
