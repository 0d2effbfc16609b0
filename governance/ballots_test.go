package governance

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// electors builds an electorate of keys, all in one college, out of scope.
func electors(keys ...string) []Elector {
	out := make([]Elector, len(keys))
	for i, k := range keys {
		out[i] = Elector{Key: k}
	}
	return out
}

// TestResolveCountsEachVoteOnce is the table of proxies: whatever the
// proxies, each elector counts at most once, a direct ballot overrides the
// proxy, a proxy counts only through a holder who voted, is never passed
// on, and never beyond the cap.
func TestResolveCountsEachVoteOnce(t *testing.T) {
	cases := []struct {
		name    string
		direct  map[string]string
		holders map[string]string
		cap     int
		want    map[string]string // elector -> counted choice ("+" suffix: by proxy)
	}{
		{"no proxies", map[string]string{"a": Yes, "b": No}, nil, 2, map[string]string{"a": Yes, "b": No}},
		{"a holder carries a proxy", map[string]string{"b": Yes}, map[string]string{"a": "b"}, 2, map[string]string{"a": Yes + "+", "b": Yes}},
		{"the giver's own ballot overrides", map[string]string{"a": No, "b": Yes}, map[string]string{"a": "b"}, 2, map[string]string{"a": No, "b": Yes}},
		{"a holder who did not vote carries nothing", map[string]string{"c": Yes}, map[string]string{"a": "b"}, 2, map[string]string{"c": Yes}},
		{"a proxy is not passed on", map[string]string{"c": Yes}, map[string]string{"a": "b", "b": "c"}, 2, map[string]string{"b": Yes + "+", "c": Yes}},
		{"two members who give to each other", map[string]string{"a": Abstain}, map[string]string{"a": "b", "b": "a"}, 2, map[string]string{"a": Abstain, "b": Abstain + "+"}},
		{"a proxy to oneself counts nothing", nil, map[string]string{"a": "a"}, 2, map[string]string{}},
		{"the cap, in the electors' order", map[string]string{"d": Yes}, map[string]string{"a": "d", "b": "d", "c": "d"}, 2, map[string]string{"a": Yes + "+", "b": Yes + "+", "d": Yes}},
		{"no proxies allowed", map[string]string{"d": Yes}, map[string]string{"a": "d"}, 0, map[string]string{"d": Yes}},
		{"a holder outside the electorate", map[string]string{"z": Yes}, map[string]string{"a": "z"}, 2, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			votes := Resolve(electors("a", "b", "c", "d"), tc.direct, tc.holders, tc.cap)
			got := map[string]string{}
			for _, v := range votes {
				if _, twice := got[v.Key]; twice {
					t.Fatalf("%s counted twice: %+v", v.Key, votes)
				}
				c := v.Choice
				if v.Proxied {
					c += "+"
				}
				got[v.Key] = c
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("counted %v, want %v", got, tc.want)
			}
			tally, _ := Sum(ElectorateOf(electors("a", "b", "c", "d")), votes, nil)
			proxied := 0
			for _, c := range tc.want {
				if strings.HasSuffix(c, "+") {
					proxied++
				}
			}
			if tally.Cast() != len(tc.want) || tally.Proxied != proxied || tally.Electorate != 4 {
				t.Fatalf("tally %+v, want %d votes of which %d by proxy", tally, len(tc.want), proxied)
			}
		})
	}
}

