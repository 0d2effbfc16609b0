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
	return startCoopWith(t, governancetest.Rules())
}

// startCoopWith is startCoop under another rulebook.
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

// castSecret votes on a secret proposal as a member's client does: it
// takes the member's voting token (signed in), then casts the ballot with
// it (as no one). It returns the token, for replacements.
func castSecret(t testing.TB, svc *Service, voter members.Account, id, choice string) (*BallotToken, SecretReceipt) {
	t.Helper()
	tok := takeToken(t, svc, voter, id)
	b, err := tok.Ballot(choice, 1, "receipt of "+voter.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CastSecret(context.Background(), id, b)
	if err != nil {
		t.Fatalf("cast a secret ballot: %v", err)
	}
	return tok, r
}

// takeToken takes a member's voting token for the secret vote id.
func takeToken(t testing.TB, svc *Service, voter members.Account, id string) *BallotToken {
	t.Helper()
	ctx := context.Background()
	votes, err := svc.SecretVotes(ctx, voter)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range votes {
		if v.Proposal != id {
			continue
		}
		tok, err := TakeToken(v, func(blinded []byte) ([]byte, error) { return svc.IssueToken(ctx, voter, id, blinded) })
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t.Fatalf("%s has no secret vote %s open: %+v", voter.Name, id, votes)
	return nil
}

// vote casts a ballot the way the proposal takes it: as the member, or
// with a voting token when it is secret.
func (c *coop) vote(voter members.Account, p Proposal, choice string) {
	c.t.Helper()
	if p.Secret {
		castSecret(c.t, c.props, voter, p.ID, choice)
		return
	}
	if _, err := c.props.Vote(context.Background(), voter, p.ID, choice); err != nil {
		c.t.Fatalf("vote: %v", err)
	}
}
