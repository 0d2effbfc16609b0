package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"coop/raftdata"
)

// procNode is a `coop serve` running as its own process.
type procNode struct {
	id, data, http, raft string
	join                 string
	keyFile              string   // --cluster-key-file: a copy of the first node's key, to join
	flags                []string // more flags of `coop serve`
	cmd                  *exec.Cmd
	logs                 *syncBuffer
	// logFile, when set (COOP_TEST_KEEP), receives the output of every
	// run of the process, restarts included.
	logFile io.Writer
}

func (p *procNode) url() string { return "http://" + p.http }

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func (p *procNode) start(t testing.TB, bin string) {
	t.Helper()
	args := []string{"serve", "--data", p.data, "--http", p.http, "--raft", p.raft, "--node-id", p.id}
	if p.join != "" {
		args = append(args, "--join", p.join)
	}
	if p.keyFile != "" {
		args = append(args, "--cluster-key-file", p.keyFile)
	}
	args = append(args, p.flags...)
	p.logs = &syncBuffer{}
	p.cmd = exec.Command(bin, args...)
	var out io.Writer = p.logs
	if p.logFile != nil {
		fmt.Fprintf(p.logFile, "=== %s start %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
		out = io.MultiWriter(p.logs, p.logFile)
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.Env = append(os.Environ(), "COOP_OPERATOR_EMAIL="+testOperatorEmail, "COOP_OPERATOR_PASSWORD="+testOperatorPassword)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
}

func (p *procNode) waitReady(t testing.TB) {
	t.Helper()
	waitFor(t, 60*time.Second, func() error {
		if p.cmd.ProcessState != nil {
			return fmt.Errorf("node %s exited: %s", p.id, p.logs)
		}
		status, body, err := tryGet(p.url() + "/readyz")
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("readyz %d %s", status, body)
		}
		// A joiner keeps the cluster key once its join call returns,
		// which may come after it serves (the call can be retried under
		// load); the harness signs its internal calls with that file.
		if _, err := os.Stat(p.clusterKeyFile()); err != nil {
			return fmt.Errorf("node %s has not kept its cluster key yet: %w", p.id, err)
		}
		return nil
	})
}

// startProcCluster starts n `coop serve` processes, each with flags, the
// first bootstrapping (and making the cluster key) and the others joining
// through it with --cluster-key-file naming its key, and waits until all
// are ready.
func startProcCluster(t testing.TB, bin string, n int, flags ...string) []*procNode {
	t.Helper()
	base, logs := clusterDir(t)
	nodes := make([]*procNode, n)
	for i := range nodes {
		id := fmt.Sprintf("n%d", i+1)
		nodes[i] = &procNode{id: id, data: filepath.Join(base, id), http: freeAddr(t), raft: freeAddr(t), flags: flags, logFile: logs(id)}
		if i > 0 {
			nodes[i].join, nodes[i].keyFile = nodes[0].url(), nodes[0].clusterKeyFile()
		}
	}
	nodes[0].start(t, bin)
	nodes[0].waitReady(t)
	for _, p := range nodes[1:] {
		p.start(t, bin)
	}
	for _, p := range nodes[1:] {
		p.waitReady(t)
	}
	return nodes
}

// clusterDir is where a cluster's nodes keep their data directories, and
// the log file each node's output goes to (nil: none). With COOP_TEST_KEEP
// set to a directory, a failed test leaves its nodes' directories and
// every run's output there (named in the test's log) for a post-mortem
// (raftdata/DESIGN.md tells one such hunt); otherwise a temporary directory, no log file.
func clusterDir(t testing.TB) (string, func(id string) io.Writer) {
	t.Helper()
	keep := os.Getenv("COOP_TEST_KEEP")
	if keep == "" {
		return t.TempDir(), func(string) io.Writer { return nil }
	}
	if err := os.MkdirAll(keep, 0o755); err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp(keep, strings.ReplaceAll(t.Name(), "/", "_")+"-*")
	if err != nil {
		t.Fatal(err)
	}
	var files []*os.File
	t.Cleanup(func() { // after the nodes' own clean-ups: they are stopped
		for _, f := range files {
			f.Close()
		}
		if t.Failed() {
			t.Logf("nodes' data and logs kept in %s", base)
			return
		}
		os.RemoveAll(base)
	})
	return base, func(id string) io.Writer {
		f, err := os.OpenFile(filepath.Join(base, id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		return f
	}
}

// kill ends the process with SIGKILL, as a crash would, and reaps it.
func (p *procNode) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	if p.logFile != nil {
		fmt.Fprintf(p.logFile, "=== %s killed\n", time.Now().Format(time.RFC3339Nano))
	}
}

// running tells whether the process was started and has not exited.
func (p *procNode) running() bool { return p.cmd != nil && p.cmd.ProcessState == nil }

// clusterKeyFile is where the node keeps its cluster key.
func (p *procNode) clusterKeyFile() string { return filepath.Join(p.data, clusterKeyFile) }

// status asks the node for its Raft status on the node-to-node API.
func (p *procNode) status() (raftdata.NodeStatus, error) {
	var st raftdata.NodeStatus
	err := p.internalGet("/internal/raft/status", &st)
	return st, err
}

// stateHash asks the node for the hash of its state.
func (p *procNode) stateHash() (raftdata.StateHashAnswer, error) {
	var h raftdata.StateHashAnswer
	err := p.internalGet("/internal/raft/hash", &h)
	return h, err
}

// internalGet calls the node-to-node API as a peer does: signed with the
// cluster key the node keeps.
func (p *procNode) internalGet(path string, out any) error {
	key, err := os.ReadFile(p.clusterKeyFile())
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, p.url()+path, nil)
	if err != nil {
		return err
	}
	if err := raftdata.SignRequest(req, strings.TrimSpace(string(key))); err != nil {
		return err
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// procLeader waits until one of the running nodes says it leads, and
// returns it.
func procLeader(t testing.TB, nodes []*procNode) *procNode {
	t.Helper()
	var leader *procNode
	waitFor(t, 15*time.Second, func() error {
		for _, p := range nodes {
			if !p.running() {
				continue
			}
			if st, err := p.status(); err == nil && st.State == "leader" {
				leader = p
				return nil
			}
		}
		return fmt.Errorf("no running node leads")
	})
	return leader
}

// waitSameState waits until every node has applied the same index and
// hashes its state the same, and returns that hash.
func waitSameState(t testing.TB, nodes []*procNode) string {
	t.Helper()
	var hash string
	waitFor(t, 20*time.Second, func() error {
		var first raftdata.StateHashAnswer
		for i, p := range nodes {
			h, err := p.stateHash()
			if err != nil {
				return fmt.Errorf("node %s: %w", p.id, err)
			}
			if i == 0 {
				first = h
				continue
			}
			if h.Hash != first.Hash || h.FSMIndex != first.FSMIndex {
				var differ []string
				for table, sum := range h.Tables {
					if first.Tables[table] != sum {
						differ = append(differ, table)
					}
				}
				return fmt.Errorf("node %s at index %d hash %.12s, node %s at index %d hash %.12s (tables that differ: %v)",
					p.id, h.FSMIndex, h.Hash, nodes[0].id, first.FSMIndex, first.Hash, differ)
			}
		}
		hash = first.Hash
		return nil
	})
	return hash
}

func postJSON(url, token string, v any) (int, string, error) {
	body, _ := json.Marshal(v)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := testClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

func testPool(id string) map[string]any {
	return map[string]any{
		"id": id, "title": "Pool " + id,
		"fields": []map[string]any{{"name": "kwh", "type": "number", "min": 0, "max": 100}},
		"documentation": map[string]any{"provenance": "test", "collection_method": "test", "update_frequency": "never",
			"format": "json", "pseudonymisation": "member keys"},
	}
}

func poolIDs(t *testing.T, url string) ([]string, error) {
	status, body, err := tryGet(url + "/api/v1/pools")
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("pools: %d %s", status, body)
	}
	var out struct {
		Pools []struct {
			ID string `json:"id"`
		} `json:"pools"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range out.Pools {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// TestMultiProcess_KillLeaderLosesNoWrite builds the binary, runs three
// `coop serve` processes joined with --join, writes, kills the leader with
// SIGKILL, writes again through the survivors, restarts the killed node on
// its directory (no cleanup: the flock died with it) and checks that every
// node holds every acknowledged write. Then SIGTERM stops each cleanly.
func TestMultiProcess_KillLeaderLosesNoWrite(t *testing.T) {
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3)

	token := operatorToken(t, nodes[0].url())
	var acked []string
	write := func(via *procNode, id string) {
		t.Helper()
		waitFor(t, 15*time.Second, func() error {
			status, body, err := postJSON(via.url()+"/api/v1/pools", token, testPool(id))
			if err != nil {
				return err
			}
			if status != http.StatusCreated && !(status == http.StatusConflict && strings.Contains(body, "exists")) {
				return fmt.Errorf("create pool %s via %s: %d %s", id, via.id, status, body)
			}
			return nil
		})
		acked = append(acked, id)
	}
	for i := 0; i < 6; i++ {
		write(nodes[i%3], fmt.Sprintf("before-%d", i))
	}

	// Find and kill the leader.
	_, body, err := tryGetAuth(nodes[0].url()+"/api/v1/cluster", token)
	if err != nil {
		t.Fatal(err)
	}
	var cl struct {
		Leader string `json:"leader"`
	}
	json.Unmarshal([]byte(body), &cl)
	var leader *procNode
	var survivors []*procNode
	for _, n := range nodes {
		if n.id == cl.Leader {
			leader = n
		} else {
			survivors = append(survivors, n)
		}
	}
	if leader == nil {
		t.Fatalf("no leader in %s", body)
	}
	leader.kill()
	for i := 0; i < 6; i++ {
		write(survivors[i%2], fmt.Sprintf("after-%d", i))
	}

	// The killed node restarts over its directory and catches up.
	leader.join = ""
	leader.start(t, bin)
	leader.waitReady(t)
	slices.Sort(acked)
	for _, n := range nodes {
		waitFor(t, 20*time.Second, func() error {
			ids, err := poolIDs(t, n.url())
			if err != nil {
				return err
			}
			if !slices.Equal(ids, acked) {
				return fmt.Errorf("node %s holds %v, want %v", n.id, ids, acked)
			}
			return nil
		})
	}

	// SIGTERM: each node stops cleanly, exit status 0.
	for _, n := range nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range nodes {
		done := make(chan error, 1)
		go func() { done <- n.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("node %s after SIGTERM: %v\n%s", n.id, err, n.logs)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("node %s did not stop within 20 s of SIGTERM", n.id)
		}
	}
}
