package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rqlitedEnv names the rqlited binary BenchmarkHTTPVsRqlite compares coop
// with (docs/performance.md); unset, that benchmark is skipped.
const rqlitedEnv = "COOP_BENCH_RQLITED"

// BenchmarkHTTPVsRqlite is our check against rqlite, in one run: rqlite's
// single-row INSERTs through its HTTP API to its leader against coop's
// ballots through its API spread over its three nodes (the requests of
// BenchmarkHTTPBallots), and all sent to its leader, for C = 1, 16 and 64
// clients in alternating rounds. Both run as three processes on loopback with their defaults:
// rqlited (COOP_BENCH_RQLITED names the binary; unset, the benchmark is
// skipped) and `coop serve` built from this tree. Besides rates and
// latencies it reports the CPU time each system's three processes spent
// per write (from /proc), which a machine shared with other work does not
// skew as it skews rates. docs/performance.md says how to run it.
//
// b.N is the number of requests of each kind per case: -benchtime=4000x.
func BenchmarkHTTPVsRqlite(b *testing.B) {
	bin := os.Getenv(rqlitedEnv)
	if bin == "" {
		b.Skipf("%s is not set: no comparison with rqlite (docs/performance.md)", rqlitedEnv)
	}
	procs := startProcCluster(b, buildBinary(b), 3, "--rules", benchRulesFile(b), "--signups-per-hour", "0")
	h := &ballotBench{urls: procURLs(procs)}
	h.seed(b, 64)
	rq := startRqlite(b, bin)
	coop := &procCPU{}
	for _, p := range procs {
		coop.pids = append(coop.pids, p.cmd.Process.Pid)
	}
	insert := benchKind{name: "rqlite", servers: []string{rq.leader}, path: "/db/execute",
		body: func(seq int) string {
			return `["INSERT INTO ballots(choice) VALUES('` + benchChoices[seq%3] + `')"]`
		}, status: http.StatusOK}
	leader := slices.Index(procs, procLeader(b, procs))
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			cs := h.clients(clients)
			const rounds = 4
			per := max(1, b.N/rounds)
			// rqlite's rows, coop's ballots spread over the nodes, and
			// (as the table) coop's ballots all to its leader.
			kinds := []struct {
				kind benchKind
				cpu  *procCPU
				lat  latencies
				used time.Duration
			}{{kind: insert, cpu: &rq.cpu}, {kind: h.ballots(), cpu: coop}, {kind: h.ballots().through(h, leader), cpu: coop}}
			b.ResetTimer()
			for range rounds {
				for i := range kinds {
					k := &kinds[i]
					before := k.cpu.total(b)
					k.lat.add(h.run(b, k.kind, cs, per))
					k.used += k.cpu.total(b) - before
				}
			}
			b.StopTimer()
			rows, ballots, toLeader := kinds[0].lat, kinds[1].lat, kinds[2].lat
			perWrite := func(i int) float64 {
				return float64(kinds[i].used.Microseconds()) / float64(len(kinds[i].lat.each))
			}
			b.ReportMetric(rows.perSecond(), "rqlite-rows/s")
			b.ReportMetric(ballots.perSecond(), "ballots/s")
			b.ReportMetric(ballots.perSecond()/rows.perSecond(), "coop/rqlite")
			b.ReportMetric(toLeader.perSecond()/rows.perSecond(), "coop-leader/rqlite")
			b.ReportMetric(ms(rows.quantile(0.5)), "rqlite-p50-ms")
			b.ReportMetric(ms(ballots.quantile(0.5)), "ballot-p50-ms")
			b.ReportMetric(ms(toLeader.quantile(0.5)), "leader-ballot-p50-ms")
			b.ReportMetric(ms(rows.quantile(0.99)), "rqlite-p99-ms")
			b.ReportMetric(ms(ballots.quantile(0.99)), "ballot-p99-ms")
			b.ReportMetric(perWrite(0), "rqlite-cpu-us/row")
			b.ReportMetric(perWrite(1), "coop-cpu-us/ballot")
			b.ReportMetric(perWrite(2), "coop-leader-cpu-us/ballot")
		})
	}
}

// procCPU sums the CPU time of processes, read from /proc.
type procCPU struct{ pids []int }

// total is the user and system time the processes have used, in clock
// ticks of 10 ms (Linux's USER_HZ).
func (p *procCPU) total(b *testing.B) time.Duration {
	var total time.Duration
	for _, pid := range p.pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name, which ends with the last ')':
		// utime and stime are the 12th and 13th.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		for _, v := range f[11:13] {
			ticks, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total
}

// rqliteCluster is three rqlited processes on loopback.
type rqliteCluster struct {
	leader string // HTTP URL of the leader
	cpu    procCPU
}

// startRqlite starts three rqlited nodes of bin (the first bootstraps, the
// others join its Raft address), waits for a leader that sees them all,
// and creates the table the inserts go to. The processes are stopped when
// the benchmark ends.
func startRqlite(b *testing.B, bin string) *rqliteCluster {
	b.Helper()
	dir := b.TempDir()
	rq := &rqliteCluster{}
	var urls []string
	var join string
	for i := 1; i <= 3; i++ {
		httpAddr, raftAddr := freeAddr(b), freeAddr(b)
		args := []string{"-node-id", fmt.Sprintf("r%d", i), "-http-addr", httpAddr, "-raft-addr", raftAddr}
		if join != "" {
			args = append(args, "-join", join)
		} else {
			join = raftAddr
		}
		cmd := exec.Command(bin, append(args, filepath.Join(dir, fmt.Sprintf("r%d", i)))...)
		logs := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			b.Fatalf("start %s: %v", bin, err)
		}
		b.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
			if b.Failed() {
				b.Logf("rqlited r%d:\n%s", i, logs.String())
			}
		})
		urls = append(urls, "http://"+httpAddr)
		rq.cpu.pids = append(rq.cpu.pids, cmd.Process.Pid)
	}
	waitFor(b, 60*time.Second, func() error {
		resp, err := http.Get(urls[0] + "/nodes?ver=2")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var st struct {
			Nodes []struct {
				APIAddr   string `json:"api_addr"`
				Reachable bool   `json:"reachable"`
				Leader    bool   `json:"leader"`
			} `json:"nodes"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return fmt.Errorf("rqlite /nodes: %w", err)
		}
		rq.leader = ""
		reachable := 0
		for _, n := range st.Nodes {
			if n.Reachable {
				reachable++
			}
			if n.Leader {
				rq.leader = n.APIAddr
			}
		}
		if reachable < 3 || rq.leader == "" {
			return fmt.Errorf("rqlite: %d nodes reachable, leader %q", reachable, rq.leader)
		}
		return nil
	})
	if !strings.HasPrefix(rq.leader, "http") {
		rq.leader = "http://" + rq.leader
	}
	resp, err := http.Post(rq.leader+"/db/execute", "application/json",
		strings.NewReader(`["CREATE TABLE ballots (id INTEGER PRIMARY KEY, choice TEXT NOT NULL)"]`))
	if err != nil {
		b.Fatal(err)
	}
	var text bytes.Buffer
	text.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(text.String(), `"error"`) {
		b.Fatalf("rqlite: create table: %d %s", resp.StatusCode, text.String())
	}
	return rq
}
