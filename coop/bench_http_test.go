package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
	"coop/ui"
)

// BenchmarkHTTPBallots measures the member's path through the real HTTP
// API of three nodes started as `coop serve` starts them (task bench-http):
// ballots (POST /api/v1/proposals/{id}/ballots, a Bearer token of a member
// who signed up and logged in, one open proposal), against the baseline of
// a route that applies one bare raftdata command per request on the same
// cluster, through the same HTTP stack (middleware included), in the same
// run. The route and its command exist in this file only: no production
// node mounts them.
//
// For C = 1, 16 and 64 clients it reports ballots/s, p50 and p99, each
// with its ratio to the baseline; each client is a member with its own
// token and sends each request to the next node in turn. The two kinds
// alternate in rounds, so that both see the same load. Client addresses
// are spread (127.x.y.z, a new address every 1,000 requests to a node,
// under the 1,200 a minute of ui's limit): the per-address limit runs, and
// never refuses. "one-client" compares one client's ballots through a
// follower with its ballots through the leader, alternated (p50 ratio).
// BenchmarkHTTPVsRqlite (bench_rqlite_test.go) compares the ballots with
// rqlite's writes.
//
// With COOP_BENCH_CPUPROFILE=FILE, a CPU profile of a further 64-client
// ballot run (5 b.N ballots) is written to FILE; each node's goroutines
// carry the label node=<id> (the leader's id is logged, and written to
// FILE.leader), so the leader's own profile is
//
//	go tool pprof -tagfocus node=n1 -relative_percentages -top -cum FILE
//
// b.N is the number of requests of each kind per case: -benchtime=4000x.
func BenchmarkHTTPBallots(b *testing.B) {
	h := startBallotBench(b, 64)
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			stale := h.stale.Load()
			ballots, baseline := h.compare(b, clients, h.ballots(), h.baseline())
			b.ReportMetric(float64(h.stale.Load()-stale), "stale-answers")
			b.ReportMetric(ballots.perSecond(), "ballots/s")
			b.ReportMetric(baseline.perSecond(), "baseline/s")
			b.ReportMetric(ballots.perSecond()/baseline.perSecond(), "ballots/baseline")
			b.ReportMetric(ms(ballots.quantile(0.5)), "ballot-p50-ms")
			b.ReportMetric(ratio(ballots.quantile(0.5), baseline.quantile(0.5)), "p50/baseline")
			b.ReportMetric(ms(ballots.quantile(0.99)), "ballot-p99-ms")
			b.ReportMetric(ratio(ballots.quantile(0.99), baseline.quantile(0.99)), "p99/baseline")
		})
	}
	b.Run("one-client", func(b *testing.B) {
		leader, follower := h.followerVsLeader(b)
		b.ReportMetric(ms(leader.quantile(0.5)), "leader-p50-ms")
		b.ReportMetric(ms(follower.quantile(0.5)), "follower-p50-ms")
		b.ReportMetric(ratio(follower.quantile(0.5), leader.quantile(0.5)), "follower/leader-p50")
	})
	if path := os.Getenv("COOP_BENCH_CPUPROFILE"); path != "" {
		b.Run("clients=64-profiled", func(b *testing.B) {
			l := h.profile(b, path, 64)
			b.ReportMetric(l.perSecond(), "ballots/s")
		})
	}
	h.waitSameState(b)
}

// waitSameState checks that the run left the three nodes with one state.
func (h *ballotBench) waitSameState(b *testing.B) {
	waitFor(b, 30*time.Second, func() error {
		want, err := h.nodes[0].Store().StateHash()
		if err != nil {
			return err
		}
		for _, n := range h.nodes[1:] {
			if got, err := n.Store().StateHash(); err != nil || got != want {
				return fmt.Errorf("node %s differs from %s after the run (%v)", n.ID(), h.nodes[0].ID(), err)
			}
		}
		return nil
	})
}

