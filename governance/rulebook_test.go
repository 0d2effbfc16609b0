package governance

import (
	"context"
	"strings"
	"testing"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

func TestDefaultRulebookIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesMissingKinds(t *testing.T) {
	r := Default()
	delete(r.Voting, Reuse)
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), `"reuse" are missing`) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRefusesBadRulebooks(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"unknown field", `{"colour":"red"}`, "unknown field"},
		{"not json", `{`, "rulebook"},
		{"quorum over 100", `{"voting":{"knowledge":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":120,"approval_percent":50,"early_close":"deadline"},"reuse":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":25,"approval_percent":50,"early_close":"deadline"},"amendment":{"min_voting_minutes":1,"max_voting_minutes":5,"quorum_percent":25,"approval_percent":50,"early_close":"deadline"}}}`, "quorum_percent"},
		{"cohort floor 1", `{"disclosure":{"min_cohort_floor":1,"max_epsilon_per_proposal":1,"max_epsilon_per_pool_per_year":2}}`, "min_cohort_floor"},
		{"epsilon per proposal above yearly", `{"disclosure":{"min_cohort_floor":5,"max_epsilon_per_proposal":3,"max_epsilon_per_pool_per_year":2}}`, "epsilon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	r, err := Parse([]byte(`{"disclosure":{"min_cohort_floor":10,"max_epsilon_per_proposal":1,"max_epsilon_per_pool_per_year":4}}`))
	if err != nil || r.Disclosure.MinCohortFloor != 10 || r.Voting[Knowledge].QuorumPercent != 25 {
		t.Fatalf("partial rulebook: %+v, %v", r, err)
	}
}

func TestBootstrapAdoptsTheFirstRulebookOnly(t *testing.T) {
	n := raftdatatest.Start(t, Register)
	svc := New(n.Store)
	ctx := context.Background()
	got, err := svc.Current(ctx)
	if err != nil || got.Version != 0 {
		t.Fatalf("before bootstrap: %+v, %v", got, err)
	}
	first := Default()
	first.Disclosure.MinCohortFloor = 7
	if err := svc.Bootstrap(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := Default()
	second.Disclosure.MinCohortFloor = 9
	if err := svc.Bootstrap(ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err = svc.Current(ctx)
	if err != nil || got.Version != 1 || got.Rules.Disclosure.MinCohortFloor != 7 {
		t.Fatalf("after two bootstraps: %+v, %v (want version 1 with floor 7)", got, err)
	}
	bad := Default()
	bad.Disclosure.MinCohortFloor = 0
	if err := svc.Bootstrap(ctx, bad); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("invalid rulebook: %v", err)
	}
}
