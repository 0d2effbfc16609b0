package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/governance/governancetest"
	"coop/raftdata/raftdatatest"
	"coop/ui"
)

// testLogs is where nodes started by tests log: nowhere, unless
// COOP_TEST_LOG is set.
func testLogs() io.Writer {
	if os.Getenv("COOP_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// testConfig is a node on free loopback ports with its own data directory,
// holding the tests' cluster key, under the tests' rulebook (votes of a
// minute, open admission: see governancetest) and without a sign-up limit.
// Tests of the default rulebook or the limit set Rules and SignupsPerHour
// themselves.
func testConfig(t testing.TB, id string) Config {
	t.Helper()
	return Config{Data: t.TempDir(), HTTP: "127.0.0.1:0", Raft: "127.0.0.1:0", NodeID: id, ClusterKey: testClusterKey,
		OperatorEmail: testOperatorEmail, OperatorPassword: testOperatorPassword, Rules: governancetest.File(t),
		RequestsPerMinute: ui.DefaultRequestsPerMinute}
}

// testClusterKey is the cluster key of the nodes tests start with
// testConfig: the nodes of a test cluster share it.
const testClusterKey = "coop-test-cluster-key-0123456789abcdef"

// The first operator of the clusters tests start.
const (
	testOperatorEmail    = "op@coop.test"
	testOperatorPassword = "plum orchard lantern 42"
)

// operatorToken logs the test operator in through the API and returns the
// session token, for Authorization: Bearer.
func operatorToken(t testing.TB, baseURL string) string {
	t.Helper()
	var token string
	waitFor(t, 10*time.Second, func() error {
		body := fmt.Sprintf(`{"email":%q,"password":%q}`, testOperatorEmail, testOperatorPassword)
		resp, err := testClient.Post(baseURL+"/api/v1/login", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("login: %d %v", resp.StatusCode, err)
		}
		token = out.Token
		return nil
	})
	return token
}

// tryGetAuth is tryGet with a Bearer token.
func tryGetAuth(url, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := testClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// startNode starts a node through the same code as `coop serve`, and
// closes it when the test ends.
func startNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	n := NewNode(cfg, testLogs())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close node %s: %v", n.ID(), err)
		}
	})
	return n
}

// waitFor polls fn until it returns nil or total has passed.
func waitFor(t testing.TB, total time.Duration, fn func() error) {
	t.Helper()
	raftdatatest.WaitFor(t, total, fn)
}

// startCluster3 starts three nodes in this process, the second and third
// joining through the first, and waits until all are ready.
func startCluster3(t *testing.T) []*Node {
	t.Helper()
	first := startNode(t, testConfig(t, "n1"))
	waitReady(t, first)
	nodes := []*Node{first}
	for _, id := range []string{"n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.Join = first.URL()
		nodes = append(nodes, startNode(t, cfg))
	}
	for _, n := range nodes {
		waitReady(t, n)
	}
	return nodes
}

var testClient = &http.Client{Timeout: 5 * time.Second}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	status, body, err := tryGet(url)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

func tryGet(url string) (int, string, error) {
	resp, err := testClient.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitReady waits until the node's /readyz answers 200.
func waitReady(t testing.TB, n *Node) {
	t.Helper()
	waitFor(t, 10*time.Second, func() error {
		status, body, err := tryGet(n.URL() + "/readyz")
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("readyz: %d %s", status, body)
		}
		return nil
	})
}

// syncBuffer is a bytes.Buffer that several goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a fixed environment for run and parseServeConfig.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}
