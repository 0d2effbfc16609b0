package governance

import "testing"

func TestDecide(t *testing.T) {
	def := Default().Voting[Knowledge] // quorum 25 %, more yes than no
	strict := VotingRule{MinMinutes: 1, MaxMinutes: 10, QuorumPercent: 50, ApprovalPercent: 66, EarlyClose: CloseAtDeadline}
	cases := []struct {
		name string
		rule VotingRule
		t    Tally
		want Outcome
	}{
		{"clear yes", def, Tally{Yes: 10, No: 2, Electorate: 20}, Passed},
		{"tie is not approval", def, Tally{Yes: 5, No: 5, Electorate: 20}, Rejected},
		{"one more yes than no", def, Tally{Yes: 6, No: 5, Electorate: 20}, Passed},
		{"quorum met exactly", def, Tally{Yes: 2, Electorate: 8}, Passed},
		{"one short of quorum", def, Tally{Yes: 1, Electorate: 8}, Rejected},
		{"abstentions count toward quorum", def, Tally{Yes: 1, Abstain: 1, Electorate: 8}, Passed},
		{"all abstain", def, Tally{Abstain: 8, Electorate: 8}, Rejected},
		{"nobody voted", def, Tally{Electorate: 8}, Rejected},
		{"electorate of one, yes", def, Tally{Yes: 1, Electorate: 1}, Passed},
		{"electorate of one, no", def, Tally{No: 1, Electorate: 1}, Rejected},
		{"electorate of one, abstains", def, Tally{Abstain: 1, Electorate: 1}, Rejected},
		{"empty electorate", def, Tally{}, Rejected},
		{"zero quorum still needs a yes", VotingRule{QuorumPercent: 0, ApprovalPercent: 50}, Tally{Electorate: 3}, Rejected},
		{"two thirds needed, 2 of 3 is not more than 66%", strict, Tally{Yes: 2, No: 1, Electorate: 6}, Passed},
		{"two thirds needed, 3 of 5", strict, Tally{Yes: 3, No: 2, Electorate: 6}, Rejected},
		{"strict quorum exactly half", strict, Tally{Yes: 3, Electorate: 6}, Passed},
		{"strict quorum below half", strict, Tally{Yes: 2, Electorate: 5}, Rejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.rule, tc.t, ScopeCount{})
			if d.Outcome != tc.want {
				t.Fatalf("Decide(%+v) = %s (%s), want %s", tc.t, d.Outcome, d.Reason, tc.want)
			}
			if d.Reason == "" {
				t.Fatal("a decision needs a reason")
			}
		})
	}
}

// Exhaustive over small electorates: the decision agrees with the rule
// written in plain arithmetic, and changing no ballot into yes never turns
// a pass into a rejection (monotonicity).
func TestDecideExhaustiveSmallElectorates(t *testing.T) {
	for _, rule := range []VotingRule{Default().Voting[Knowledge], {QuorumPercent: 50, ApprovalPercent: 66}, {QuorumPercent: 100, ApprovalPercent: 0}} {
		for e := 1; e <= 12; e++ {
			for y := 0; y <= e; y++ {
				for n := 0; y+n <= e; n++ {
					for a := 0; y+n+a <= e; a++ {
						tl := Tally{Yes: y, No: n, Abstain: a, Electorate: e}
						quorum := float64(y+n+a) >= float64(rule.QuorumPercent)*float64(e)/100
						approved := y > 0 && float64(y) > float64(rule.ApprovalPercent)*float64(y+n)/100
						want := Rejected
						if quorum && approved {
							want = Passed
						}
						if got := Decide(rule, tl, ScopeCount{}).Outcome; got != want {
							t.Fatalf("rule %+v tally %+v: got %s want %s", rule, tl, got, want)
						}
						if n > 0 && Decide(rule, tl, ScopeCount{}).Outcome == Passed {
							moved := Tally{Yes: y + 1, No: n - 1, Abstain: a, Electorate: e}
							if Decide(rule, moved, ScopeCount{}).Outcome != Passed {
								t.Fatalf("moving a no to yes rejected %+v", moved)
							}
						}
					}
				}
			}
		}
	}
}

func TestCanCloseEarly(t *testing.T) {
	whenAll := Default().Voting[Knowledge]
	atDeadline := whenAll
	atDeadline.EarlyClose = CloseAtDeadline
	cases := []struct {
		name             string
		rule             VotingRule
		cast, electorate int
		want             bool
	}{
		{"a member still to vote", whenAll, 2, 3, false},
		{"the whole electorate voted", whenAll, 3, 3, true},
		{"an electorate of one that voted", whenAll, 1, 1, true},
		{"no electorate", whenAll, 0, 0, false},
		{"deadline-only rule, all voted", atDeadline, 3, 3, false},
	}
	for _, c := range cases {
		if got := CanCloseEarly(c.rule, c.cast, c.electorate); got != c.want {
			t.Errorf("%s: CanCloseEarly = %v, want %v", c.name, got, c.want)
		}
	}
}
