package proposals

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coop/members"
	"coop/raftdata/raftdatatest"
	"coop/raftdata/raftdatatest/smalldisk"
)

// TestCluster3_FullDiskFollowerDuringBallotStorm: members cast first
// ballots as fast as they can through two nodes while the third node's
// disk fills. Its FSM rolls a batch of ballots back and tries it again
// until space returns. The open votes it keeps in memory (votes.go) must
// not survive the rollback: the retry would take each first ballot of the
// batch for a changed one, write no ballot row and leave the participation
// lower. Once the disk is freed every node holds the same state (hash)
// and the same participation, equal to the ballots stored.
func TestCluster3_FullDiskFollowerDuringBallotStorm(t *testing.T) {
	// The follower's state database lives on a small disk of its own (a
	// symbolic link, which SQLite follows for the database and its WAL),
	// its Raft log on the ordinary one: the FSM's transaction, not the log
	// store, is what the full disk refuses.
	disk := smalldisk.Mount(t, "24m")
	onDisk := func(id string) string {
		if id != "n3" {
			return ""
		}
		parent := t.TempDir()
		if err := os.MkdirAll(filepath.Join(parent, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(disk, "state.db"), filepath.Join(parent, id, "state.db")); err != nil {
			t.Fatal(err)
		}
		return parent
	}
	c, _ := startBenchCoop(t, 1, raftdatatest.Options{Dir: onDisk}) // one member never votes
	ctx := context.Background()
	p := c.open(t)
	const seeded = 20000
	if _, err := c.nodes[0].Apply(ctx, "bench.seed_electorate", map[string]any{"Proposal": p.ID, "N": seeded}); err != nil {
		t.Fatal(err)
	}
	follower := c.nodes[2]

	// The storm: each voter casts one ballot, through the first two nodes
	// in turn; a failed attempt is tried again (a retry of a ballot that
	// did commit is a changed ballot, which counts once).
	var next, acked atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			choices := []string{ChoiceYes, ChoiceNo, ChoiceAbstain}
			for {
				select {
				case <-quit:
					return
				default:
				}
				i := next.Add(1) - 1
				if i >= seeded {
					return
				}
				voter := members.Account{ID: fmt.Sprintf("seed-account-seed-%07d", i), Status: members.StatusActive}
				for attempt := 0; ; attempt++ {
					wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					_, err := c.props[int(i+int64(attempt))%2].Vote(wctx, voter, p.ID, choices[i%3])
					cancel()
					if err == nil {
						acked.Add(1)
						break
					}
					if attempt > 20 {
						t.Errorf("ballot of voter %d: %v", i, err)
						return
					}
				}
			}
		}()
	}
	stop := sync.OnceFunc(func() { close(quit); wg.Wait() })
	defer stop()
	waitAcked := func(n int64) {
		t.Helper()
		raftdatatest.WaitFor(t, 60*time.Second, func() error {
			if got := acked.Load(); got < n {
				return fmt.Errorf("%d ballots acknowledged, waiting for %d", got, n)
			}
			return nil
		})
	}
	waitAcked(300)

	// The disk fills, bar a little room that large rows use up.
	filler := smalldisk.Fill(t, disk)
	if err := os.Truncate(filler, fileSize(t, filler)-2<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(disk, "state.db-wal")); err != nil {
		t.Fatalf("the follower's WAL is not on the small disk: %v", err)
	}
	growDone := make(chan struct{})
	go func() {
		defer close(growDone)
		for range 100 { // 25 MiB at most: far more than the room left
			select {
			case <-quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c.nodes[0].Apply(gctx, "bench.grow", 256<<10)
			cancel()
			if follower.Counters().RolledBackBatches > 0 {
				return
			}
		}
	}()
	raftdatatest.WaitFor(t, 60*time.Second, func() error {
		if follower.Counters().RolledBackBatches == 0 {
			return fmt.Errorf("the follower's FSM has rolled no batch back yet (storage: %q)", follower.Status().StorageError)
		}
		return nil
	})
	<-growDone
	during := acked.Load()
	waitAcked(during + 300) // the cluster goes on through the two others
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// hashicorp/raft backs off a failing follower exponentially (up to
	// about 41 s) before it sends the entries again.
	raftdatatest.WaitFor(t, 90*time.Second, func() error {
		if e := follower.Status().StorageError; e != "" {
			return fmt.Errorf("the follower still cannot write: %s", e)
		}
		return nil
	})
	waitAcked(acked.Load() + 100)
	stop()
	if t.Failed() {
		return
	}
	raftdatatest.WaitFor(t, 90*time.Second, func() error {
		if got, want := follower.AppliedIndex(), c.nodes[0].AppliedIndex(); got < want {
			return fmt.Errorf("the follower applied %d of %d", got, want)
		}
		return nil
	})
	for _, n := range c.nodes {
		var participation, ballots int
		if err := n.DB().QueryRow(`SELECT participation FROM proposals_tallies WHERE proposal = ?`, p.ID).Scan(&participation); err != nil {
			t.Fatal(err)
		}
		if err := n.DB().QueryRow(`SELECT COUNT(*) FROM proposals_ballots WHERE proposal = ?`, p.ID).Scan(&ballots); err != nil {
			t.Fatal(err)
		}
		if participation != ballots || int64(ballots) < acked.Load() {
			t.Errorf("node %s: participation %d, %d ballots stored, %d acknowledged", n.NodeID(), participation, ballots, acked.Load())
		}
	}
	raftdatatest.WaitConverged(t, c.nodes)
	t.Logf("%d ballots acknowledged; the follower rolled %d batches back", acked.Load(), follower.Counters().RolledBackBatches)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
