package governance

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestHardLimitsBindEveryRulebook: a rulebook one step past a hard limit
// is refused with the field and the words "hard limit"; at the limit it
// is valid.
func TestHardLimitsBindEveryRulebook(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Rulebook)
		field  string // "" when valid
	}{
		{"cohort floor at the limit", func(r *Rulebook) { r.Disclosure.MinCohortFloor = 5 }, ""},
		{"cohort floor 4", func(r *Rulebook) { r.Disclosure.MinCohortFloor = 4 }, "min_cohort_floor"},
		{"cohort floor 2", func(r *Rulebook) { r.Disclosure.MinCohortFloor = 2 }, "min_cohort_floor"},
		{"epsilon per proposal at the limit", func(r *Rulebook) { r.Disclosure.MaxEpsilonPerProposal = 4 }, ""},
		{"epsilon per proposal 4.01", func(r *Rulebook) { r.Disclosure.MaxEpsilonPerProposal = 4.01 }, "max_epsilon_per_proposal"},
		{"epsilon per proposal 1e6", func(r *Rulebook) {
			r.Disclosure.MaxEpsilonPerProposal, r.Disclosure.MaxEpsilonPerPoolYear = 1e6, 1e7
		}, "max_epsilon_per_proposal"},
		{"epsilon per pool per year at the limit", func(r *Rulebook) { r.Disclosure.MaxEpsilonPerPoolYear = 20 }, ""},
		{"epsilon per pool per year 21", func(r *Rulebook) { r.Disclosure.MaxEpsilonPerPoolYear = 21 }, "max_epsilon_per_pool_per_year"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Default().Clone()
			tc.change(&r)
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), "hard limit") {
				t.Fatalf("err = %v, want it to name %s and the hard limit", err, tc.field)
			}
		})
	}
}

// TestBoundedHoldsAnOldRulebookWithinTheLimits: a rulebook adopted before
// the limits existed is read as if it stopped at them.
func TestBoundedHoldsAnOldRulebookWithinTheLimits(t *testing.T) {
	got := Disclosure{MinCohortFloor: 2, MaxEpsilonPerProposal: 1e6, MaxEpsilonPerPoolYear: 1e7}.Bounded()
	if want := (Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 4, MaxEpsilonPerPoolYear: 20}); got != want {
		t.Fatalf("bounded = %+v, want %+v", got, want)
	}
	strict := Disclosure{MinCohortFloor: 9, MaxEpsilonPerProposal: 1, MaxEpsilonPerPoolYear: 3}
	if got := strict.Bounded(); got != strict {
		t.Fatalf("a rulebook within the limits changed: %+v", got)
	}
}

// TestRunsNeverOverflows: how many times a query may run, for budgets a
// page shows; 1e-300 per query once gave "-9 223 372 036 854 775 808".
func TestRunsNeverOverflows(t *testing.T) {
	cases := []struct {
		total, perQuery float64
		want            int
	}{
		{1, 0.5, 2},
		{1, 0.3, 3},
		{0.3, 0.1, 3},
		{4, 0.01, 400},
		{1, 1e-300, MaxRuns},
		{1e300, 1e-300, MaxRuns},
		{1, 0, 0},
		{1, -1, 0},
		{0, 0.5, 0},
		{0.1, 0.5, 0},
	}
	for _, tc := range cases {
		if got := Runs(tc.total, tc.perQuery); got != tc.want {
			t.Errorf("Runs(%g, %g) = %d, want %d", tc.total, tc.perQuery, got, tc.want)
		}
	}
}

