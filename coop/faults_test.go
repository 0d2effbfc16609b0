package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coop/raftdata/raftdatatest/smalldisk"
)

// Fault tests run real `coop serve` processes (multiprocess_test.go) and
// break them: kill -9, SIGSTOP, a full disk. Writers are members who
// contribute one record per write to the "meter" pool, each record carrying
// a number unique to its writer, so that a lost write or a write applied
// twice shows in the member's own records.

const meterPoolJSON = `{"id":"meter","title":"Meter readings",
	"fields":[{"name":"seq","type":"number","min":0,"max":1000000}],
	"documentation":{"provenance":"fault tests","collection_method":"generated","update_frequency":"continuous",
	"format":"JSON","pseudonymisation":"member keys"}}`

// meterWriter is one member writing records {"seq": n}, n = 0, 1, 2...
// Each write goes to the next node in turn and is retried, on the next
// node, with the same Idempotency-Key until a node acknowledges it.
type meterWriter struct {
	name  string
	token string
	urls  []string

	mu    sync.Mutex
	acked []int // seqs acknowledged with 201
}

// newMeterWriters creates the meter pool (as the operator) and n members
// who consent to it, through the node at url.
func newMeterWriters(t *testing.T, url string, n int, urls []string) []*meterWriter {
	t.Helper()
	op := operatorToken(t, url)
	if status, body := apiCall(t, "POST", url+"/api/v1/pools", op, "application/json", meterPoolJSON); status != http.StatusCreated {
		t.Fatalf("create meter pool: %d %s", status, body)
	}
	writers := make([]*meterWriter, n)
	for i := range writers {
		name := fmt.Sprintf("w%d", i+1)
		email, password := name+"@coop.test", "meter reading garden "+name
		signup := fmt.Sprintf(`{"name":%q,"email":%q,"password":%q,"accept_charter":true}`, name, email, password)
		if status, body := apiCall(t, "POST", url+"/api/v1/signup", "", "application/json", signup); status != http.StatusCreated {
			t.Fatalf("signup %s: %d %s", name, status, body)
		}
		token := loginAs(t, url, email, password)
		if status, body := apiCall(t, "PUT", url+"/api/v1/pools/meter/consent", token, "application/json", `{"granted":true}`); status != http.StatusOK {
			t.Fatalf("consent %s: %d %s", name, status, body)
		}
		writers[i] = &meterWriter{name: name, token: token, urls: urls}
	}
	return writers
}

// write sends record seq until a node acknowledges it, trying the nodes in
// turn. Connection errors and 5xx answers (a node down, no leader yet) are
// retried; any other answer is a failure of the test.
func (w *meterWriter) write(seq int) error {
	body := fmt.Sprintf(`[{"seq":%d}]`, seq)
	key := fmt.Sprintf("%s-%d", w.name, seq)
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		url := w.urls[(seq+attempt)%len(w.urls)]
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/pools/meter/records", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := testClient.Do(req)
		if err != nil {
			last = err.Error()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		text := readBody(resp)
		switch {
		case resp.StatusCode == http.StatusCreated:
			w.mu.Lock()
			w.acked = append(w.acked, seq)
			w.mu.Unlock()
			return nil
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			last = fmt.Sprintf("%d %s", resp.StatusCode, text)
			time.Sleep(20 * time.Millisecond)
		default:
			return fmt.Errorf("%s: write %d via %s: %d %s", w.name, seq, url, resp.StatusCode, text)
		}
	}
	return fmt.Errorf("%s: write %d not acknowledged within 30 s (last: %s)", w.name, seq, last)
}

// readBody reads and closes an answer's body.
func readBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// ackedCount is how many writes w had acknowledged.
func (w *meterWriter) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// runWriters starts each writer in its own goroutine, writing seq 0, 1, 2...
// until stop is called; stop waits for the writes in flight and returns the
// first failure.
func runWriters(writers []*meterWriter) (stop func() error) {
	done := make(chan struct{})
	errs := make(chan error, len(writers))
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-done:
					return
				default:
				}
				if err := w.write(seq); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var once sync.Once
	return func() error {
		once.Do(func() { close(done) })
		wg.Wait()
		select {
		case err := <-errs:
			return err
		default:
			return nil
		}
	}
}