// benchRules: the voting rule of knowledge proposals never closes a vote
// early (the same members vote again and again) and allows short votes;
// with open admission sign-ups are members at once.
const benchRules = `{"voting":{"knowledge":{"min_voting_minutes":1,"max_voting_minutes":43200,
	"quorum_percent":25,"approval_percent":50,"early_close":"deadline"}},"membership":{"admission":"open"}}`

// benchRawPath is the baseline route, mounted by this benchmark only.
const benchRawPath = "/bench/raw"

// benchExtension registers the baseline's bare command and mounts its
// route on node n.
func benchExtension(n *Node) *nodeExtension {
	return &nodeExtension{
		register: func(reg *raftdata.Registry) {
			reg.Schema("bench", `CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, v TEXT)`)
			reg.Handle("bench.put", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
				_, err := tx.Exec(`INSERT INTO bench_rows(id, v) VALUES(?, ?)`, cmd.ID, string(cmd.Payload))
				return nil, err
			})
		},
		routes: func(app *fiber.App) {
			app.Post(benchRawPath, func(c *fiber.Ctx) error {
				if _, err := n.Store().Apply(c.UserContext(), "bench.put", string(c.Body())); err != nil {
					return err
				}
				return c.Status(fiber.StatusCreated).JSON(fiber.Map{})
			})
		},
	}
}

type ballotBench struct {
	nodes    []*Node
	urls     []string
	tokens   []string // one member per client
	proposal string
	addrs    atomic.Int64 // client addresses handed out
	// stale counts answers marked X-Coop-Read: stale: a node overloaded
	// to the point that its leader's messages, or its quorum's answers,
	// come late (reported, not a failure).
	stale atomic.Int64
}

// startBallotBench starts three nodes, each under the profiler label
// node=<id>, then seeds them (seed).
func startBallotBench(b *testing.B, voters int) *ballotBench {
	b.Helper()
	rules := benchRulesFile(b)
	h := &ballotBench{}
	for i, id := range []string{"n1", "n2", "n3"} {
		cfg := testConfig(b, id)
		cfg.Rules = rules
		if i > 0 {
			cfg.Join = h.urls[0]
		}
		n := NewNode(cfg, testLogs())
		n.extend = benchExtension(n)
		var err error
		pprof.Do(context.Background(), pprof.Labels("node", id), func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			err = n.Start(ctx)
		})
		if err != nil {
			b.Fatalf("start %s: %v", id, err)
		}
		b.Cleanup(func() { n.Close() })
		waitReady(b, n)
		h.nodes = append(h.nodes, n)
		h.urls = append(h.urls, n.URL())
	}
	h.seed(b, voters)
	return h
}

// benchRulesFile writes benchRules to a file for --rules.
func benchRulesFile(b *testing.B) string {
	rules := filepath.Join(b.TempDir(), "rules.json")
	if err := os.WriteFile(rules, []byte(benchRules), 0o600); err != nil {
		b.Fatal(err)
	}
	return rules
}

// seed signs up voters members, a researcher, a pool and one open
// proposal, through the API of the first node.
func (h *ballotBench) seed(b *testing.B, voters int) {
	b.Helper()
	url := h.urls[0]
	op := operatorToken(b, url)
	mustCall := apiMust(b, url)
	const password = "plum orchard lantern 42"
	signup := func(name string) (id, token string) {
		var res struct{ ID string }
		jsonDecode(b, mustCall(201, "POST", "/api/v1/signup", "",
			fmt.Sprintf(`{"name":%q,"email":"%s@coop.test","password":%q,"accept_charter":true}`, name, name, password)), &res)
		return res.ID, loginAs(b, url, name+"@coop.test", password)
	}
	mustCall(201, "POST", "/api/v1/pools", op, `{"id":"energy","title":"Energy",
		"fields":[{"name":"kwh","type":"number","min":0,"max":1000}],
		"documentation":{"provenance":"bench","collection_method":"bench","update_frequency":"never","format":"JSON","pseudonymisation":"member keys"}}`)
	researcher, _ := signup("researcher")
	mustCall(200, "POST", "/api/v1/members/"+researcher+"/roles", op, `{"role":"researcher"}`)
	rtoken := loginAs(b, url, "researcher@coop.test", password)
	h.tokens = make([]string, voters)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // password hashing is the cost here
	for i := range h.tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, h.tokens[i] = signup(fmt.Sprintf("voter%03d", i))
		}()
	}
	wg.Wait()
	for i, tok := range h.tokens {
		if tok == "" { // the goroutine's Fatal ended only itself
			b.Fatalf("voter %d could not sign up and log in", i)
		}
	}
	var p struct{ ID string }
	jsonDecode(b, mustCall(201, "POST", "/api/v1/proposals", rtoken, `{"title":"Evening use","purpose":"When do members use energy?",
		"kind":"knowledge","pool":"energy","query":{"aggregate":"count"},
		"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":0.5},"voting_minutes":120,"grant_days":30}`), &p)
	h.proposal = p.ID
}

