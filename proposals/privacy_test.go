package proposals

import (
	"context"
	"testing"
	"time"

	"coop/governance"
	"coop/pooling"
	"coop/raftdata"
)

// A member's personal cap spans every pool: once the runs of the last 12
// months charged them up to it, they are left out of later runs (their
// ledger says so and their journal has no line for them), and a year
// later they are in again.
func TestPersonalCapLeavesAMemberOutAcrossPools(t *testing.T) {
	rules := dpRules()
	rules.Disclosure.MaxEpsilonPerMemberPerYear = 1.5
	c := startCoopWith(t, rules)
	ctx := context.Background()
	voters := twoPools(t, c)
	first := dpDraft("energy")
	first.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 1}
	p1 := passedProposal(t, c, voters, first)
	if _, err := c.props.RunQuery(ctx, c.researcher, p1.ID, nil); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Pool = "energy2"
	p2 := passedProposal(t, c, voters, second)
	r2, err := c.props.RunQuery(ctx, c.researcher, p2.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := voters[1] // in both pools
	l, err := c.pooling.Ledger(ctx, m.ID, c.clock.Now())
	if err != nil || len(l.Lines) != 2 {
		t.Fatalf("ledger %+v %v", l, err)
	}
	if latest := l.Lines[0]; latest.Run != r2.Run || latest.Included || latest.LeftOut != pooling.LeftOutCapSpent || latest.Token != "" || l.SpentThisYear != 1 {
		t.Fatalf("the second run's line: %+v (spent %v)", latest, l.SpentThisYear)
	}
	for _, u := range mustJournal(t, c, m.ID) {
		if u.Proposal == p2.ID {
			t.Fatalf("a member left out has a journal line for the run: %+v", u)
		}
	}
	// A year later, in again.
	c.clock.Advance(366 * 24 * time.Hour)
	third := first
	third.Title = "A year later"
	p3 := passedProposal(t, c, voters, third)
	r3, err := c.props.RunQuery(ctx, c.researcher, p3.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ = c.pooling.Ledger(ctx, m.ID, c.clock.Now())
	if latest := l.Lines[0]; latest.Run != r3.Run || !latest.Included || l.SpentThisYear != 1 {
		t.Fatalf("a year later: %+v (spent %v)", latest, l.SpentThisYear)
	}
}

func mustJournal(t *testing.T, c *coop, account string) []pooling.Access {
	t.Helper()
	j, err := c.pooling.AccessJournal(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// Budget windows use the committed clock: once a command stamped after a
// grant's end was applied, a node whose clock went back cannot run it.
func TestALateClockCannotRunAnExpiredGrant(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	p := passedProposal(t, c, voters, knowledgeDraft())
	c.clock.Advance(31 * 24 * time.Hour) // past the 30-day grant
	if err := c.props.Comment(ctx, voters[0], p.ID, "a month on"); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(-2 * 24 * time.Hour) // the proposing node's clock goes back
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a run stamped before the grant's end, after a later command: %v", err)
	}
}

// The preview's noisy count is for members on open proposals; it is drawn
// once a day per pool (whatever the proposal), paid from the pool's yearly
// preview budget, and once that is spent the last count stays on show.
func TestPreviewCountIsPaidOncePerPoolAndDay(t *testing.T) {
	rules := dpRules()
	rules.Disclosure.MaxPreviewEpsilonPerPoolPerYear = 0.3 // 3 days
	c := startCoopWith(t, rules)
	ctx := context.Background()
	voters := twoPools(t, c)
	a, err := c.props.Create(ctx, c.researcher, dpDraft("energy"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.props.Create(ctx, c.researcher, dpDraft("energy"))
	if err != nil {
		t.Fatal(err)
	}
	member := voters[1]
	count := func(id string) (int64, string) {
		t.Helper()
		pv, err := c.props.Preview(ctx, member, id)
		if err != nil || pv.MembersInScopeNoisy == nil {
			t.Fatalf("preview %+v %v", pv, err)
		}
		return *pv.MembersInScopeNoisy, pv.CountedOn
	}
	var days []string
	for d := range 3 {
		n1, day := count(a.ID)
		n2, day2 := count(b.ID)
		if n1 != n2 || day != day2 || day != c.clock.Now().Format(time.DateOnly) {
			t.Fatalf("day %d: %d on %s and %d on %s: one count per pool and day", d, n1, day, n2, day2)
		}
		days = append(days, day)
		c.clock.Advance(24 * time.Hour)
	}
	if n, day := count(a.ID); day != days[2] {
		t.Fatalf("with the yearly preview budget spent: %d on %s, want the count of %s", n, day, days[2])
	}
	var spent float64
	c.node.DB().QueryRow(`SELECT SUM(epsilon) FROM proposals_preview_counts WHERE pool = 'energy'`).Scan(&spent)
	if roundEps(spent) != 0.3 {
		t.Fatalf("previews spent %v, want 0.3", spent)
	}
	if pv, _ := c.props.Preview(ctx, c.operator, a.ID); pv.MembersInScopeNoisy != nil {
		t.Fatal("an operator sees the count")
	}
	closed := passedProposal(t, c, voters, dpDraft("energy"))
	if pv, _ := c.props.Preview(ctx, member, closed.ID); pv.MembersInScopeNoisy != nil {
		t.Fatal("a closed proposal shows the count")
	}
}

// A reuse grant keeps each result its retention_days (at most the
// rulebook's): past it the closer deletes the result, and journals the
// requester's obligation to delete theirs.
func TestReuseResultsAreDeletedPastTheirRetention(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	d := knowledgeDraft()
	d.Kind, d.Organisation, d.RetentionDays = governance.Reuse, "GridCo", 10
	bad := d
	bad.RetentionDays = 400
	if _, err := c.props.Create(ctx, c.researcher, bad); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("retention past the rulebook's 365 days: %v", err)
	}
	knowledge := knowledgeDraft()
	knowledge.RetentionDays = 10
	if _, err := c.props.Create(ctx, c.researcher, knowledge); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("retention on a knowledge proposal: %v", err)
	}
	p := passedProposal(t, c, voters, d)
	if p.Grant == nil || p.Grant.RetentionDays != 10 {
		t.Fatalf("grant %+v", p.Grant)
	}
	res, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil)
	if err != nil || res.KeptUntil == nil || !res.KeptUntil.Equal(res.At.AddDate(0, 0, 10)) {
		t.Fatalf("run %+v %v", res, err)
	}
	c.clock.Advance(9 * 24 * time.Hour)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.props.Results(ctx, c.researcher, p.ID); len(got) != 1 || got[0].DeletedAt != nil || len(got[0].Groups) == 0 {
		t.Fatalf("before the end of retention: %+v", got)
	}
	c.clock.Advance(2 * 24 * time.Hour)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.props.Results(ctx, c.researcher, p.ID)
	if err != nil || len(got) != 1 || got[0].DeletedAt == nil || len(got[0].Groups) != 0 {
		t.Fatalf("after the retention: %+v %v", got, err)
	}
	var left, obligations int
	c.node.DB().QueryRow(`SELECT COUNT(*) FROM proposals_runs WHERE proposal = ? AND result <> ''`, p.ID).Scan(&left)
	c.node.DB().QueryRow(`SELECT COUNT(*) FROM proposals_obligations WHERE proposal = ? AND organisation = 'GridCo' AND requester = ?`, p.ID, c.researcher.ID).Scan(&obligations)
	if left != 0 || obligations != 1 {
		t.Fatalf("%d results left, %d obligations journaled", left, obligations)
	}
}

// An auditor with the state reproduces a run's consent set hash from the
// member keys of its set; the set of any other members gives another
// hash; and each member's token (from their ledger) is among the set's.
func TestConsentSetHashIsReproducible(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	if err := c.props.Object(ctx, voters[5], "", true); err == nil {
		t.Fatal("an objection to no proposal")
	}
	p := passedProposal(t, c, voters, knowledgeDraft())
	if err := c.props.Object(ctx, voters[5], p.ID, true); err != nil {
		t.Fatal(err)
	}
	res, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.node.DB().Query(`SELECT member_key FROM pooling_consent_sets WHERE run = ? AND included = 1`, res.Run)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) != 5 {
		t.Fatalf("%d members in the set, want 6 less the objector", len(keys))
	}
	if got := pooling.ConsentSetHash(res.Run, "energy", res.ConsentSet.Index, keys); got != res.ConsentSet.Hash {
		t.Fatalf("the auditor's hash %s, published %s", got, res.ConsentSet.Hash)
	}
	if pooling.ConsentSetHash(res.Run, "energy", res.ConsentSet.Index, keys[1:]) == res.ConsentSet.Hash {
		t.Fatal("a set without one member has the same hash")
	}
	for _, v := range voters[:5] {
		l, _ := c.pooling.Ledger(ctx, v.ID, c.clock.Now())
		found := false
		for _, k := range keys {
			found = found || pooling.ConsentSetToken(k, res.Run) == l.Lines[0].Token
		}
		if !found || l.Lines[0].Hash != res.ConsentSet.Hash {
			t.Fatalf("member's ledger line %+v is not in the set", l.Lines[0])
		}
	}
}