// TestDecideWeighsColleges is the table of colleges: one member one vote
// inside a college, each college's yes share weighed by its weight, the
// quorum counted over every member.
func TestDecideWeighsColleges(t *testing.T) {
	scic := []College{{"users", 50}, {"producers", 30}, {"partners", 20}}
	rule := VotingRule{QuorumPercent: 25, ApprovalPercent: 50}
	// votes builds one college's voters: y yes, n no, a abstain, out of e.
	type college struct{ y, n, a, e int }
	build := func(cs ...college) ([]Elector, []Vote) {
		var es []Elector
		var vs []Vote
		for i, c := range cs {
			name := scic[i].Name
			for j := 0; j < c.e; j++ {
				e := Elector{Key: name + string(rune('a'+j)), College: name}
				es = append(es, e)
				switch {
				case j < c.y:
					vs = append(vs, Vote{Elector: e, Choice: Yes})
				case j < c.y+c.n:
					vs = append(vs, Vote{Elector: e, Choice: No})
				case j < c.y+c.n+c.a:
					vs = append(vs, Vote{Elector: e, Choice: Abstain})
				}
			}
		}
		return es, vs
	}
	cases := []struct {
		name     string
		colleges []college
		want     Outcome
		reason   string
	}{
		// A head count would pass (12 yes, 8 no); the users (50 %) say no.
		{"many producers cannot outvote the users", []college{{0, 4, 0, 4}, {10, 0, 0, 10}, {2, 4, 0, 6}}, Rejected, "36.7% yes weighted"},
		// A head count would reject (4 yes, 12 no); weighted: 50*1 + 30*0 + 20*0.2 = 54 %.
		{"a small college weighs its weight", []college{{3, 0, 0, 3}, {0, 8, 0, 8}, {1, 4, 0, 5}}, Passed, "approved: 54.0% yes weighted"},
		{"exactly the approval share is not more", []college{{1, 1, 0, 2}, {1, 1, 0, 2}, {1, 1, 0, 2}}, Rejected, "50.0% yes weighted"},
		// No producer voted yes or no: (50*2/3 + 20*1) / 70.
		{"a college that only abstains is left out", []college{{2, 1, 0, 3}, {0, 0, 3, 3}, {1, 0, 0, 1}}, Passed, "76.2% yes weighted"},
		{"only abstentions everywhere", []college{{0, 0, 2, 2}, {0, 0, 2, 2}, {0, 0, 2, 2}}, Rejected, "none yes weighted"},
		{"quorum counts every member, not per college", []college{{1, 0, 0, 10}, {0, 0, 0, 10}, {0, 0, 0, 10}}, Rejected, "quorum not met: 1 of 30"},
		{"a college of one", []college{{0, 0, 0, 3}, {0, 0, 0, 3}, {1, 0, 0, 1}}, Rejected, "quorum not met"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es, vs := build(tc.colleges...)
			tally, _ := Sum(ElectorateOf(es), vs, scic)
			if len(tally.Colleges) != 3 || tally.Electorate != len(es) || tally.Cast() != len(vs) {
				t.Fatalf("tally %+v", tally)
			}
			for i, c := range tc.colleges {
				if got := tally.Colleges[i]; got.Yes != c.y || got.No != c.n || got.Abstain != c.a || got.Electorate != c.e || got.WeightPercent != scic[i].WeightPercent {
					t.Fatalf("college %d: %+v, want %+v", i, got, c)
				}
			}
			d := Decide(rule, tally, ScopeCount{})
			if d.Outcome != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("%s (%s), want %s with %q", d.Outcome, d.Reason, tc.want, tc.reason)
			}
		})
	}
	// One college (or none): a head count, as before colleges existed.
	es, vs := build(college{3, 2, 0, 5})
	tally, _ := Sum(ElectorateOf(es), vs, nil)
	if tally.Colleges != nil || Decide(rule, tally, ScopeCount{}).Outcome != Passed {
		t.Fatalf("one college: %+v", tally)
	}
	// A member of a college the rulebook no longer names counts in the first.
	tally, _ = Sum(Electorate{"gone": 1}, []Vote{{Elector: Elector{Key: "x", College: "gone"}, Choice: Yes}}, scic)
	if tally.Colleges[0].Yes != 1 || tally.Colleges[0].Electorate != 1 {
		t.Fatalf("unknown college: %+v", tally.Colleges)
	}
	// Votes counted in groups (Count) weigh as many.
	tally, scope := Sum(Electorate{"users": 7, "producers": 3}, []Vote{{Elector: Elector{College: "users", InScope: true}, Choice: Yes, Count: 4},
		{Elector: Elector{College: "producers"}, Choice: No, Count: 2}, {Elector: Elector{College: "producers", InScope: true}, Choice: No}}, scic)
	if tally.Yes != 4 || tally.No != 3 || tally.Electorate != 10 || tally.Colleges[0].Yes != 4 || tally.Colleges[1].No != 3 || scope != (ScopeCount{Yes: 4, No: 1}) {
		t.Fatalf("grouped votes: %+v %+v", tally, scope)
	}
}

