package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coop/members"
	"coop/raftdata"
)

// startLoggedNode is startNode with the node's logs kept, to look for
// secrets in them.
func startLoggedNode(t *testing.T, cfg Config) (*Node, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	n := NewNode(cfg, logs)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatalf("start node: %v\n%s", err, logs)
	}
	t.Cleanup(func() { n.Close() })
	return n, logs
}

// TestAttack_ForgedTokenThroughTheInternalAPI replays break 1 of issue 12
// on a real node started as `coop serve` starts it: from 127.0.0.1 (where a
// reverse proxy on the same host makes every visitor come from), a
// hand-made member.token_created command for the operator's account is
// POSTed to /internal/raft/apply. The node answers 403 with a sentence,
// applies nothing (state hash and applied index stay), and the forged
// token does not authenticate. Every other internal route answers 403 too,
// and so does a call signed with another key. The cluster key the node made
// never reaches its logs.
func TestAttack_ForgedTokenThroughTheInternalAPI(t *testing.T) {
	cfg := testConfig(t, "n1")
	cfg.ClusterKey = "" // the node makes its own
	n, logs := startLoggedNode(t, cfg)
	waitReady(t, n)
	op := operatorToken(t, n.URL())
	status, body := apiCall(t, "GET", n.URL()+"/api/v1/me", op, "application/json", "")
	if status != 200 {
		t.Fatalf("me: %d %s", status, body)
	}
	var me struct{ ID string }
	jsonDecode(t, body, &me)

	raw := make([]byte, 32)
	rand.Read(raw)
	forgedToken := members.TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(forgedToken))
	cmd, err := raftdata.NewCommand(members.CmdTokenCreated, members.TokenCreated{
		ID: raftdata.NewID(), Account: me.ID, Name: "forged", Hash: hex.EncodeToString(sum[:]),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := json.Marshal(cmd)
	join, _ := json.Marshal(map[string]string{"id": "intruder", "raft_addr": "127.0.0.1:1", "http_url": "http://127.0.0.1:1"})
	remove, _ := json.Marshal(map[string]string{"id": "n1"})

	hashBefore, err := n.Store().StateHash()
	if err != nil {
		t.Fatal(err)
	}
	indexBefore := n.Store().AppliedIndex()
	for _, call := range []struct{ method, path, body string }{
		{"POST", "/internal/raft/apply", string(forged)},
		{"POST", "/internal/raft/join", string(join)},
		{"POST", "/internal/raft/remove", string(remove)},
		{"GET", "/internal/raft/read-index", ""},
		{"GET", "/internal/raft/status", ""},
		{"GET", "/internal/raft/hash", ""},
	} {
		status, body := apiCall(t, call.method, n.URL()+call.path, "", "application/json", call.body)
		if status != 403 || !strings.Contains(body, "cluster key") {
			t.Errorf("%s %s from loopback: %d %s, want 403 naming the cluster key", call.method, call.path, status, body)
		}
		status, body = signedCall(t, call.method, n.URL()+call.path, "another-clusters-key-0123456789abcdef", call.body)
		if status != 403 || !strings.Contains(body, "another cluster key") {
			t.Errorf("%s %s signed with another key: %d %s, want 403", call.method, call.path, status, body)
		}
	}
	hashAfter, err := n.Store().StateHash()
	if err != nil {
		t.Fatal(err)
	}
	if hashAfter != hashBefore || n.Store().AppliedIndex() != indexBefore {
		t.Errorf("the state changed: index %d -> %d, hash %.12s -> %.12s", indexBefore, n.Store().AppliedIndex(), hashBefore, hashAfter)
	}
	if status, body := apiCall(t, "GET", n.URL()+"/api/v1/me", forgedToken, "application/json", ""); status != 401 {
		t.Errorf("the forged token authenticates: %d %s", status, body)
	}

	if !strings.Contains(logs.String(), "node-to-node call refused") {
		t.Errorf("the refused calls are not in the node's logs")
	}
	key, err := os.ReadFile(filepath.Join(cfg.Data, "cluster-key"))
	if err != nil {
		t.Fatalf("the first node keeps no cluster key: %v", err)
	}
	if secret := strings.TrimSpace(string(key)); secret == "" || strings.Contains(logs.String(), secret) {
		t.Errorf("the cluster key is empty or reached the logs")
	}
}

// TestAttack_JoinWithoutTheRightKey: a node with another cluster's key, or
// with none, cannot join; the join fails at once (no retries) with a
// sentence, and the cluster keeps its membership.
func TestAttack_JoinWithoutTheRightKey(t *testing.T) {
	first := startNode(t, testConfig(t, "n1"))
	waitReady(t, first)
	for _, tc := range []struct{ name, key, want string }{
		{"another key", "another-clusters-key-0123456789abcdef", "cluster key"},
		{"no key", "", "cluster key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "x")
			cfg.ClusterKey = tc.key
			cfg.Join = first.URL()
			n := NewNode(cfg, testLogs())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := n.Start(ctx)
			n.Close()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "gave up") {
				t.Fatalf("start: %v, want a refusal naming the %q at once", err, tc.want)
			}
			t.Logf("refused: %v", err)
			if _, err := os.Stat(filepath.Join(cfg.Data, clusterKeyFile)); err == nil {
				t.Error("the refused node kept the key it was given")
			}
			st, err := first.Store().Cluster(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Nodes) != 1 {
				t.Errorf("membership changed: %+v", st.Nodes)
			}
		})
	}
}

