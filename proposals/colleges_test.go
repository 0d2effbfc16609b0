package proposals

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/raftdata"
)

// TestCollegesWeighTheResult: under a rulebook of three colleges, the
// operator assigns members; the vote fixes their colleges when it opens,
// counts one member one vote inside each, and weighs the colleges: the
// many producers do not outvote the users. A secret vote has a key per
// college, so each ballot's college is known without its voter.
func TestCollegesWeighTheResult(t *testing.T) {
	rules := governancetest.Rules()
	rules.Colleges = []governance.College{{Name: "users", WeightPercent: 50}, {Name: "producers", WeightPercent: 30}, {Name: "partners", WeightPercent: 20}}
	c := startCoopWith(t, rules)
	ctx := context.Background()
	m := c.contributors(9)
	college := []string{"users", "users", "producers", "producers", "producers", "producers", "producers", "partners", ""} // the last: unassigned, votes with the users
	for i, name := range college {
		if name == "" {
			continue
		}
		if err := c.members.SetCollege(ctx, c.operator, m[i].ID, name); err != nil {
			t.Fatal(err)
		}
	}
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Colleges) != 3 {
		t.Fatalf("the vote's colleges: %+v", p.Colleges)
	}
	// A college changed during the vote does not move a ballot.
	if err := c.members.SetCollege(ctx, c.operator, m[0].ID, "partners"); err != nil {
		t.Fatal(err)
	}
	choices := []string{"no", "no", "yes", "yes", "yes", "yes", "yes", "no", "no"} // 5 yes, 4 no by head
	for i, ch := range choices {
		c.vote(m[i], p, ch)
	}
	got, _ := c.props.Get(ctx, p.ID)
	tl := got.Tally
	if got.Status != StatusRejected || tl == nil || len(tl.Colleges) != 3 {
		t.Fatalf("%s %q %+v", got.Status, got.Reason, tl)
	}
	want := []governance.CollegeTally{{Name: "users", WeightPercent: 50, No: 3, Electorate: 3}, {Name: "producers", WeightPercent: 30, Yes: 5, Electorate: 5}, {Name: "partners", WeightPercent: 20, No: 1, Electorate: 1}}
	for i, w := range want {
		if tl.Colleges[i] != w {
			t.Fatalf("college %d: %+v, want %+v", i, tl.Colleges[i], w)
		}
	}
	if !strings.Contains(got.Reason, "30.0% yes weighted") {
		t.Fatalf("reason %q", got.Reason)
	}
	list, _ := c.props.Ballots(ctx, p.ID)
	byCollege := map[string]int{}
	for _, b := range list {
		byCollege[b.College]++
	}
	if byCollege["users"] != 3 || byCollege["producers"] != 5 || byCollege["partners"] != 1 {
		t.Fatalf("published colleges %v", byCollege)
	}

	// A secret amendment: a key per college; the ballots' colleges add up.
	am := c.amendment(m[8])
	keys, err := c.props.TokenKeys(ctx, am.ID)
	if err != nil || len(keys.PublicKeys) != 3 {
		t.Fatalf("token keys %+v %v", keys, err)
	}
	for i := 0; i < 8; i++ {
		castSecret(t, c.props, m[i], am.ID, "yes")
	}
	keys, _ = c.props.TokenKeys(ctx, am.ID)
	if keys.TokensIssued["partners"] != 2 || keys.TokensIssued["users"] != 1 || keys.TokensIssued["producers"] != 5 {
		t.Fatalf("tokens by college: %+v", keys.TokensIssued)
	}
	// A token signed for one college does not vote in another.
	tok := takeToken(t, c.props, c.researcher, am.ID)
	tok.College = "partners" // the researcher votes with the users
	b, _ := tok.Ballot("no", 1, "x")
	if _, err := c.props.CastSecret(ctx, am.ID, b); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a token cast in another college: %v", err)
	}
}