// TestParseMergesPartialRulebooks: a file names only what it changes; the
// rest keeps its default at any depth, inside each voting kind too, in
// the bare and the wrapped form; unknown fields are refused everywhere.
func TestParseMergesPartialRulebooks(t *testing.T) {
	def := Default()
	cases := []struct {
		name  string
		json  string
		check func(Rulebook) bool
		err   string // "" when accepted
	}{
		{"empty object is the default", `{}`, func(r Rulebook) bool { return jsonEq(r, def) }, ""},
		{"one field of one kind", `{"voting":{"knowledge":{"quorum_percent":40}}}`, func(r Rulebook) bool {
			k := r.Voting[Knowledge]
			return k.QuorumPercent == 40 && k.MinMinutes == Day && k.MaxMinutes == MaxVoteLength && k.ApprovalPercent == 50 &&
				k.EarlyClose == CloseWhenAllVoted && r.Voting[Reuse] == def.Voting[Reuse] && r.Voting[Amendment] == def.Voting[Amendment]
		}, ""},
		{"short votes keep the amendment's two thirds", `{"voting":{"amendment":{"min_voting_minutes":1}}}`, func(r Rulebook) bool {
			a := r.Voting[Amendment]
			return a.MinMinutes == 1 && a.ApprovalPercent == 66 && a.MaxMinutes == MaxVoteLength
		}, ""},
		{"a section left out keeps its default", `{"membership":{"admission":"open"}}`, func(r Rulebook) bool {
			return r.Membership.Admission == AdmitOpen && r.Membership.SponsorsRequired == 2 && r.Disclosure == def.Disclosure
		}, ""},
		{"one field of a section", `{"disclosure":{"min_cohort_floor":10}}`, func(r Rulebook) bool {
			return r.Disclosure.MinCohortFloor == 10 && r.Disclosure.MaxEpsilonPerProposal == 2 && r.Retention == def.Retention
		}, ""},
		{"wrapped as the API answers it", `{"version":3,"rules":{"voting":{"reuse":{"max_voting_minutes":2880}}},"hard_limits":{"min_cohort_floor":5,"max_epsilon_per_proposal":4,"max_epsilon_per_pool_per_year":20,"min_epsilon_per_query":0.01}}`,
			func(r Rulebook) bool { return r.Voting[Reuse].MaxMinutes == 2880 && r.Voting[Reuse].MinMinutes == Day }, ""},
		{"wrapped without the read-only parts", `{"rules":{"membership":{"admission":"sponsors","sponsors_required":3}}}`,
			func(r Rulebook) bool {
				return r.Membership == Membership{Admission: AdmitBySponsors, SponsorsRequired: 3}
			}, ""},
		{"wrapped with other hard limits", `{"rules":{},"hard_limits":{"min_cohort_floor":2,"max_epsilon_per_proposal":4,"max_epsilon_per_pool_per_year":20,"min_epsilon_per_query":0.01}}`,
			nil, "hard_limits are fixed in code"},
		{"wrapped, unknown field beside rules", `{"rules":{},"colour":"red"}`, nil, "unknown field"},
		{"unknown top field", `{"colour":"red"}`, nil, "unknown field"},
		{"unknown field in a kind", `{"voting":{"knowledge":{"colour":"red"}}}`, nil, "unknown field"},
		{"unknown field in a section", `{"membership":{"colour":"red"}}`, nil, "unknown field"},
		{"unknown field in the wrapped rules", `{"rules":{"disclosure":{"colour":"red"}}}`, nil, "unknown field"},
		{"unknown kind", `{"voting":{"referendum":{"min_voting_minutes":1}}}`, nil, "unknown proposal kind"},
		{"a kind that is not an object", `{"voting":{"knowledge":3}}`, nil, "voting.knowledge"},
		{"past a hard limit, wrapped", `{"rules":{"disclosure":{"min_cohort_floor":2}}}`, nil, "min_cohort_floor must be at least 5"},
		{"unknown admission", `{"membership":{"admission":"lottery"}}`, nil, "membership.admission"},
		{"no sponsors", `{"membership":{"sponsors_required":0}}`, nil, "sponsors_required"},
		{"not JSON", `{`, nil, "rulebook"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(r) {
				t.Fatalf("parsed %+v", r)
			}
		})
	}
}

// TestOldRulebooksReadNewFieldsWithTheirDefault: a rulebook stored (or
// carried by an amendment in the log) before membership existed decodes
// with the default membership, and keeps every value it names.
func TestOldRulebooksReadNewFieldsWithTheirDefault(t *testing.T) {
	old := `{"voting":{"knowledge":{"min_voting_minutes":1,"max_voting_minutes":43200,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"},
		"reuse":{"min_voting_minutes":1,"max_voting_minutes":43200,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"},
		"amendment":{"min_voting_minutes":1,"max_voting_minutes":43200,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"}},
		"disclosure":{"min_cohort_floor":5,"max_epsilon_per_proposal":2,"max_epsilon_per_pool_per_year":10},
		"retention":{"identity_months_after_deletion":3,"charter_months_after_deletion":12,"connection_log_months":12}}`
	var r Rulebook
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if r.Membership != Default().Membership || r.Voting[Amendment].MinMinutes != 1 || r.Voting[Amendment].ApprovalPercent != 50 {
		t.Fatalf("old rulebook read as %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultRulebookIsStrict: what DESIGN.md promises a new cooperative.
func TestDefaultRulebookIsStrict(t *testing.T) {
	r := Default()
	for _, k := range []Kind{Knowledge, Reuse} {
		if v := r.Voting[k]; v.MinMinutes != 1440 || v.MaxMinutes != 43200 || v.QuorumPercent != 25 || v.ApprovalPercent != 50 {
			t.Errorf("%s: %+v", k, v)
		}
	}
	if v := r.Voting[Amendment]; v.MinMinutes != 10080 || v.MaxMinutes != 43200 || v.ApprovalPercent != 66 || v.QuorumPercent != 25 {
		t.Errorf("amendment: %+v", v)
	}
	// "More than two thirds": 67 yes of 100 passes, 66 does not.
	rule := r.Voting[Amendment]
	if Decide(rule, Tally{Yes: 66, No: 34, Electorate: 100}, ScopeCount{}).Outcome != Rejected || Decide(rule, Tally{Yes: 67, No: 33, Electorate: 100}, ScopeCount{}).Outcome != Passed {
		t.Error("an amendment's approval is not more than two thirds")
	}
	if r.Membership.Admission != AdmitByOperator {
		t.Errorf("admission: %q", r.Membership.Admission)
	}
}

func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
