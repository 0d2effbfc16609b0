package main

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"
)

// BenchmarkMultiProcessFailover is the failover figure an operator sees:
// three `coop serve` processes; the leader is killed with SIGKILL ten
// times per op, and each time the clock runs from the kill until a
// surviving node acknowledges a write (a pool created through its JSON
// API, forwarded to the new leader). The killed node is restarted and
// ready before the next kill. It reports the median and maximum of the
// kills (median-ms, max-ms); the default benchtime runs one op.
//
//	go test ./coop -run '^$' -bench MultiProcessFailover
func BenchmarkMultiProcessFailover(b *testing.B) {
	const kills = 10
	bin := buildBinary(b)
	nodes := startProcCluster(b, bin, 3)
	token := operatorToken(b, nodes[0].url())
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range kills {
			leader := procLeader(b, nodes)
			var survivor *procNode
			for _, p := range nodes {
				if p != leader {
					survivor = p
					break
				}
			}
			t0 := time.Now()
			leader.kill()
			id := fmt.Sprintf("failover-%d-%d", i, k)
			for {
				status, body, err := postJSON(survivor.url()+"/api/v1/pools", token, testPool(id))
				if err == nil && status == http.StatusCreated {
					break
				}
				if err == nil && status < 500 {
					b.Fatalf("write after kill %d: %d %s", k+1, status, body)
				}
				if time.Since(t0) > 30*time.Second {
					b.Fatalf("no write acknowledged within 30 s of kill %d: %v %d %s", k+1, err, status, body)
				}
				time.Sleep(5 * time.Millisecond)
			}
			times = append(times, time.Since(t0))
			b.StopTimer()
			leader.start(b, bin)
			leader.waitReady(b)
			b.StartTimer()
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "median-ms")
	b.ReportMetric(float64(times[len(times)-1].Milliseconds()), "max-ms")
	b.ReportMetric(float64(len(times)), "kills")
}
