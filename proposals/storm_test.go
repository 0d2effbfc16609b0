package proposals

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/raftdata/raftdatatest"
)

// TestCluster3_VotingStorm: 200 members cast and change ballots at once
// through all three nodes while the leader is killed once. Afterwards every
// node shows the same tally, equal to each member's last acknowledged
// ballot, and every acknowledged voter is counted exactly once.
func TestCluster3_VotingStorm(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	nodes := raftdatatest.Cluster(t, 3, register, raftdatatest.Options{Now: clk.Now})
	ctx := context.Background()
	type services struct {
		members *members.Service
		props   *Service
	}
	svcs := make([]services, len(nodes))
	gov := governance.New(nodes[0].Store)
	for i, n := range nodes {
		svcs[i] = services{members.New(n.Store, members.Options{Now: clk.Now, Rulebook: gov}), New(n.Store, Options{Now: clk.Now})}
	}
	if err := gov.Bootstrap(ctx, governancetest.Rules()); err != nil {
		t.Fatal(err)
	}
	m := svcs[0].members
	if _, err := m.BootstrapOperator(ctx, "op@coop.test", password); err != nil {
		t.Fatal(err)
	}
	login := func(svc *members.Service, email string) members.Account {
		s, err := svc.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
		if err != nil {
			t.Fatalf("login %s: %v", email, err)
		}
		a, err := svc.Authenticate(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	op := login(m, "op@coop.test")
	res, err := m.SignUp(ctx, members.SignupInput{Name: "researcher", Email: "r@coop.test", Password: password, AcceptCharter: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.GrantRole(ctx, op, res.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	researcher := login(m, "r@coop.test")
	min, max := 0.0, 10.0
	if _, err := pooling.New(nodes[0].Store).CreatePool(ctx, pooling.Pool{ID: "energy", Title: "E",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}

	// 201 members sign up, in parallel through the three nodes; one of
	// them never votes, so the vote cannot close early.
	const voters = 200
	accounts := make([]members.Account, voters+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := svcs[i%3].members.SignUp(ctx, members.SignupInput{Name: fmt.Sprintf("m%d", i), Email: fmt.Sprintf("m%d@coop.test", i), Password: password, AcceptCharter: true})
			if err != nil {
				t.Errorf("sign up %d: %v", i, err)
			}
			accounts[i] = a
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	d := knowledgeDraft()
	d.Query = &pooling.Query{Aggregate: "mean", Field: "kwh"}
	p, err := svcs[0].props.Create(ctx, researcher, d)
	if err != nil {
		t.Fatal(err)
	}

	// The storm: each voter votes three times (yes, no, then yes or
	// abstain) through a node of its own; a failed attempt is retried as a
	// new ballot until acknowledged.
	leaderIdx := 0
	for i, n := range nodes {
		if n.IsLeader() {
			leaderIdx = i
		}
	}
	last := make([]string, voters)
	var acked sync.WaitGroup
	killAt := make(chan struct{})
	var once sync.Once
	for i := 0; i < voters; i++ {
		acked.Add(1)
		go func() {
			defer acked.Done()
			choices := []string{"yes", "no", []string{"yes", "abstain"}[i%2]}
			for step, ch := range choices {
				for attempt := 0; ; attempt++ {
					node := (i + step + attempt) % 3
					if node == leaderIdx && isKilled(killAt) {
						continue
					}
					wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
					_, err := svcs[node].props.Vote(wctx, accounts[i], p.ID, ch)
					cancel()
					if err == nil {
						last[i] = ch
						break
					}
					if attempt > 20 {
						t.Errorf("voter %d step %d: %v", i, step, err)
						return
					}
				}
				if i == voters/2 && step == 0 {
					once.Do(func() { close(killAt); nodes[leaderIdx].Kill() })
				}
			}
		}()
	}
	acked.Wait()
	if t.Failed() {
		return
	}
	if !isKilled(killAt) {
		t.Fatal("the leader was never killed")
	}
	live := []*raftdatatest.Node{}
	liveSvcs := []services{}
	for i, n := range nodes {
		if i != leaderIdx {
			live = append(live, n)
			liveSvcs = append(liveSvcs, svcs[i])
		}
	}
	clk.Advance(2 * time.Hour)
	raftdatatest.WaitFor(t, 10*time.Second, func() error {
		for _, s := range liveSvcs {
			if err := s.props.CloseDue(ctx); err == nil {
				return nil
			}
		}
		return fmt.Errorf("no node could close the vote")
	})
	raftdatatest.WaitConverged(t, live)
	want := Tally{Electorate: voters + 1}
	for _, ch := range last {
		switch ch {
		case "yes":
			want.Yes++
		case "no":
			want.No++
		case "abstain":
			want.Abstain++
		}
	}
	for i, s := range liveSvcs {
		got, err := s.props.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tally == nil || !reflect.DeepEqual(*got.Tally, want) {
			t.Fatalf("node %d tally %+v, want %+v (status %s)", i, got.Tally, want, got.Status)
		}
		list, err := s.props.Ballots(ctx, p.ID)
		if err != nil || len(list) != voters {
			t.Fatalf("node %d publishes %d ballots, want %d (%v)", i, len(list), voters, err)
		}
	}
	t.Logf("tally %+v on every live node after a leader kill", want)
}

func isKilled(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
