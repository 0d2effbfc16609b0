package raftdata

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The same row for every benchmark: a key and a 64-byte value.
var benchValue = string(make([]byte, 64))

// BenchmarkRawSQLiteInsert is the baseline: one INSERT per transaction into
// a SQLite file in WAL mode with synchronous=FULL, on the same disk as the
// nodes' data (t.TempDir()). Report cluster figures as ratios to it.
func BenchmarkRawSQLiteInsert(b *testing.B) {
	db, err := openWriter(filepath.Join(b.TempDir(), "raw.db"), "FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE blobs (key TEXT PRIMARY KEY, value BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := db.Exec(`INSERT INTO blobs(key, value) VALUES(?, ?)`, fmt.Sprintf("k%d", i), []byte(benchValue)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	report(b, start, lat)
}

// BenchmarkApply measures committed commands per second through Store.Apply
// on the leader, with 1, 16 and 64 concurrent clients, on 1 and 3 nodes.
func BenchmarkApply(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		for _, clients := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("nodes=%d/clients=%d", nodes, clients), func(b *testing.B) {
				c := startCluster(b, nodes)
				leader := c.waitLeader()
				benchApply(b, leader.Store, clients)
			})
		}
	}
}

// BenchmarkApplyOneClientFollowerVsLeader: one client writing through a
// follower and, in the same run, through the leader of 3 nodes; a write
// through the follower returns once the follower holds it (read your
// writes). It reports both medians and their ratio (target: 1.5 at most).
func BenchmarkApplyOneClientFollowerVsLeader(b *testing.B) {
	c := startCluster(b, 3)
	leader := c.waitLeader()
	follower := c.followers()[0]
	ctx := context.Background()
	// The two alternate, write by write, so that both see the same load.
	var lat [2][]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, s := range []*Store{leader.Store, follower.Store} {
			t0 := time.Now()
			if _, err := s.Apply(ctx, "test.put", map[string]string{"Key": fmt.Sprintf("k%d-%d", i, k), "Value": benchValue}); err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], time.Since(t0))
		}
	}
	b.StopTimer()
	viaLeader, viaFollower := median(lat[0]), median(lat[1])
	b.ReportMetric(float64(viaLeader.Microseconds()), "leader-p50-µs")
	b.ReportMetric(float64(viaFollower.Microseconds()), "follower-p50-µs")
	b.ReportMetric(float64(viaFollower)/float64(viaLeader), "follower/leader")
}

// median sorts l and returns its middle.
func median(l []time.Duration) time.Duration {
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[len(l)/2]
}

func benchApply(b *testing.B, s *Store, clients int) {
	ctx := context.Background()
	var next atomic.Int64
	lats := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t0 := time.Now()
				if _, err := s.Apply(ctx, "test.put", map[string]string{"Key": fmt.Sprintf("k%d", i), "Value": benchValue}); err != nil {
					b.Error(err)
					return
				}
				lats[c] = append(lats[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	report(b, start, all)
}

func report(b *testing.B, start time.Time, lat []time.Duration) {
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cmds/s")
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// failoverKills is how many leader kills one failover figure is the
// median of.
const failoverKills = 10

// BenchmarkFailover kills the leader of a 3-node cluster (no handover, as
// kill -9) ten times per op and measures how long until a surviving node
// commits a write (through the new leader). The old node is restarted and
// caught up before the next kill. It reports the median and the maximum
// of the kills (median-ms, max-ms); one op takes seconds, so the default
// benchtime runs one op: ten kills.
func BenchmarkFailover(b *testing.B) {
	c := startCluster(b, 3)
	ctx := context.Background()
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range failoverKills {
			old := c.waitLeader()
			if err := add(ctx, old.Store, "before", 1); err != nil {
				b.Fatal(err)
			}
			survivor := c.followers()[0]
			t0 := time.Now()
			old.crash()
			if err := add(ctx, survivor.Store, "after", 1); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(t0))
			b.StopTimer()
			c.restart(old)
			c.waitConverged()
			b.StartTimer()
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "median-ms")
	b.ReportMetric(float64(times[len(times)-1].Milliseconds()), "max-ms")
	b.ReportMetric(float64(len(times)), "kills")
}