// TestDoubleMajorityOfReuse: a reuse passes only if the members whose
// data is in scope (consenting when the vote opened) approve too; the
// tally, the proposal, its events say whether they did, never how many
// they were or how they voted.
func TestDoubleMajorityOfReuse(t *testing.T) {
	c := startCoop(t)
	var mu sync.Mutex
	var events strings.Builder
	c.node.SetPublisher(func(evs []raftdata.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			events.WriteString(e.Subject + " " + string(e.Data) + "\n")
		}
	})
	ctx := context.Background()
	inScope := c.contributors(3)
	var others []members.Account
	for i := 0; i < 4; i++ {
		others = append(others, c.signup(fmt.Sprintf("outsider%d", i)))
	}
	reuse := func() Proposal {
		d := knowledgeDraft()
		d.Kind, d.Organisation = governance.Reuse, "Agence de l'énergie"
		p, err := c.props.Create(ctx, c.researcher, d)
		if err != nil {
			t.Fatal(err)
		}
		if !p.DoubleMajority {
			t.Fatalf("a reuse without a double majority: %+v", p)
		}
		return p
	}
	// Everyone else says yes; two of the three in scope say no.
	p := reuse()
	// A member who consents after the opening is not in scope of this vote.
	if _, err := c.pooling.SetConsent(ctx, others[0].ID, "energy", true); err != nil {
		t.Fatal(err)
	}
	for i, m := range inScope {
		c.vote(m, p, []string{"yes", "no", "no"}[i])
	}
	for _, m := range others {
		c.vote(m, p, "yes")
	}
	got, _ := c.props.Get(ctx, p.ID)
	if got.Status != StatusRejected || got.Tally.InScope == nil || got.Tally.InScope.Majority || got.Tally.Yes != 5 {
		t.Fatalf("%s %q %+v", got.Status, got.Reason, got.Tally)
	}
	raw, _ := json.Marshal(got)
	if !strings.Contains(string(raw), `"in_scope":{"majority":false}`) {
		t.Fatalf("the proposal's JSON: %s", raw)
	}
	// The same votes with the members in scope for it: passed.
	p2 := reuse()
	for _, m := range append(inScope, others...) {
		c.vote(m, p2, "yes")
	}
	got, _ = c.props.Get(ctx, p2.ID)
	if got.Status != StatusPassed || !got.Tally.InScope.Majority {
		t.Fatalf("%s %q %+v", got.Status, got.Reason, got.Tally)
	}
	// No in-scope count anywhere: not in the reasons, not in the events.
	mu.Lock()
	text := events.String()
	mu.Unlock()
	for _, leak := range []string{`"in_scope":{"majority":false,`, `"in_scope":{"majority":true,`, "in_scope_yes", "in_scope_no", `"scope"`} {
		if strings.Contains(text, leak) {
			t.Fatalf("an event tells about the members in scope: %s", text)
		}
	}
	if !strings.Contains(text, `"in_scope":{"majority":true}`) {
		t.Fatalf("the close event does not say whether the in-scope majority was reached: %s", text)
	}
}

// TestParticipationKeptInMemoryMatchesTheTables: members vote, change
// their ballots, give and take back proxies, in random order; after each
// step the participation the FSM keeps (from memory on ballots) equals
// the one counted again from the tables.
func TestParticipationKeptInMemoryMatchesTheTables(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	m := c.contributors(10)
	m = append(m, c.signup("abstainer")) // never acts: the vote does not close early
	d := knowledgeDraft()
	d.VotingMinutes = 600
	p, err := c.props.Create(ctx, c.researcher, d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 150; step++ {
		who := m[rng.IntN(10)]
		switch rng.IntN(3) {
		case 0:
			_, err = c.props.Vote(ctx, who, p.ID, []string{"yes", "no", "abstain"}[rng.IntN(3)])
		case 1:
			_, err = c.props.GiveProxy(ctx, who, p.ID, m[rng.IntN(10)].ID)
		default:
			_, err = c.props.GiveProxy(ctx, who, p.ID, "")
		}
		if err != nil && raftdata.ErrorCode(err) != raftdata.CodeConflict && raftdata.ErrorCode(err) != raftdata.CodeInvalid {
			t.Fatalf("step %d: %v", step, err)
		}
		if got, want := participationOf(t, c, p.ID), recount(t, c, p.ID); got != want {
			t.Fatalf("step %d: participation %d, counted again %d", step, got, want)
		}
	}
	c.clock.Advance(11 * time.Hour)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := c.props.Get(ctx, p.ID)
	// After the close the votes cast by proxy have their lines in the
	// ballots table: every vote that counted is one line.
	if got.Tally == nil || got.Tally.Cast() != recount(t, c, p.ID) {
		t.Fatalf("tally %+v, lines %d", got.Tally, recount(t, c, p.ID))
	}
}
