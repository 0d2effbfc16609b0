package governance

import (
	"context"
	"strings"
	"testing"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

func TestPrivacyRulesHaveDefaultsAndCanBeNamedAlone(t *testing.T) {
	r, err := Parse([]byte(`{"disclosure":{"max_epsilon_per_member_per_year":6}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Disclosure
	if d.MemberEpsilonPerYear() != 6 || d.PreviewEpsilonPerCount() != DefaultPreviewEpsilon ||
		d.PreviewEpsilonPerPoolYear() != DefaultPreviewEpsilonPerPoolYear || r.Retention.OutputRetention() != DefaultOutputRetentionDays {
		t.Fatalf("partial file: %+v %+v", d, r.Retention)
	}
	if d.MinCohortFloor != Default().Disclosure.MinCohortFloor {
		t.Fatalf("the other rules lost their default: %+v", d)
	}
	for _, tc := range []struct{ json, want string }{
		{`{"disclosure":{"max_epsilon_per_member_per_year":-1}}`, "max_epsilon_per_member_per_year"},
		{`{"disclosure":{"preview_epsilon":3}}`, "preview_epsilon"},
		{`{"disclosure":{"preview_epsilon":0.5,"max_preview_epsilon_per_pool_per_year":0.2}}`, "max_preview_epsilon_per_pool_per_year"},
		{`{"retention":{"output_retention_days":-3}}`, "output_retention_days"},
	} {
		if _, err := Parse([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: err = %v, want it to name %s", tc.json, err, tc.want)
		}
	}
}

// A rulebook stored before the privacy rules existed (no such fields in
// its JSON) reads with their defaults, as does an amendment drafted then.
func TestARulebookFromBeforeThePrivacyRulesReadsWithDefaults(t *testing.T) {
	n := raftdatatest.Start(t, func(reg *raftdata.Registry) {
		Register(reg)
		reg.Handle("test.store_old_rulebook", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
			_, err := tx.Exec(`INSERT INTO governance_rulebooks(version, rules, adopted_at) VALUES(1, ?, 0)`,
				`{"voting":{"knowledge":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":25,"approval_percent":50,"early_close":"deadline"},`+
					`"reuse":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":25,"approval_percent":50,"early_close":"deadline"},`+
					`"amendment":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":25,"approval_percent":50,"early_close":"deadline"}},`+
					`"disclosure":{"min_cohort_floor":5,"max_epsilon_per_proposal":2,"max_epsilon_per_pool_per_year":10},`+
					`"retention":{"identity_months_after_deletion":3,"charter_months_after_deletion":12,"connection_log_months":12}}`)
			return nil, err
		})
	})
	ctx := context.Background()
	if _, err := n.Apply(ctx, "test.store_old_rulebook", struct{}{}); err != nil {
		t.Fatal(err)
	}
	got, err := New(n.Store).Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Rules.Disclosure; d.MaxEpsilonPerMemberPerYear != DefaultMemberEpsilonPerYear || d.PreviewEpsilon != DefaultPreviewEpsilon ||
		got.Rules.Retention.OutputRetentionDays != DefaultOutputRetentionDays {
		t.Fatalf("old rulebook read as %+v %+v", d, got.Rules.Retention)
	}
	var old Rulebook
	old.Voting = got.Rules.Voting
	old.Disclosure = Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10}
	old.Retention = Retention{ConnectionLogMonths: 12}
	old.Membership = got.Rules.Membership
	if err := old.Validate(); err != nil {
		t.Fatalf("an amendment drafted without the privacy rules is refused: %v", err)
	}
}