// leader is the index of the node that leads now.
func (h *ballotBench) leader(b *testing.B) int {
	for i, n := range h.nodes {
		if n.Store().IsLeader() {
			return i
		}
	}
	b.Fatal("no node leads")
	return 0
}

// benchClient is one client: per server, an HTTP client whose connection
// leaves from an address of its own, replaced every addrRequests requests.
type benchClient struct {
	h     *ballotBench
	token string
	conns map[string]*http.Client // by server URL
	sent  map[string]int
}

const addrRequests = 1000

func (h *ballotBench) client(token string) *benchClient {
	return &benchClient{h: h, token: token, conns: map[string]*http.Client{}, sent: map[string]int{}}
}

// nextAddr is a loopback address no client used yet.
func (h *ballotBench) nextAddr() net.IP {
	k := h.addrs.Add(1)
	return net.IPv4(127, byte(1+k/(254*254)), byte(1+(k/254)%254), byte(1+k%254))
}

func (c *benchClient) conn(server string) *http.Client {
	if c.conns[server] == nil || c.sent[server] >= addrRequests {
		if c.conns[server] != nil {
			c.conns[server].CloseIdleConnections()
		}
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: c.h.nextAddr()}, Timeout: 5 * time.Second}
		c.conns[server] = &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
		c.sent[server] = 0
	}
	c.sent[server]++
	return c.conns[server]
}

var benchChoices = []string{"yes", "no", "abstain"}

// benchKind is one kind of request: the servers it goes to (each request
// to the next in turn), its path, its body and the answer that takes it.
type benchKind struct {
	name    string
	servers []string
	path    string
	body    func(seq int) string
	bearer  bool // sent with the client's token
	status  int
}

// ballots are POST /api/v1/proposals/{id}/ballots, spread over the nodes.
func (h *ballotBench) ballots() benchKind {
	return benchKind{name: "ballot", servers: h.urls, path: "/api/v1/proposals/" + h.proposal + "/ballots",
		body: choiceBody, bearer: true, status: http.StatusCreated}
}

// baseline is the bare raftdata command, through the same HTTP stack.
func (h *ballotBench) baseline() benchKind {
	return benchKind{name: "baseline", servers: h.urls, path: benchRawPath, body: choiceBody, bearer: true, status: http.StatusCreated}
}

// through sends every request of k to the node of index node.
func (k benchKind) through(h *ballotBench, node int) benchKind {
	k.servers = []string{h.urls[node]}
	return k
}

func choiceBody(seq int) string { return `{"choice":"` + benchChoices[seq%3] + `"}` }

