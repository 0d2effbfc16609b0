package proposals

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

func TestVoteLifecycleTallyAndReceipts(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(12)
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusOpen || p.Tally != nil || p.Participation == nil {
		t.Fatalf("opened proposal %+v", p)
	}
	receipts := map[string]string{}
	choices := []string{"yes", "yes", "no", "abstain", "yes"}
	for i, ch := range choices {
		r, err := c.props.Vote(ctx, voters[i], p.ID, ch)
		if err != nil {
			t.Fatal(err)
		}
		receipts[r] = ch
	}
	// voter 2 changes their mind: the last ballot counts.
	r, err := c.props.Vote(ctx, voters[2], p.ID, "yes")
	if err != nil {
		t.Fatal(err)
	}
	receipts[r] = "yes"

	if _, err := c.props.Ballots(ctx, p.ID); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("ballots published before the close: %v", err)
	}
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.props.Get(ctx, p.ID); got.Status != StatusOpen {
		t.Fatalf("closed before its deadline: %s", got.Status)
	}
	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.props.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := Tally{Yes: 4, No: 0, Abstain: 1, Electorate: 12}
	if got.Status != StatusPassed || got.Tally == nil || !reflect.DeepEqual(*got.Tally, want) || got.Grant == nil {
		t.Fatalf("after close: %+v tally %+v", got, got.Tally)
	}
	// The published list recounts to the tally, and every receipt is in it
	// with its choice (the replaced ballot's receipt is not).
	list, err := c.props.Ballots(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, b := range list {
		count[b.Choice]++
	}
	if count["yes"] != want.Yes || count["no"] != want.No || count["abstain"] != want.Abstain {
		t.Fatalf("recount %v != tally %+v", count, want)
	}
	found := 0
	for receipt, ch := range receipts {
		i := slices.IndexFunc(list, func(b PublishedBallot) bool { return b.ReceiptHash == ReceiptHash(receipt) })
		if i >= 0 {
			found++
			if list[i].Choice != ch {
				t.Fatalf("receipt shows %s, ballot was %s", list[i].Choice, ch)
			}
		}
	}
	if found != 5 {
		t.Fatalf("%d receipts found in the list, want 5 (the replaced one is gone)", found)
	}
}

