package proposals

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/raftdata/raftdatatest"
)

// clusterCoop is three real nodes under the tests' rulebook, the services
// of each, an operator, a researcher and a pool: what the storms start
// from.
type clusterCoop struct {
	clock      *clock
	nodes      []*raftdatatest.Node
	members    []*members.Service
	props      []*Service
	researcher members.Account
}

func startClusterCoop(t *testing.T) *clusterCoop {
	t.Helper()
	c := &clusterCoop{clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	c.nodes = raftdatatest.Cluster(t, 3, register, raftdatatest.Options{Now: c.clock.Now})
	ctx := context.Background()
	gov := governance.New(c.nodes[0].Store)
	for _, n := range c.nodes {
		c.members = append(c.members, members.New(n.Store, members.Options{Now: c.clock.Now, Rulebook: gov}))
		c.props = append(c.props, New(n.Store, Options{Now: c.clock.Now}))
	}
	if err := gov.Bootstrap(ctx, governancetest.Rules()); err != nil {
		t.Fatal(err)
	}
	m := c.members[0]
	if _, err := m.BootstrapOperator(ctx, "op@coop.test", password); err != nil {
		t.Fatal(err)
	}
	res, err := m.SignUp(ctx, members.SignupInput{Name: "researcher", Email: "r@coop.test", Password: password, AcceptCharter: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.GrantRole(ctx, c.login(t, "op@coop.test"), res.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	c.researcher = c.login(t, "r@coop.test")
	lo, hi := 0.0, 10.0
	if _, err := pooling.New(c.nodes[0].Store).CreatePool(ctx, pooling.Pool{ID: "energy", Title: "E",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &lo, Max: &hi}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *clusterCoop) login(t *testing.T, email string) members.Account {
	t.Helper()
	ctx := context.Background()
	s, err := c.members[0].Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	a, err := c.members[0].Authenticate(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signups signs n members up, in parallel through the three nodes; false
// when one failed (the test has failed then).
func (c *clusterCoop) signups(t *testing.T, n int) ([]members.Account, bool) {
	t.Helper()
	accounts := make([]members.Account, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := c.members[i%3].SignUp(context.Background(), members.SignupInput{Name: fmt.Sprintf("m%d", i), Email: fmt.Sprintf("m%d@coop.test", i), Password: password, AcceptCharter: true})
			if err != nil {
				t.Errorf("sign up %d: %v", i, err)
			}
			accounts[i] = a
		}()
	}
	wg.Wait()
	return accounts, !t.Failed()
}

// open opens the storms' knowledge proposal.
func (c *clusterCoop) open(t *testing.T) Proposal {
	t.Helper()
	d := knowledgeDraft()
	d.Query = &pooling.Query{Aggregate: "mean", Field: "kwh"}
	p, err := c.props[0].Create(context.Background(), c.researcher, d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// leader is the index of the node that leads now.
func (c *clusterCoop) leader() int {
	for i, n := range c.nodes {
		if n.IsLeader() {
			return i
		}
	}
	return 0
}

// closeOnSurvivors moves the clock past the deadline, closes the vote
// through a surviving node, and waits until the survivors agree; it
// returns their proposals services.
func (c *clusterCoop) closeOnSurvivors(t *testing.T, killed int) []*Service {
	t.Helper()
	var live []*raftdatatest.Node
	var liveProps []*Service
	for i, n := range c.nodes {
		if i != killed {
			live, liveProps = append(live, n), append(liveProps, c.props[i])
		}
	}
	c.clock.Advance(2 * time.Hour)
	raftdatatest.WaitFor(t, 10*time.Second, func() error {
		for _, s := range liveProps {
			if err := s.CloseDue(context.Background()); err == nil {
				return nil
			}
		}
		return fmt.Errorf("no node could close the vote")
	})
	raftdatatest.WaitConverged(t, live)
	return liveProps
}
