package proposals

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

const password = "plum orchard lantern 42"

// clock is a fake clock: command times, deadlines and expiries follow it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func register(reg *raftdata.Registry) {
	members.Register(reg)
	governance.Register(reg)
	pooling.Register(reg)
	Register(reg)
}

// coop is a node with every service, an operator, a researcher and a
// documented pool.
type coop struct {
	t          *testing.T
	clock      *clock
	node       *raftdatatest.Node
	members    *members.Service
	pooling    *pooling.Service
	gov        *governance.Service
	props      *Service
	operator   members.Account
	researcher members.Account
	signedUp   int
}

func startCoop(t *testing.T) *coop {
	t.Helper()
	return startCoopWith(t, testRules())
}

// startCoopWith is startCoop under the given rulebook.
func startCoopWith(t *testing.T, rules governance.Rulebook) *coop {
	t.Helper()
	c := &coop{t: t, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	c.node = raftdatatest.Start(t, register, raftdatatest.Options{Now: c.clock.Now})
	ctx := context.Background()
	c.gov = governance.New(c.node.Store)
	if err := c.gov.Bootstrap(ctx, rules); err != nil {
		t.Fatal(err)
	}
	c.members = members.New(c.node.Store, members.Options{Now: c.clock.Now, Rulebook: c.gov})
	c.pooling = pooling.New(c.node.Store)
	c.props = New(c.node.Store, Options{Now: c.clock.Now})
	if _, err := c.members.BootstrapOperator(ctx, "op@coop.test", password); err != nil {
		t.Fatal(err)
	}
	c.operator = c.login("op@coop.test")
	c.researcher = c.signup("researcher")
	if err := c.members.GrantRole(ctx, c.operator, c.researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	c.researcher = c.login("researcher@coop.test")
	max := 500.0
	min := 0.0
	pool := pooling.Pool{ID: "energy", Title: "Energy",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}, {Name: "heating", Type: "category", Values: []string{"gas", "wood"}}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}
	if _, err := c.pooling.CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return c
}

// testRules is the rulebook of these tests, named in full (the default
// may become stricter): votes of 1 minute to 30 days that close when
// everyone voted, quorum 25 %, more yes than no; cohort floor 5, epsilon 2
// per proposal, 10 per pool and year, 10 per member and year; reuse
// results kept 365 days.
func testRules() governance.Rulebook {
	rule := governance.VotingRule{MinMinutes: 1, MaxMinutes: 43200, QuorumPercent: 25, ApprovalPercent: 50, EarlyClose: governance.CloseWhenAllVoted}
	return governance.Rulebook{
		Voting: map[governance.Kind]governance.VotingRule{governance.Knowledge: rule, governance.Reuse: rule, governance.Amendment: rule},
		Disclosure: governance.Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10,
			MaxEpsilonPerMemberPerYear: 10, PreviewEpsilon: 0.1, MaxPreviewEpsilonPerPoolPerYear: 2},
		Retention: governance.Retention{IdentityMonthsAfterDeletion: 3, CharterMonthsAfterDeletion: 12, ConnectionLogMonths: 12, OutputRetentionDays: 365},
	}
}

func (c *coop) signup(name string) members.Account {
	c.t.Helper()
	a, err := c.members.SignUp(context.Background(), members.SignupInput{Name: name, Email: name + "@coop.test", Password: password, AcceptCharter: true})
	if err != nil {
		c.t.Fatalf("sign up %s: %v", name, err)
	}
	return a
}

func (c *coop) login(email string) members.Account {
	c.t.Helper()
	ctx := context.Background()
	s, err := c.members.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
	if err != nil {
		c.t.Fatalf("login %s: %v", email, err)
	}
	a, err := c.members.Authenticate(ctx, s.Token)
	if err != nil {
		c.t.Fatal(err)
	}
	return a
}

// contributors signs up n members who consent and contribute one record.
func (c *coop) contributors(n int) []members.Account {
	c.t.Helper()
	ctx := context.Background()
	var out []members.Account
	for i := 0; i < n; i++ {
		c.signedUp++
		a := c.signup(fmt.Sprintf("member%03d", c.signedUp))
		if _, err := c.pooling.SetConsent(ctx, a.ID, "energy", true); err != nil {
			c.t.Fatal(err)
		}
		heat := []string{"gas", "wood"}[i%2]
		if _, err := c.pooling.Contribute(ctx, a.ID, "energy", []map[string]any{{"kwh": float64(100 + i), "heating": heat}}, ""); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func knowledgeDraft() Draft {
	return Draft{
		Title: "Heating and consumption", Purpose: "Learn whether wood-heated homes use more energy.",
		Kind: governance.Knowledge, Pool: "energy",
		Query:         &pooling.Query{Aggregate: "mean", Field: "kwh", GroupBy: []string{"heating"}},
		Privacy:       &Privacy{MinCohort: 5, EpsilonTotal: 2, EpsilonPerQuery: 1},
		VotingMinutes: 60, GrantDays: 30,
	}
}