func totalAcked(writers []*meterWriter) int {
	n := 0
	for _, w := range writers {
		n += w.ackedCount()
	}
	return n
}

// checkMeterRecords checks, on the node at url, that each writer's records
// are exactly its acknowledged writes: none missing, none twice.
func checkMeterRecords(t *testing.T, url string, writers []*meterWriter) {
	t.Helper()
	for _, w := range writers {
		status, body := apiCall(t, "GET", url+"/api/v1/me/records?pool=meter", w.token, "application/json", "")
		if status != http.StatusOK {
			t.Fatalf("%s records on %s: %d %s", w.name, url, status, body)
		}
		var out struct {
			Records []struct {
				Values struct {
					Seq float64 `json:"seq"`
				} `json:"values"`
			} `json:"records"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%s records: %v", w.name, err)
		}
		var got []int
		for _, r := range out.Records {
			got = append(got, int(r.Values.Seq))
		}
		slices.Sort(got)
		w.mu.Lock()
		want := slices.Clone(w.acked)
		w.mu.Unlock()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s on %s holds %d records, want the %d acknowledged ones exactly once: missing %v, extra or twice %v",
				w.name, url, len(got), len(want), difference(want, got), difference(got, want))
		}
	}
}

// difference is a minus b, as multisets.
func difference(a, b []int) []int {
	count := map[int]int{}
	for _, v := range b {
		count[v]++
	}
	var out []int
	for _, v := range a {
		if count[v] > 0 {
			count[v]--
			continue
		}
		out = append(out, v)
	}
	return out
}

func procURLs(nodes []*procNode) []string {
	urls := make([]string, len(nodes))
	for i, p := range nodes {
		urls[i] = p.url()
	}
	return urls
}

// TestMultiProcess_TwentyLeaderKills: four members write records through
// any node while the leader is killed with SIGKILL twenty times, each time
// restarted over its directory once a new leader took over. Afterwards
// every node holds every acknowledged write exactly once, and the state
// hashes of the three nodes are identical.
func TestMultiProcess_TwentyLeaderKills(t *testing.T) {
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3)
	writers := newMeterWriters(t, nodes[0].url(), 4, procURLs(nodes))
	stop := runWriters(writers)
	defer stop()

	const kills = 20
	for i := 0; i < kills; i++ {
		leader := procLeader(t, nodes)
		before := totalAcked(writers)
		leader.kill()
		procLeader(t, nodes) // a survivor leads
		leader.start(t, bin)
		leader.waitReady(t)
		// The cluster served writes since the kill.
		waitFor(t, 15*time.Second, func() error {
			if n := totalAcked(writers); n <= before+len(writers) {
				return fmt.Errorf("kill %d: %d writes acknowledged since, want more than %d", i+1, n-before, len(writers))
			}
			return nil
		})
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged across %d leader kills", totalAcked(writers), kills)
	waitSameState(t, nodes)
	for _, p := range nodes {
		checkMeterRecords(t, p.url(), writers)
	}
}

// metricValue reads one series (name with its labels, as printed) from the
// node's /metrics.
func metricValue(url, series string) (float64, error) {
	status, body, err := tryGet(url + "/metrics")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("metrics: %d", status)
	}
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			return v, err
		}
	}
	return 0, fmt.Errorf("no %s in /metrics", series)
}

// TestMultiProcess_StoppedFollowerCatchesUpBySnapshot: a follower is
// stopped (SIGSTOP) while the others take more writes than the snapshot
// threshold and the trailing log together, so the leader no longer holds
// the entries the follower misses. Resumed (SIGCONT), the follower catches
// up by installing a snapshot (its restore counter grows) and holds every
// write, with the same state hash as the others.
func TestMultiProcess_StoppedFollowerCatchesUpBySnapshot(t *testing.T) {
	const threshold = 64 // trailing logs: threshold/2
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3, "--snapshot-threshold", fmt.Sprint(threshold), "--snapshot-interval", "100ms")
	leader := procLeader(t, nodes)
	var stopped, other *procNode
	for _, p := range nodes {
		switch {
		case p == leader:
		case stopped == nil:
			stopped = p
		default:
			other = p
		}
	}
	writers := newMeterWriters(t, leader.url(), 2, []string{leader.url(), other.url()})
	restoresBefore, err := metricValue(stopped.url(), "coop_fsm_snapshot_restores_total")
	if err != nil {
		t.Fatal(err)
	}
	waitSameState(t, nodes)
	before, err := stopped.status()
	if err != nil {
		t.Fatal(err)
	}

	if err := stopped.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			stopped.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	defer resume()
	stop := runWriters(writers)
	defer stop()
	// Write more than the threshold and the trailing logs, and until the
	// leader's log starts past what the stopped follower holds: a snapshot
	// beyond its last entry plus the trailing logs.
	waitFor(t, 30*time.Second, func() error {
		if n := totalAcked(writers); n <= threshold+threshold/2 {
			return fmt.Errorf("%d writes so far", n)
		}
		st, err := leader.status()
		if err != nil {
			return err
		}
		if st.LastSnapshotIndex <= before.LastLogIndex+threshold {
			return fmt.Errorf("leader snapshot at %d, follower's log ends at %d", st.LastSnapshotIndex, before.LastLogIndex)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	resume()

	waitSameState(t, nodes)
	restores, err := metricValue(stopped.url(), "coop_fsm_snapshot_restores_total")
	if err != nil {
		t.Fatal(err)
	}
	if restores <= restoresBefore {
		t.Errorf("the resumed follower installed no snapshot (restores %v, before %v): it caught up from the log", restores, restoresBefore)
	}
	t.Logf("%d writes while the follower was stopped; %v snapshot installed", totalAcked(writers), restores-restoresBefore)
	checkMeterRecords(t, stopped.url(), writers)
}

// TestMultiProcess_FullDiskOnAFollower: one follower keeps its data on a
// small tmpfs, which a test file then fills. While members keep writing
// through the other nodes, the follower reports the fault (/readyz 503
// with the reason, coop_storage_healthy 0) and the cluster keeps
// acknowledging writes. Once the file is removed the follower recovers
// without a restart: ready again, every write, the same state hash.
func TestMultiProcess_FullDiskOnAFollower(t *testing.T) {
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 2)
	disk := smalldisk.Mount(t, "64m")
	follower := &procNode{id: "n3", data: filepath.Join(disk, "n3"), http: freeAddr(t), raft: freeAddr(t), join: nodes[0].url(), keyFile: nodes[0].clusterKeyFile()}
	follower.start(t, bin)
	follower.waitReady(t)
	nodes = append(nodes, follower)

	writers := newMeterWriters(t, nodes[0].url(), 3, []string{nodes[0].url(), nodes[1].url()})
	checked, ballast := writers[:2], writers[2]
	stop := runWriters(checked)
	defer stop()
	// The ballast writer fills the follower's databases faster: a hundred
	// rows a write.
	ballastDone, quitBallast := make(chan struct{}), make(chan struct{})
	stopBallast := sync.OnceFunc(func() {
		close(quitBallast)
		<-ballastDone
	})
	defer stopBallast()
	go func() {
		defer close(ballastDone)
		rows := make([]string, 100)
		for i := range rows {
			rows[i] = fmt.Sprintf(`{"seq":%d}`, i)
		}
		body := "[" + strings.Join(rows, ",") + "]"
		for i := 0; ; i++ {
			select {
			case <-quitBallast:
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodPost, nodes[i%2].url()+"/api/v1/pools/meter/records", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+ballast.token)
			if resp, err := testClient.Do(req); err == nil {
				readBody(resp)
			}
		}
	}()

	filler := smalldisk.Fill(t, disk)
	var reason string
	waitFor(t, 30*time.Second, func() error {
		status, body, err := tryGet(follower.url() + "/readyz")
		if err != nil {
			return err
		}
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot write") {
			return fmt.Errorf("follower readyz %d %s while its disk is full", status, body)
		}
		reason = body
		return nil
	})
	t.Logf("full disk reported: %s", reason)
	if v, err := metricValue(follower.url(), "coop_storage_healthy"); err != nil || v != 0 {
		t.Errorf("coop_storage_healthy %v (%v) while the disk is full, want 0", v, err)
	}
	if v, err := metricValue(follower.url(), "coop_storage_write_failures_total"); err != nil || v == 0 {
		t.Errorf("coop_storage_write_failures_total %v (%v) while the disk is full, want failures counted", v, err)
	}
	// The others keep serving.
	during := totalAcked(checked)
	waitFor(t, 15*time.Second, func() error {
		if n := totalAcked(checked); n < during+20 {
			return fmt.Errorf("%d writes acknowledged since the follower's disk filled", n-during)
		}
		return nil
	})
	if status, body, err := tryGet(follower.url() + "/readyz"); err != nil || status != http.StatusServiceUnavailable {
		t.Fatalf("the follower recovered before space returned: %d %s %v", status, body, err)
	}

	// Space returns: the follower catches up without a restart, when the
	// leader next sends it entries. hashicorp/raft backs off a failing
	// follower exponentially, up to about 41 s (10 ms << 12), so a long
	// outage on a busy machine may take that long to be retried.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, func() error {
		status, body, err := tryGet(follower.url() + "/readyz")
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("readyz %d %s %v", status, body, err)
		}
		return nil
	})
	stopBallast()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	waitSameState(t, nodes)
	if v, err := metricValue(follower.url(), "coop_storage_healthy"); err != nil || v != 1 {
		t.Errorf("coop_storage_healthy %v (%v) after recovery, want 1", v, err)
	}
	checkMeterRecords(t, follower.url(), checked)
	if !follower.running() {
		t.Errorf("the follower exited: %s", follower.logs)
	}
}

// clientFrom is an HTTP client whose connections leave from the loopback
// address ip: another client, as the rate limiter sees it.
func clientFrom(ip string, conns int) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
	}
}

// TestFloodedNodeLimitsTheFlooderAndServesOthers: one client sends 10,000
// requests as fast as it can to one node (32 goroutines on keep-alive
// connections, from 127.0.0.1). Past its limit it gets 429 with the JSON
// error and Retry-After; meanwhile another client (from 127.0.0.2) gets
// 200 for every request, and the node stays ready.
func TestFloodedNodeLimitsTheFlooderAndServesOthers(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	waitReady(t, n)
	url := n.URL() + "/api/v1/governance/rules"

	const total, workers = 10000, 32
	flooder := clientFrom("127.0.0.1", workers)
	var mu sync.Mutex
	counts := map[int]int{}
	var badLimit []string
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= total {
				resp, err := flooder.Get(url)
				if err != nil {
					mu.Lock()
					counts[0]++
					mu.Unlock()
					continue
				}
				body := readBody(resp)
				mu.Lock()
				counts[resp.StatusCode]++
				if resp.StatusCode == http.StatusTooManyRequests &&
					(resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `"code":"too_many"`)) && len(badLimit) < 3 {
					badLimit = append(badLimit, fmt.Sprintf("Retry-After %q, body %s", resp.Header.Get("Retry-After"), body))
				}
				mu.Unlock()
			}
		}()
	}
	floodDone := make(chan struct{})
	go func() { wg.Wait(); close(floodDone) }()

	// The other client, during the flood: a request every 10 ms.
	other := clientFrom("127.0.0.2", 1)
	otherCounts := map[int]int{}
during:
	for range 200 {
		select {
		case <-floodDone:
			break during
		case <-time.After(10 * time.Millisecond):
		}
		resp, err := other.Get(url)
		if err != nil {
			t.Fatalf("the other client during the flood: %v", err)
		}
		readBody(resp)
		otherCounts[resp.StatusCode]++
	}
	<-floodDone
	t.Logf("flooder: %v; other client: %v", counts, otherCounts)

	if counts[0] > 0 {
		t.Errorf("%d flood requests failed without an answer", counts[0])
	}
	if counts[http.StatusTooManyRequests] < total-2*1200 {
		t.Errorf("%d of %d flood requests answered 429, want all but the allowed ones", counts[http.StatusTooManyRequests], total)
	}
	if counts[http.StatusOK] == 0 {
		t.Error("the flooder got no 200 at all: the limit is per client, not a shutdown")
	}
	if len(badLimit) > 0 {
		t.Errorf("429 answers without Retry-After or the JSON error: %v", badLimit)
	}
	if len(otherCounts) != 1 || otherCounts[http.StatusOK] == 0 {
		t.Errorf("the other client got %v during the flood, want only 200s", otherCounts)
	}
	if status, body := get(t, n.URL()+"/readyz"); status != http.StatusOK {
		t.Errorf("readyz after the flood: %d %s", status, body)
	}
}