// post sends request seq of kind k to the next of its servers (turn)
// and checks it was taken.
func (c *benchClient) post(k benchKind, turn, seq int) error {
	server := k.servers[turn%len(k.servers)]
	req, err := http.NewRequest(http.MethodPost, server+k.path, strings.NewReader(k.body(seq)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if k.bearer {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.conn(server).Do(req)
	if err != nil {
		return fmt.Errorf("%s via %s: %w", k.name, server, err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != k.status || bytes.Contains(text, []byte(`"error"`)) {
		return fmt.Errorf("%s via %s: %d %s", k.name, server, resp.StatusCode, text)
	}
	if resp.Header.Get(ui.HeaderRead) == ui.ReadStale {
		c.h.stale.Add(1)
	}
	return nil
}

// latencies are the request times of one run and how long it took.
type latencies struct {
	each    []time.Duration
	elapsed time.Duration
}

func (l *latencies) add(o latencies) {
	l.each = append(l.each, o.each...)
	l.elapsed += o.elapsed
}

func (l latencies) perSecond() float64 { return float64(len(l.each)) / l.elapsed.Seconds() }

func (l latencies) quantile(q float64) time.Duration {
	s := append([]time.Duration(nil), l.each...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) float64       { return float64(d) / float64(time.Millisecond) }
func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// run sends total requests of kind from clients clients at once, each
// request to the next server in turn.
func (h *ballotBench) run(b *testing.B, kind benchKind, clients []*benchClient, total int) latencies {
	var next atomic.Int64
	lats := make([][]time.Duration, len(clients))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq := int(next.Add(1))
				if seq > total {
					return
				}
				t0 := time.Now()
				if err := c.post(kind, i+seq, seq); err != nil {
					b.Error(err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	out := latencies{elapsed: time.Since(start)}
	for _, l := range lats {
		out.each = append(out.each, l...)
	}
	return out
}

// compare runs b.N requests of kind a and b.N of kind o with clients
// clients, in alternating rounds (o first).
func (h *ballotBench) compare(b *testing.B, clients int, a, o benchKind) (la, lo latencies) {
	cs := h.clients(clients)
	const rounds = 4
	per := max(1, b.N/rounds)
	b.ResetTimer()
	for range rounds {
		lo.add(h.run(b, o, cs, per))
		la.add(h.run(b, a, cs, per))
	}
	b.StopTimer()
	return la, lo
}

// clients are n clients, each a member with a token of their own.
func (h *ballotBench) clients(n int) []*benchClient {
	cs := make([]*benchClient, n)
	for i := range cs {
		cs[i] = h.client(h.tokens[i])
	}
	return cs
}

// followerVsLeader: one client's ballots, alternately through the leader
// and through a follower, b.N each.
func (h *ballotBench) followerVsLeader(b *testing.B) (leader, follower latencies) {
	li := h.leader(b)
	fi := (li + 1) % len(h.nodes)
	c := h.client(h.tokens[0])
	b.ResetTimer()
	for seq := 0; seq < b.N; seq++ {
		for _, side := range []struct {
			kind benchKind
			l    *latencies
		}{{h.ballots().through(h, li), &leader}, {h.ballots().through(h, fi), &follower}} {
			t0 := time.Now()
			if err := c.post(side.kind, 0, seq); err != nil {
				b.Fatal(err)
			}
			side.l.each = append(side.l.each, time.Since(t0))
		}
	}
	b.StopTimer()
	return leader, follower
}

// profileRuns is how many times b.N ballots the profiled run sends: a
// profile wants more samples than a ratio.
const profileRuns = 5

// profile writes a CPU profile of a run of profileRuns*b.N ballots from
// clients clients.
func (h *ballotBench) profile(b *testing.B, path string, clients int) latencies {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cs := h.clients(clients)
	b.ResetTimer()
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	l := h.run(b, h.ballots(), cs, profileRuns*b.N)
	pprof.StopCPUProfile()
	b.StopTimer()
	leader := h.nodes[h.leader(b)].ID()
	if err := os.WriteFile(path+".leader", []byte(leader), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("CPU profile of %d ballots from %d clients in %s; the leader is %s: go tool pprof -tagfocus node=%s -relative_percentages -top -cum %s",
		len(l.each), clients, path, leader, leader, path)
	return l
}