func TestBadBallotsAndProposals(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	late := c.signup("latecomer")
	overEps := knowledgeDraft()
	overEps.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 3, EpsilonPerQuery: 1}
	lowCohort := knowledgeDraft()
	lowCohort.Privacy = &Privacy{MinCohort: 2, EpsilonTotal: 1, EpsilonPerQuery: 1}
	noPool := knowledgeDraft()
	noPool.Pool = "water"
	badField := knowledgeDraft()
	badField.Query = &pooling.Query{Aggregate: "mean", Field: "litres"}
	tooLong := knowledgeDraft()
	tooLong.VotingMinutes = 43201
	cheapQuery := knowledgeDraft()
	cheapQuery.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 1e-300}
	justUnder := knowledgeDraft()
	justUnder.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.0099}
	crossing := governancetest.Rules()
	crossing.Disclosure.MinCohortFloor = 2
	lowerFloor := Draft{Title: "Smaller groups", Purpose: "Show groups of two.", Kind: governance.Amendment, Rules: &crossing, VotingMinutes: 10}
	cases := []struct {
		name string
		err  func() error
		code raftdata.Code
		want string
	}{
		{"unknown proposal", func() error { _, err := c.props.Vote(ctx, voters[0], "nope", "yes"); return err }, raftdata.CodeNotFound, "no proposal"},
		{"unknown choice", func() error { _, err := c.props.Vote(ctx, voters[0], p.ID, "maybe"); return err }, raftdata.CodeInvalid, "yes, no or abstain"},
		{"joined after opening", func() error { _, err := c.props.Vote(ctx, late, p.ID, "yes"); return err }, raftdata.CodeForbidden, "not in the electorate"},
		{"requester cannot vote", func() error { _, err := c.props.Vote(ctx, c.researcher, p.ID, "yes"); return err }, raftdata.CodeForbidden, "not in the electorate"},
		{"epsilon over policy", func() error { _, err := c.props.Create(ctx, c.researcher, overEps); return err }, raftdata.CodeInvalid, "at most 2"},
		{"cohort under floor", func() error { _, err := c.props.Create(ctx, c.researcher, lowCohort); return err }, raftdata.CodeInvalid, "at least 5"},
		{"unknown pool", func() error { _, err := c.props.Create(ctx, c.researcher, noPool); return err }, raftdata.CodeInvalid, `no pool "water"`},
		{"unknown field", func() error { _, err := c.props.Create(ctx, c.researcher, badField); return err }, raftdata.CodeInvalid, `unknown field "litres"`},
		{"voting too long", func() error { _, err := c.props.Create(ctx, c.researcher, tooLong); return err }, raftdata.CodeInvalid, "1..43200"},
		{"query priced at nothing", func() error { _, err := c.props.Create(ctx, c.researcher, cheapQuery); return err }, raftdata.CodeInvalid, "epsilon_per_query must be at least 0.01"},
		{"query just under the hard limit", func() error { _, err := c.props.Create(ctx, c.researcher, justUnder); return err }, raftdata.CodeInvalid, "epsilon_per_query must be at least 0.01"},
		{"amendment past a hard limit", func() error { _, err := c.props.Create(ctx, voters[0], lowerFloor); return err }, raftdata.CodeInvalid, "min_cohort_floor must be at least 5"},
		{"member is no researcher", func() error { _, err := c.props.Create(ctx, voters[0], knowledgeDraft()); return err }, raftdata.CodeForbidden, "researchers"},
		{"operator is no researcher", func() error { _, err := c.props.Create(ctx, c.operator, knowledgeDraft()); return err }, raftdata.CodeForbidden, "operators run the system"},
		{"query before the vote", func() error { _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); return err }, raftdata.CodeForbidden, "passed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if raftdata.ErrorCode(err) != tc.code || !strings.Contains(raftdata.ErrorMessage(err), tc.want) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.want)
			}
		})
	}
	c.clock.Advance(2 * time.Hour)
	if _, err := c.props.Vote(ctx, voters[0], p.ID, "yes"); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("ballot after the deadline: %v", err)
	}
	c.props.CloseDue(ctx)
	if _, err := c.props.Vote(ctx, voters[0], p.ID, "yes"); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("ballot on a closed vote: %v", err)
	}
	if got, _ := c.props.Get(ctx, p.ID); got.Status != StatusRejected || !strings.Contains(got.Reason, "quorum") {
		t.Fatalf("nobody voted: %s %q", got.Status, got.Reason)
	}
}

func TestEarlyCloseWhenEveryoneVoted(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(3)
	p, _ := c.props.Create(ctx, c.researcher, knowledgeDraft())
	for _, v := range voters {
		if _, err := c.props.Vote(ctx, v, p.ID, "no"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := c.props.Get(ctx, p.ID)
	if got.Status != StatusRejected || got.Tally.No != 3 {
		t.Fatalf("after the whole electorate voted: %s %+v", got.Status, got.Tally)
	}
}

func TestDraftOpensLaterWithTheElectorateOfThatMoment(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	c.contributors(2)
	d := knowledgeDraft()
	d.Draft = true
	p, err := c.props.Create(ctx, c.researcher, d)
	if err != nil || p.Status != StatusDraft {
		t.Fatalf("draft: %+v %v", p, err)
	}
	c.contributors(1) // joins before the opening: may vote
	if _, err := c.props.Open(ctx, c.operator, p.ID); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("opened by someone else: %v", err)
	}
	p, err = c.props.Open(ctx, c.researcher, p.ID)
	if err != nil || p.Status != StatusOpen {
		t.Fatalf("open: %+v %v", p, err)
	}
	if _, err := c.props.Open(ctx, c.researcher, p.ID); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("opened twice: %v", err)
	}
}

