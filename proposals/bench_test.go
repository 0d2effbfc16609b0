package proposals

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// benchRegister adds, for the benchmarks only, a bare command (the raw
// raftdata baseline) and a seeding command that fills a proposal's
// electorate and ballots without signing up 100,000 accounts.
func benchRegister(reg *raftdata.Registry) {
	register(reg)
	reg.Schema("bench", `CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, v TEXT)`)
	reg.Handle("bench.put", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		_, err := tx.Exec(`INSERT INTO bench_rows(id, v) VALUES(?, ?)`, cmd.ID, string(cmd.Payload))
		return nil, err
	})
	reg.Handle("bench.seed_electorate", seedVoters(false))
	// A command whose log entry is small and whose row is large: a disk
	// that fills under it fills in the state database first.
	reg.Schema("bench blobs", `CREATE TABLE IF NOT EXISTS bench_blobs (id TEXT PRIMARY KEY, v BLOB)`)
	reg.Handle("bench.grow", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var n int
		if err := cmd.Decode(&n); err != nil {
			return nil, err
		}
		_, err := tx.Exec(`INSERT INTO bench_blobs(id, v) VALUES(?, zeroblob(?))`, cmd.ID, n)
		return nil, err
	})
	reg.Handle("bench.seed_ballots", seedVoters(true))
	reg.Handle("bench.seed_members", applySeedMembers)
}

// seedVoters seeds N voters straight into an open proposal's electorate
// (account ids "seed-account-seed-NNNNNNN"), each with a ballot if ballots
// (and then one voter more, who never votes).
func seedVoters(ballots bool) raftdata.Handler {
	return func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var p struct {
			Proposal string
			N        int
		}
		if err := cmd.Decode(&p); err != nil {
			return nil, err
		}
		el, err := tx.Prepare(`INSERT INTO proposals_electorate(proposal, voter_key, account_id) VALUES(?,?,?)`)
		if err != nil {
			return nil, err
		}
		defer el.Close()
		ba, err := tx.Prepare(`INSERT INTO proposals_ballots(proposal, voter_key, choice, receipt_hash, cast_at) VALUES(?,?,?,?,0)`)
		if err != nil {
			return nil, err
		}
		defer ba.Close()
		choices := []string{ChoiceYes, ChoiceNo, ChoiceYes, ChoiceAbstain}
		for i := 0; i < p.N; i++ {
			key := fmt.Sprintf("seed-%07d", i)
			if _, err := el.Exec(p.Proposal, key, "seed-account-"+key); err != nil {
				return nil, err
			}
			if !ballots {
				continue
			}
			if _, err := ba.Exec(p.Proposal, key, choices[i%4], key); err != nil {
				return nil, err
			}
		}
		added := p.N
		if ballots {
			added++
		}
		_, err = tx.Exec(`UPDATE proposals SET electorate = electorate + ? WHERE id = ?`, added, p.Proposal)
		return nil, err
	}
}

type benchCoop struct {
	nodes      []*raftdatatest.Node
	clock      *clock
	members    *members.Service
	props      []*Service
	researcher members.Account
}

// startBenchCoop starts 3 nodes with an operator, a researcher, a pool and
// voters signed up; opts may place the nodes' data (Dir).
func startBenchCoop(b testing.TB, voters int, opts ...raftdatatest.Options) (*benchCoop, []members.Account) {
	c := &benchCoop{clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	c.nodes = raftdatatest.Cluster(b, 3, benchRegister, append(opts, raftdatatest.Options{Now: c.clock.Now})...)
	ctx := context.Background()
	gov := governance.New(c.nodes[0].Store)
	if err := gov.Bootstrap(ctx, governancetest.Rules()); err != nil {
		b.Fatal(err)
	}
	c.members = members.New(c.nodes[0].Store, members.Options{Now: c.clock.Now, Rulebook: gov})
	for _, n := range c.nodes {
		c.props = append(c.props, New(n.Store, Options{Now: c.clock.Now}))
	}
	c.members.BootstrapOperator(ctx, "op@coop.test", password)
	login := func(email string) members.Account {
		s, err := c.members.Login(ctx, members.LoginInput{Email: email, Password: password, Address: "127.0.0.1"})
		if err != nil {
			b.Fatal(err)
		}
		a, _ := c.members.Authenticate(ctx, s.Token)
		return a
	}
	op := login("op@coop.test")
	r, _ := c.members.SignUp(ctx, members.SignupInput{Name: "r", Email: "r@coop.test", Password: password, AcceptCharter: true})
	c.members.GrantRole(ctx, op, r.ID, "researcher")
	c.researcher = login("r@coop.test")
	min, max := 0.0, 10.0
	pooling.New(c.nodes[0].Store).CreatePool(ctx, pooling.Pool{ID: "energy", Title: "E",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &min, Max: &max}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}})
	accounts := make([]members.Account, voters)
	var wg sync.WaitGroup
	for i := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := c.members.SignUp(ctx, members.SignupInput{Name: fmt.Sprint("v", i), Email: fmt.Sprintf("v%d@coop.test", i), Password: password, AcceptCharter: true})
			if err != nil {
				b.Error(err)
			}
			accounts[i] = a
		}()
	}
	wg.Wait()
	return c, accounts
}

