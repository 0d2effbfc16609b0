package proposals

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// The FSM keeps open votes in memory (votes.go). A follower cut off while
// members cast ballots, then brought back by a snapshot install (the
// leader has compacted its log), must drop what it held: the next ballot
// is counted from the restored tables, and its state stays the leader's.
func TestCluster3_SnapshotInstallDropsTheOpenVotesHeldInMemory(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	network := raftdata.NewNetwork()
	nodes := raftdatatest.Cluster(t, 3, register, raftdatatest.Options{Now: clk.Now, Network: network})
	ctx := context.Background()
	leader, follower := nodes[0], nodes[2]
	gov := governance.New(leader.Store)
	if err := gov.Bootstrap(ctx, testRules()); err != nil {
		t.Fatal(err)
	}
	m := members.New(leader.Store, members.Options{Now: clk.Now, Rulebook: gov})
	props := New(leader.Store, Options{Now: clk.Now})
	if _, err := m.BootstrapOperator(ctx, "op@coop.test", password); err != nil {
		t.Fatal(err)
	}
	login := func(email string) members.Account {
		s, err := m.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
		if err != nil {
			t.Fatalf("login %s: %v", email, err)
		}
		a, err := m.Authenticate(ctx, s.Token)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	signup := func(name string) members.Account {
		if _, err := m.SignUp(ctx, members.SignupInput{Name: name, Email: name + "@coop.test", Password: password, AcceptCharter: true}); err != nil {
			t.Fatal(err)
		}
		return login(name + "@coop.test")
	}
	researcher := signup("researcher")
	if err := m.GrantRole(ctx, login("op@coop.test"), researcher.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	researcher = login("researcher@coop.test")
	min, max := 0.0, 10.0
	if _, err := pooling.New(leader.Store).CreatePool(ctx, pooling.Pool{ID: "energy", Title: "E",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}
	voters := make([]members.Account, 6)
	for i := range voters {
		voters[i] = signup(fmt.Sprintf("voter%d", i))
	}
	signup("abstainer") // never votes: the vote does not close early
	d := knowledgeDraft()
	d.Query = &pooling.Query{Aggregate: "mean", Field: "kwh"}
	p, err := props.Create(ctx, researcher, d)
	if err != nil {
		t.Fatal(err)
	}
	vote := func(vs []members.Account, choice string) {
		t.Helper()
		for _, v := range vs {
			if _, err := props.Vote(ctx, v, p.ID, choice); err != nil {
				t.Fatal(err)
			}
		}
	}

	vote(voters[:2], ChoiceYes) // every node now holds the vote, a participation of 2
	raftdatatest.WaitConverged(t, nodes)
	network.Partition(raftdatatest.IDs(leader, nodes[1]), raftdatatest.IDs(follower))
	vote(voters[2:4], ChoiceNo) // the follower misses these
	vote(voters[:1], ChoiceNo)
	for _, n := range nodes[:2] {
		if err := n.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	restores := follower.Counters().SnapshotRestores
	network.Heal()
	raftdatatest.WaitFor(t, 20*time.Second, func() error {
		if follower.Counters().SnapshotRestores == restores {
			return fmt.Errorf("the follower has not installed a snapshot yet")
		}
		return nil
	})
	vote(voters[4:5], ChoiceAbstain) // a first ballot: participation 5
	vote(voters[:1], ChoiceAbstain)  // a changed one
	raftdatatest.WaitConverged(t, nodes)
	for i, n := range nodes {
		var participation int
		if err := n.DB().QueryRow(`SELECT participation FROM proposals_tallies WHERE proposal = ?`, p.ID).Scan(&participation); err != nil {
			t.Fatal(err)
		}
		if participation != 5 {
			t.Fatalf("node %d: participation %d, want 5", i, participation)
		}
	}
}
