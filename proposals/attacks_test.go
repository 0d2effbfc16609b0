package proposals

import (
	"context"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// What attackers try against aggregates, and what stops each.

// Narrowing a filter until one person is left: whether the one wood
// member is in the pool or not, what the runs release (the group shown or
// hidden, its mean, its interval and noisy count) keeps within epsilon:
// the same test as the DP suite, on the pools with and without them.
func TestAttack_NarrowFilterTellsNothingOfTheOnePersonLeft(t *testing.T) {
	c := startCoopWith(t, dpRules())
	voters := twoPoolsHeating(t, c, func(i int) string {
		if i == 0 {
			return "wood"
		}
		return "gas"
	})
	narrow := func(pool string) Draft {
		d := dpDraft(pool)
		d.Query = &pooling.Query{Aggregate: "mean", Field: "kwh", Filters: map[string]string{"heating": "wood"}}
		return d
	}
	runBoth(t, c, voters, narrow("energy"), narrow("energy2"))
}

// Asking the same query again and again to average the noise away: each
// run spends epsilon from the grant BEFORE the answer exists; the grant
// runs out (409), and so does the pool's yearly budget across proposals.
func TestAttack_RepeatingAQueryRunsOutOfBudget(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(10)
	d := knowledgeDraft()
	d.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 2, EpsilonPerQuery: 0.5}
	p := passedProposal(t, c, voters, d)
	runs := 0
	for i := 0; i < 10; i++ {
		if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); err != nil {
			if raftdata.ErrorCode(err) != raftdata.CodeConflict {
				t.Fatalf("run %d: %v", i+1, err)
			}
			break
		}
		runs++
	}
	if runs != 4 {
		t.Fatalf("%d runs of a 2/0.5 budget, want 4", runs)
	}
	// New proposals on the same pool: the yearly 10 per pool stops them.
	spent := 2.0
	for spent < 10 {
		q := passedProposal(t, c, voters, knowledgeDraft())
		for j := 0; j < 2; j++ {
			if _, err := c.props.RunQuery(ctx, c.researcher, q.ID, nil); err != nil {
				t.Fatalf("within the yearly budget (%g spent): %v", spent, err)
			}
			spent++
		}
	}
	last := passedProposal(t, c, voters, knowledgeDraft())
	if _, err := c.props.RunQuery(ctx, c.researcher, last.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("past the pool's yearly budget: %v", err)
	}
}

// Budget debits are replicated: queries run at once from two nodes of a
// cluster spend the budget exactly once, and every node agrees.
func TestCluster3_ConcurrentQueriesSpendTheBudgetOnce(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	nodes := raftdatatest.Cluster(t, 3, register, raftdatatest.Options{Now: clk.Now})
	ctx := context.Background()
	gov := governance.New(nodes[0].Store)
	if err := gov.Bootstrap(ctx, governancetest.Rules()); err != nil {
		t.Fatal(err)
	}
	c := &coop{t: t, clock: clk, node: nodes[0], gov: gov,
		members: members.New(nodes[0].Store, members.Options{Now: clk.Now, Rulebook: gov}),
		pooling: pooling.New(nodes[0].Store), props: New(nodes[0].Store, Options{Now: clk.Now})}
	c.members.BootstrapOperator(ctx, "op@coop.test", password)
	c.operator = c.login("op@coop.test")
	c.researcher = c.signup("researcher")
	if err := c.members.GrantRole(ctx, c.operator, c.researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	c.researcher = c.login("researcher@coop.test")
	min, max := 0.0, 500.0
	if _, err := c.pooling.CreatePool(ctx, pooling.Pool{ID: "energy", Title: "Energy",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}, {Name: "heating", Type: "category", Values: []string{"gas", "wood"}}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}
	voters := c.contributors(10)
	d := knowledgeDraft()
	d.Privacy = &Privacy{MinCohort: 5, EpsilonTotal: 2, EpsilonPerQuery: 0.5}
	p := passedProposal(t, c, voters, d)

	svcs := []*Service{New(nodes[1].Store, Options{Now: clk.Now}), New(nodes[2].Store, Options{Now: clk.Now})}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svcs[i%2].RunQuery(ctx, c.researcher, p.ID, nil)
			mu.Lock()
			defer mu.Unlock()
			switch raftdata.ErrorCode(err) {
			case "":
				ok++
			case raftdata.CodeConflict:
				refused++
			default:
				t.Errorf("run: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 4 || refused != 6 {
		t.Fatalf("%d runs released and %d refused, want 4 and 6", ok, refused)
	}
	raftdatatest.WaitConverged(t, nodes)
	for i, n := range nodes {
		g, err := New(n.Store, Options{}).Get(ctx, p.ID)
		if err != nil || g.Grant == nil || g.Grant.EpsilonSpent != 2 || g.Grant.BudgetLeft != 0 {
			t.Fatalf("node %d grant %+v %v", i, g.Grant, err)
		}
	}
}
