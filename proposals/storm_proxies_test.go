package proposals

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"coop/governance"
)

// TestCluster3_ProxyStorm: 120 members give, take back and give again
// their proxies, and vote and change their ballots, all at once through
// the three nodes, while the leader is killed. Givers race their holders:
// a proxy lands before or after the holder's ballot, a giver's own
// ballot lands before or after their proxy. Afterwards every live node
// shows the tally that governance.Resolve gives from each member's last
// acknowledged ballot and proxy: every vote counted exactly once.
func TestCluster3_ProxyStorm(t *testing.T) {
	c := startClusterCoop(t)
	ctx := context.Background()
	// 40 holders, 80 givers (two per holder: the cap), one who never acts.
	const holders, givers = 40, 80
	accounts, ok := c.signups(t, holders+givers+1)
	if !ok {
		return
	}
	p := c.open(t)
	props, nodes := c.props, c.nodes
	leaderIdx := c.leader()
	killed := make(chan struct{})
	var killOnce sync.Once
	kill := func() { killOnce.Do(func() { close(killed); nodes[leaderIdx].Kill() }) }
	// retry runs op through the nodes in turn until one acknowledges it.
	retry := func(i int, what string, op func(*Service) error) error {
		for attempt := 0; ; attempt++ {
			node := (i + attempt) % 3
			if node == leaderIdx && isKilled(killed) {
				continue
			}
			err := op(props[node])
			if err == nil {
				return nil
			}
			if attempt > 30 {
				return fmt.Errorf("member %d, %s: %w", i, what, err)
			}
		}
	}
	direct := make([]string, len(accounts)) // last acknowledged ballot
	holder := make([]string, len(accounts)) // last acknowledged proxy
	var acts sync.WaitGroup
	errs := make(chan error, len(accounts))
	for i := 0; i < holders+givers; i++ {
		acts.Add(1)
		go func() {
			defer acts.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			choices := []string{"yes", "no", "abstain"}
			vote := func(ch string) error {
				return retry(i, "vote", func(s *Service) error {
					wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
					_, err := s.Vote(wctx, accounts[i], p.ID, ch)
					return err
				})
			}
			proxy := func(to string) error {
				return retry(i, "proxy", func(s *Service) error {
					wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
					_, err := s.GiveProxy(wctx, accounts[i], p.ID, to)
					return err
				})
			}
			if i < holders {
				// A holder votes twice, or (one in four) never.
				if i%4 == 3 {
					return
				}
				for range 2 {
					ch := choices[rng.IntN(3)]
					if err := vote(ch); err != nil {
						errs <- err
						return
					}
					direct[i] = ch
				}
				return
			}
			to := accounts[(i-holders)/2].ID
			steps := []string{"give", "take", "give", "vote"}[:2+rng.IntN(3)]
			if rng.IntN(3) == 0 {
				steps = []string{"give"}
			}
			for _, s := range steps {
				var err error
				switch s {
				case "give":
					if err = proxy(to); err == nil {
						holder[i] = to
					}
				case "take":
					if err = proxy(""); err == nil {
						holder[i] = ""
					}
				case "vote":
					ch := choices[rng.IntN(3)]
					if err = vote(ch); err == nil {
						direct[i] = ch
					}
				}
				if err != nil {
					errs <- err
					return
				}
				if i == holders+givers/2 {
					kill()
				}
			}
		}()
	}
	acts.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	if !isKilled(killed) {
		t.Fatal("the leader was never killed")
	}

	// What governance.Resolve makes of the last acknowledged acts.
	var electors []governance.Elector
	ballots, holders2 := map[string]string{}, map[string]string{}
	for i, a := range accounts {
		electors = append(electors, governance.Elector{Key: a.ID})
		if direct[i] != "" {
			ballots[a.ID] = direct[i]
		}
		if holder[i] != "" {
			holders2[a.ID] = holder[i]
		}
	}
	want, _ := governance.Sum(governance.ElectorateOf(electors), governance.Resolve(electors, ballots, holders2, governance.DefaultProxies), nil)

	liveProps := c.closeOnSurvivors(t, leaderIdx)
	for i, s := range liveProps {
		got, err := s.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		tl := got.Tally
		if tl == nil || tl.Yes != want.Yes || tl.No != want.No || tl.Abstain != want.Abstain || tl.Proxied != want.Proxied || tl.Electorate != len(accounts) {
			t.Fatalf("node %d tally %+v, want %+v (status %s)", i, tl, want, got.Status)
		}
		list, err := s.Ballots(ctx, p.ID)
		if err != nil || len(list) != want.Cast() {
			t.Fatalf("node %d publishes %d lines, want %d (%v)", i, len(list), want.Cast(), err)
		}
	}
	if want.Proxied == 0 || want.Cast() == 0 {
		t.Fatalf("the storm counted no proxy: %+v", want)
	}
	t.Logf("tally %+v on every live node after a leader kill", want)
}