// TestDecideDoubleMajority is the table of the double majority: a reuse
// passes only with a majority of all votes and of the in-scope voters', and
// the decision tells whether the latter was reached, never its numbers.
func TestDecideDoubleMajority(t *testing.T) {
	rule := Default().Voting[Reuse]
	rule.MinMinutes = 1
	if !rule.DoubleMajority {
		t.Fatal("the default reuse rule has no double majority")
	}
	cases := []struct {
		name     string
		t        Tally
		scope    ScopeCount
		want     Outcome
		majority bool
	}{
		{"both majorities", Tally{Yes: 6, No: 2, Electorate: 10}, ScopeCount{Yes: 3, No: 1}, Passed, true},
		{"all say yes, the members in scope say no", Tally{Yes: 7, No: 3, Electorate: 10}, ScopeCount{Yes: 1, No: 3}, Rejected, false},
		{"an in-scope tie is no majority", Tally{Yes: 7, No: 3, Electorate: 10}, ScopeCount{Yes: 2, No: 2}, Rejected, false},
		{"no member in scope voted", Tally{Yes: 7, No: 0, Electorate: 10}, ScopeCount{}, Rejected, false},
		{"in scope yes, all no", Tally{Yes: 3, No: 5, Electorate: 10}, ScopeCount{Yes: 3}, Rejected, true},
		{"quorum missed decides first", Tally{Yes: 1, Electorate: 10}, ScopeCount{Yes: 1}, Rejected, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(rule, tc.t, tc.scope)
			if d.Outcome != tc.want {
				t.Fatalf("%s (%s), want %s", d.Outcome, d.Reason, tc.want)
			}
			if tc.t.Cast()*100 >= rule.QuorumPercent*tc.t.Electorate && (d.InScope == nil || d.InScope.Majority != tc.majority) {
				t.Fatalf("in scope %+v, want majority %v", d.InScope, tc.majority)
			}
			// The reason and the decision's JSON carry no in-scope count.
			raw, _ := json.Marshal(d)
			if tc.scope.Yes+tc.scope.No > 0 && strings.Contains(d.Reason, "in scope") && strings.ContainsAny(strings.SplitN(d.Reason, "(", 2)[0], "0123456789") {
				t.Fatalf("the reason %q gives numbers about the members in scope", d.Reason)
			}
			var back map[string]any
			json.Unmarshal(raw, &back)
			if is, ok := back["in_scope"].(map[string]any); ok && len(is) != 1 {
				t.Fatalf("in_scope says more than the majority: %s", raw)
			}
		})
	}
	// Without the rule, the in-scope count changes nothing.
	plain := rule
	plain.DoubleMajority = false
	if d := Decide(plain, Tally{Yes: 7, No: 3, Electorate: 10}, ScopeCount{Yes: 0, No: 3}); d.Outcome != Passed || d.InScope != nil {
		t.Fatalf("without a double majority: %+v", d)
	}
}