func (c *benchCoop) open(b testing.TB) Proposal {
	d := knowledgeDraft()
	d.Query = &pooling.Query{Aggregate: "count"}
	d.VotingMinutes = 43200
	p, err := c.props[0].Create(context.Background(), c.researcher, d)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkBallots3Nodes: ballots per second on 3 nodes with 64 voters
// (each changing its ballot again and again, through the leader), and in
// the same run the raw raftdata throughput of a bare command with 64
// clients: the ratio is the cost of the ballot's rules.
func BenchmarkBallots3Nodes(b *testing.B) {
	const voters = 64
	c, accounts := startBenchCoop(b, voters+1)
	p := c.open(b)
	var leader *raftdatatest.Node
	var leaderProps *Service
	for i, n := range c.nodes {
		if n.IsLeader() {
			leader, leaderProps = n, c.props[i]
		}
	}
	ctx := context.Background()
	run := func(fn func(i int64, v int) error) float64 { return concurrently(b, voters, fn) }
	b.ResetTimer()
	raw := run(func(i int64, v int) error {
		_, err := leader.Apply(ctx, "bench.put", map[string]any{"i": i})
		return err
	})
	choices := []string{ChoiceYes, ChoiceNo, ChoiceAbstain}
	ballots := run(func(i int64, v int) error {
		_, err := leaderProps.Vote(ctx, accounts[v], p.ID, choices[i%3])
		return err
	})
	b.StopTimer()
	b.ReportMetric(raw, "raw-cmds/s")
	b.ReportMetric(ballots, "ballots/s")
	b.ReportMetric(ballots/raw, "ballots/raw")
}

// concurrently runs fn b.N times from clients goroutines (fn gets the
// call's number and the client's) and answers the calls per second.
func concurrently(b *testing.B, clients int, fn func(i int64, v int) error) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for v := 0; v < clients; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := fn(i, v); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(b.N) / time.Since(start).Seconds()
}

// BenchmarkSecretBallots3Nodes: secret ballots per second on 3 nodes with
// 64 voters replacing their ballots again and again (each checked in
// every node's FSM: the token's RSA signature and the ballot's ECDSA
// proof), and in the same run the raw throughput of a bare command and
// the open ballots of the same voters: the ratios are the cost of the
// secret ballot's checks.
func BenchmarkSecretBallots3Nodes(b *testing.B) {
	const voters = 64
	c, accounts := startBenchCoop(b, voters+1)
	ctx := context.Background()
	rules := governancetest.Rules()
	am, err := c.props[0].Create(ctx, accounts[voters], Draft{Title: "t", Purpose: "p", Kind: governance.Amendment, Rules: &rules, VotingMinutes: 43200})
	if err != nil {
		b.Fatal(err)
	}
	open := c.open(b)
	var leader *raftdatatest.Node
	var leaderProps *Service
	for i, n := range c.nodes {
		if n.IsLeader() {
			leader, leaderProps = n, c.props[i]
		}
	}
	tokens := make([]*BallotToken, voters)
	for v := range tokens {
		tokens[v] = takeToken(b, leaderProps, accounts[v], am.ID)
	}
	seqs := make([]atomic.Int64, voters)
	choices := []string{ChoiceYes, ChoiceNo, ChoiceAbstain}
	b.ResetTimer()
	raw := concurrently(b, voters, func(i int64, v int) error {
		_, err := leader.Apply(ctx, "bench.put", map[string]any{"i": i})
		return err
	})
	openBallots := concurrently(b, voters, func(i int64, v int) error {
		_, err := leaderProps.Vote(ctx, accounts[v], open.ID, choices[i%3])
		return err
	})
	secret := concurrently(b, voters, func(i int64, v int) error {
		ballot, err := tokens[v].Ballot(choices[i%3], int(seqs[v].Add(1)), fmt.Sprint("r", i))
		if err != nil {
			return err
		}
		_, err = leaderProps.CastSecret(ctx, am.ID, ballot)
		return err
	})
	b.StopTimer()
	b.ReportMetric(secret, "secret-ballots/s")
	b.ReportMetric(secret/raw, "secret/raw")
	b.ReportMetric(secret/openBallots, "secret/open")
}

// BenchmarkCloseWith100kBallots: the time from the deadline to the closed
// tally applied on every node, for a proposal with 100,000 ballots.
func BenchmarkCloseWith100kBallots(b *testing.B) {
	c, _ := startBenchCoop(b, 1)
	ctx := context.Background()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		p := c.open(b)
		if _, err := c.nodes[0].Apply(ctx, "bench.seed_ballots", map[string]any{"Proposal": p.ID, "N": 100000}); err != nil {
			b.Fatal(err)
		}
		raftdatatest.WaitConverged(b, c.nodes)
		c.clock.Advance(31 * 24 * time.Hour)
		start := time.Now()
		for _, s := range c.props {
			if err := s.CloseDue(ctx); err == nil && s.store.IsLeader() {
				break
			}
		}
		raftdatatest.WaitFor(b, time.Minute, func() error {
			for _, s := range c.props {
				got, err := s.Get(ctx, p.ID)
				if err != nil || got.Status == StatusOpen {
					return fmt.Errorf("not closed everywhere yet")
				}
			}
			return nil
		})
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-closed-everywhere")
}