func TestAmendmentChangesTheRuleForTheNextVote(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(4)
	rules := governancetest.Rules()
	q := rules.Voting[governance.Knowledge]
	q.QuorumPercent = 100
	q.EarlyClose = governance.CloseAtDeadline
	rules.Voting[governance.Knowledge] = q
	am, err := c.props.Create(ctx, voters[0], Draft{Title: "Everyone must vote", Purpose: "Raise the quorum of knowledge proposals to 100%.",
		Kind: governance.Amendment, Rules: &rules, VotingMinutes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !am.Secret {
		t.Fatal("an amendment is not a secret ballot under the default rulebook")
	}
	for _, v := range voters[1:] {
		c.vote(v, am, "yes")
	}
	c.clock.Advance(11 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.props.Get(ctx, am.ID); got.Status != StatusPassed {
		t.Fatalf("amendment: %s %s", got.Status, got.Reason)
	}
	cur, _ := c.gov.Current(ctx)
	if cur.Version != 2 || cur.Rules.Voting[governance.Knowledge].QuorumPercent != 100 {
		t.Fatalf("rulebook after the amendment: %+v", cur)
	}
	// 3 of 4 vote yes: passed under 25 %, rejected under 100 %.
	p, _ := c.props.Create(ctx, c.researcher, knowledgeDraft())
	for _, v := range voters[:3] {
		if _, err := c.props.Vote(ctx, v, p.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	c.clock.Advance(2 * time.Hour)
	c.props.CloseDue(ctx)
	if got, _ := c.props.Get(ctx, p.ID); got.Status != StatusRejected || !strings.Contains(got.Reason, "100%") {
		t.Fatalf("next proposal: %s %q", got.Status, got.Reason)
	}
}

func passedProposal(t *testing.T, c *coop, voters []members.Account, d Draft) Proposal {
	t.Helper()
	ctx := context.Background()
	p, err := c.props.Create(ctx, c.researcher, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range voters {
		if _, err := c.props.Vote(ctx, v, p.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = c.props.Get(ctx, p.ID)
	if p.Status != StatusPassed {
		t.Fatalf("proposal did not pass: %s %s", p.Status, p.Reason)
	}
	return p
}

func TestGrantRunsTheVotedQueryWithinItsBudget(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(12)
	p := passedProposal(t, c, voters, knowledgeDraft())

	other := pooling.Query{Aggregate: "count"}
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, &other); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a query outside the grant: %v", err)
	}
	if _, err := c.props.RunQuery(ctx, voters[0], p.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("run by someone else: %v", err)
	}
	// voter 0 objects: their data is left out of the answer.
	if err := c.props.Object(ctx, voters[0], p.ID, true); err != nil {
		t.Fatal(err)
	}
	res, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.EpsilonSpent != 1 || res.BudgetLeft != 1 || len(res.Groups) != 2 || res.ConsentSet == nil || len(res.ConsentSet.Hash) != 64 || res.ConsentSet.Index == 0 {
		t.Fatalf("first run: %+v", res)
	}
	for _, g := range res.Groups {
		// Suppression follows a noisy count: either way, a shown figure
		// carries its interval, and a hidden one nothing.
		if g.Suppressed != (g.Value == nil) || (g.Value != nil && (g.CI == nil || g.MembersNoisy == nil)) {
			t.Fatalf("group %+v", g)
		}
	}
	if raw, _ := json.Marshal(res); strings.Contains(string(raw), "cohort") {
		t.Fatalf("a run releases a cohort: %s", raw)
	}
	// The member's ledger has the run, with their token; the objector's
	// does not.
	l, _ := c.pooling.Ledger(ctx, voters[1].ID, c.clock.Now())
	if len(l.Lines) != 1 || !l.Lines[0].Included || l.Lines[0].Hash != res.ConsentSet.Hash || l.Lines[0].Token != pooling.ConsentSetToken(l.MemberKey, res.Run) || l.SpentThisYear != 1 {
		t.Fatalf("ledger of an included member: %+v", l)
	}
	if l, _ := c.pooling.Ledger(ctx, voters[0].ID, c.clock.Now()); len(l.Lines) != 0 {
		t.Fatalf("ledger of the objector: %+v", l)
	}
	// The run is in the journal of an included member, not of the objector.
	j, _ := c.pooling.AccessJournal(ctx, voters[1].ID)
	if len(j) != 1 || j[0].Proposal != p.ID || j[0].Epsilon != 1 {
		t.Fatalf("journal of an included member: %+v", j)
	}
	if pooling.PrivacyLoss(j) != 1 {
		t.Fatalf("privacy ledger %v, want 1", pooling.PrivacyLoss(j))
	}
	if j, _ := c.pooling.AccessJournal(ctx, voters[0].ID); len(j) != 0 {
		t.Fatalf("journal of the objector: %+v", j)
	}
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("third run of a 2-query budget: %v", err)
	}
	results, err := c.props.Results(ctx, voters[3], p.ID)
	if err != nil || len(results) != 2 {
		t.Fatalf("published results: %d %v", len(results), err)
	}
}

func TestExpiredGrantStopsWorking(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	p := passedProposal(t, c, voters, knowledgeDraft())
	c.clock.Advance(31 * 24 * time.Hour)
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("run after the end: %v", err)
	}
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.props.Get(ctx, p.ID); got.Status != StatusExpired {
		t.Fatalf("status %s, want expired", got.Status)
	}
}

func TestErasedVoterKeepsTheCountWithoutTheLink(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(5)
	p := passedProposal(t, c, voters, knowledgeDraft())
	if err := c.members.DeleteAccount(ctx, voters[0], voters[0].ID); err != nil {
		t.Fatal(err)
	}
	var linked int
	c.node.DB().QueryRow(`SELECT COUNT(*) FROM proposals_electorate WHERE account_id = ?`, voters[0].ID).Scan(&linked)
	if linked != 0 {
		t.Fatal("the erased member is still linked to a ballot")
	}
	got, _ := c.props.Get(ctx, p.ID)
	if got.Tally.Yes != 5 {
		t.Fatalf("tally after erasure: %+v", got.Tally)
	}
	if recs, _ := c.pooling.Records(ctx, voters[0].ID, ""); len(recs) != 0 {
		t.Fatal("the erased member's records survived")
	}
}

func TestPreviewShowsScopeAndTwinGroups(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	c.contributors(7)
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	pv, err := c.props.Preview(ctx, c.operator, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pv.MembersInScopeNoisy != nil || !pv.Twin.Synthetic || len(pv.Twin.Groups) != 2 || pv.Runs != 2 || pv.MinCohort != 5 {
		t.Fatalf("preview for an operator %+v", pv)
	}
}

// The FSM keeps open votes in memory (votes.go); an erasure during the
// vote must cut the erased account from its cached voter key too: a
// ballot command still carrying that account id is refused, and the
// count of its earlier ballot stays.
func TestErasureDuringTheVoteCutsTheCachedVoter(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	for _, choice := range []string{ChoiceNo, ChoiceYes} { // the second ballot is served from memory
		if _, err := c.props.Vote(ctx, voters[0], p.ID, choice); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.members.DeleteAccount(ctx, voters[0], voters[0].ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.node.Apply(ctx, cmdBallotCast, ballotPayload{Proposal: p.ID, Account: voters[0].ID, Choice: ChoiceNo, ReceiptHash: ReceiptHash("r")})
	if raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a ballot for an erased account: got %v, want forbidden", err)
	}
	if _, err := c.props.Vote(ctx, voters[1], p.ID, ChoiceNo); err != nil {
		t.Fatal(err)
	}
	got, err := c.props.Get(ctx, p.ID)
	if err != nil || got.Participation == nil || *got.Participation != 2 {
		t.Fatalf("participation %v (%v), want the erased member's ballot and one more", got.Participation, err)
	}
	var yes, no int
	if err := c.node.DB().QueryRow(`SELECT COUNT(*) FILTER (WHERE choice = 'yes'), COUNT(*) FILTER (WHERE choice = 'no') FROM proposals_ballots WHERE proposal = ?`, p.ID).Scan(&yes, &no); err != nil {
		t.Fatal(err)
	}
	if yes != 1 || no != 1 {
		t.Fatalf("ballots: %d yes, %d no; want the erased member's yes and one no", yes, no)
	}
}
