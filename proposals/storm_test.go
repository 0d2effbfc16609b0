package proposals

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestCluster3_VotingStorm: 200 members cast and change ballots at once
// through all three nodes while the leader is killed once. Afterwards every
// node shows the same tally, equal to each member's last acknowledged
// ballot, and every acknowledged voter is counted exactly once.
func TestCluster3_VotingStorm(t *testing.T) {
	c := startClusterCoop(t)
	ctx := context.Background()
	// 201 members sign up, in parallel through the three nodes; one of
	// them never votes, so the vote cannot close early.
	const voters = 200
	accounts, ok := c.signups(t, voters+1)
	if !ok {
		return
	}
	p := c.open(t)

	// The storm: each voter votes three times (yes, no, then yes or
	// abstain) through a node of its own; a failed attempt is retried as a
	// new ballot until acknowledged.
	leaderIdx := c.leader()
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
					_, err := c.props[node].Vote(wctx, accounts[i], p.ID, ch)
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
					once.Do(func() { close(killAt); c.nodes[leaderIdx].Kill() })
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
	liveProps := c.closeOnSurvivors(t, leaderIdx)
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
	for i, s := range liveProps {
		got, err := s.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tally == nil || !reflect.DeepEqual(*got.Tally, want) {
			t.Fatalf("node %d tally %+v, want %+v (status %s)", i, got.Tally, want, got.Status)
		}
		list, err := s.Ballots(ctx, p.ID)
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