func TestRulebookChecksBallots(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Rulebook)
		want   string
	}{
		{"one college", func(r *Rulebook) { r.Colleges = []College{{"users", 100}} }, "two or more"},
		{"weights over 100", func(r *Rulebook) { r.Colleges = []College{{"users", 50}, {"producers", 50}, {"partners", 10}} }, "sum to 110%"},
		{"a weight under 10", func(r *Rulebook) { r.Colleges = []College{{"users", 50}, {"producers", 45}, {"partners", 5}} }, "10% to 50%"},
		{"a weight over 50", func(r *Rulebook) { r.Colleges = []College{{"users", 60}, {"producers", 40}} }, "10% to 50%"},
		{"a name twice", func(r *Rulebook) { r.Colleges = []College{{"users", 50}, {"users", 50}} }, "named twice"},
		{"a bad name", func(r *Rulebook) { r.Colleges = []College{{"Users!", 50}, {"b", 50}} }, "lower-case"},
		{"too many proxies", func(r *Rulebook) { r.Proxies.MaxPerHolder = 11 }, "0..10"},
		{"secret and double majority", func(r *Rulebook) { v := r.Voting[Reuse]; v.Secret = true; r.Voting[Reuse] = v }, "not both"},
		{"double majority on an amendment", func(r *Rulebook) { v := r.Voting[Amendment]; v.DoubleMajority = true; r.Voting[Amendment] = v }, "double_majority is for"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Default().Clone()
			tc.change(&r)
			if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	r := Default().Clone()
	r.Colleges = []College{{"users", 40}, {"producers", 30}, {"partners", 20}, {"public", 10}}
	r.Proxies.MaxPerHolder = 0
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	d := Default()
	if !d.Voting[Amendment].Secret || !d.Voting[Custodians].Secret || d.Voting[Knowledge].Secret || !d.Voting[Reuse].DoubleMajority || d.Proxies.MaxPerHolder != 2 || len(d.Colleges) != 0 {
		t.Fatalf("default ballots: %+v", d)
	}
	// A partial rulebook names colleges and keeps every other default.
	p, err := Parse([]byte(`{"colleges":[{"name":"users","weight_percent":60},{"name":"producers","weight_percent":40}]}`))
	if err == nil || !strings.Contains(err.Error(), "10% to 50%") {
		t.Fatalf("60 %% college: %v", err)
	}
	p, err = Parse([]byte(`{"colleges":[{"name":"users","weight_percent":50},{"name":"producers","weight_percent":50}],"proxies":{"max_per_holder":1}}`))
	if err != nil || len(p.Colleges) != 2 || p.Proxies.MaxPerHolder != 1 || !p.Voting[Amendment].Secret {
		t.Fatalf("partial: %+v %v", p, err)
	}
}

func TestCalibrate(t *testing.T) {
	cases := []struct {
		name   string
		quorum int
		past   []Turnout
		want   Calibration
	}{
		{"no votes", 25, nil, Calibration{QuorumPercent: 25}},
		{"one vote", 25, []Turnout{{Cast: 3, Electorate: 10}}, Calibration{Votes: 1, LowestPercent: 30, MedianPercent: 30, HighestPercent: 30, QuorumPercent: 25, MetQuorum: 1, SuggestedPercent: 30, MetSuggested: 1}},
		{"four votes, one below the quorum", 25, []Turnout{{2, 10}, {4, 10}, {5, 10}, {9, 10}},
			Calibration{Votes: 4, LowestPercent: 20, MedianPercent: 40, HighestPercent: 90, QuorumPercent: 25, MetQuorum: 3, SuggestedPercent: 20, MetSuggested: 4}},
		{"eight votes: the lower quartile is 20", 50, []Turnout{{1, 10}, {2, 10}, {3, 10}, {3, 10}, {4, 10}, {6, 10}, {7, 10}, {8, 10}},
			Calibration{Votes: 8, LowestPercent: 10, MedianPercent: 30, HighestPercent: 80, QuorumPercent: 50, MetQuorum: 3, SuggestedPercent: 20, MetSuggested: 7}},
		{"exact: 1 of 3 is 33 % shown, meets 33 %", 34, []Turnout{{1, 3}}, Calibration{Votes: 1, LowestPercent: 33, MedianPercent: 33, HighestPercent: 33, QuorumPercent: 34, MetQuorum: 0, SuggestedPercent: 33, MetSuggested: 1}},
		{"never under the floor", 25, []Turnout{{1, 100}, {0, 10}}, Calibration{Votes: 2, LowestPercent: 0, MedianPercent: 0, HighestPercent: 1, QuorumPercent: 25, SuggestedPercent: MinSuggestedQuorum}},
		{"an empty electorate is left out", 25, []Turnout{{0, 0}, {5, 10}}, Calibration{Votes: 1, LowestPercent: 50, MedianPercent: 50, HighestPercent: 50, QuorumPercent: 25, MetQuorum: 1, SuggestedPercent: 50, MetSuggested: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Calibrate(tc.quorum, tc.past); got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