// signedCall calls the node-to-node API as a node holding key would.
func signedCall(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := raftdata.SignRequest(req, key); err != nil {
		t.Fatal(err)
	}
	var headers []string
	for name := range req.Header {
		headers = append(headers, name, req.Header.Get(name))
	}
	return apiCall(t, method, url, "", "application/json", body, headers...)
}

// TestAttack_TheRightKeyJoinsAndARestartNeedsNoKey: the first node makes
// the cluster key in DATA/cluster-key (owner-only); a node joins with
// --cluster-key-file naming a copy, another with COOP_CLUSTER_KEY; each
// keeps the key in its own DATA/cluster-key, so a restart with no key
// given (and no --join) rejoins and catches up. The key is in no log.
func TestAttack_TheRightKeyJoinsAndARestartNeedsNoKey(t *testing.T) {
	cfg1 := testConfig(t, "n1")
	cfg1.ClusterKey = ""
	first, logs1 := startLoggedNode(t, cfg1)
	waitReady(t, first)
	firstKey := filepath.Join(cfg1.Data, clusterKeyFile)
	st, err := os.Stat(firstKey)
	if err != nil {
		t.Fatalf("the first node keeps no cluster key: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", firstKey, st.Mode().Perm())
	}
	raw, _ := os.ReadFile(firstKey)
	key := strings.TrimSpace(string(raw))
	if len(key) < raftdata.MinClusterKeyLength {
		t.Fatalf("the made key has %d characters", len(key))
	}
	if !strings.Contains(logs1.String(), firstKey) {
		t.Errorf("the key file's path is not in the first node's logs")
	}

	cfg2 := testConfig(t, "n2")
	cfg2.ClusterKey, cfg2.ClusterKeyFile, cfg2.Join = "", firstKey, first.URL()
	n2, logs2 := startLoggedNode(t, cfg2)
	cfg3, _, err := parseServeConfig([]string{"--data", t.TempDir(), "--http", "127.0.0.1:0", "--raft", "127.0.0.1:0", "--node-id", "n3", "--join", first.URL()},
		env(map[string]string{"COOP_CLUSTER_KEY": key}))
	if err == nil {
		err = cfg3.Validate()
	}
	if err != nil || cfg3.ClusterKey != key {
		t.Fatalf("COOP_CLUSTER_KEY: %v", err)
	}
	n3, logs3 := startLoggedNode(t, cfg3)
	nodes := []*Node{first, n2, n3}
	for _, n := range nodes {
		waitReady(t, n)
	}
	for _, cfg := range []Config{cfg2, cfg3} {
		kept, err := os.ReadFile(filepath.Join(cfg.Data, clusterKeyFile))
		if err != nil || strings.TrimSpace(string(kept)) != key {
			t.Fatalf("%s keeps %q, %v; want the cluster's key", cfg.Data, kept, err)
		}
	}

	op := operatorToken(t, first.URL())
	client := apiClient{testClient}
	client.createPool(t, n2, op, "before")
	raftAddr := n2.Store().RaftAddr() // the cluster knows n2 there
	n2.Close()
	client.createPool(t, first, op, "while-away")

	again := Config{Data: cfg2.Data, HTTP: "127.0.0.1:0", Raft: raftAddr}
	back, logs2b := startLoggedNode(t, again)
	waitReady(t, back)
	client.createPool(t, back, op, "after")
	waitFor(t, 15*time.Second, func() error {
		for _, n := range []*Node{first, back, n3} {
			ids, err := poolIDs(t, n.URL())
			if err != nil {
				return err
			}
			if !slices.Equal(ids, []string{"after", "before", "while-away"}) {
				return fmt.Errorf("node %s holds pools %v", n.ID(), ids)
			}
		}
		return nil
	})
	for i, logs := range []*syncBuffer{logs1, logs2, logs3, logs2b} {
		if strings.Contains(logs.String(), key) {
			t.Errorf("the cluster key is in the logs of node start %d", i)
		}
	}
}

// TestClusterKey_StartSaysWhatIsWrong: a node whose data directory holds
// another key than the one given, a node that has run but lost its key
// file, or a key file that holds no key, does not start, and says why.
func TestClusterKey_StartSaysWhatIsWrong(t *testing.T) {
	// ran is the data directory of a one-node cluster that ran and stopped.
	ran := func(t *testing.T) Config {
		cfg := testConfig(t, "n1")
		n := startNode(t, cfg)
		waitReady(t, n)
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	tests := []struct {
		name   string
		change func(t *testing.T, cfg *Config)
		want   string // "" means it starts
	}{
		{"the same key again", func(*testing.T, *Config) {}, ""},
		{"no key: the kept one", func(_ *testing.T, cfg *Config) { cfg.ClusterKey = "" }, ""},
		{"another key", func(_ *testing.T, cfg *Config) { cfg.ClusterKey = "another-clusters-key-0123456789abcdef" },
			"holds this node's cluster key, and the key given is another one"},
		{"key file lost", func(t *testing.T, cfg *Config) {
			cfg.ClusterKey = ""
			if err := os.Remove(filepath.Join(cfg.Data, clusterKeyFile)); err != nil {
				t.Fatal(err)
			}
		}, "holds a node of a cluster but no cluster key"},
		{"key file damaged", func(t *testing.T, cfg *Config) {
			cfg.ClusterKey = ""
			if err := os.WriteFile(filepath.Join(cfg.Data, clusterKeyFile), []byte("short\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "does not hold a cluster key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ran(t)
			tt.change(t, &cfg)
			n := NewNode(cfg, testLogs())
			err := n.Start(context.Background())
			n.Close()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("start: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("start: %v, want %q", err, tt.want)
			}
		})
	}
}
