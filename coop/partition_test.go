package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"coop/raftdata"
	"coop/ui"
)

// startNodeOn starts a node whose links to its peers go through network,
// so that the test can cut them.
func startNodeOn(t *testing.T, cfg Config, network *raftdata.Network) *Node {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	n := NewNode(cfg, testLogs())
	n.network = network
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestCluster3Partition_MinorityRefusesWritesServesStaleReads isolates the
// leader of three nodes. Through the API the old leader answers writes
// with 503 "cut off" and reads marked X-Coop-Read: stale, while the two
// others elect a leader and accept writes. After the heal the nodes hold
// one history: every acknowledged write, never the refused one.
func TestCluster3Partition_MinorityRefusesWritesServesStaleReads(t *testing.T) {
	network := raftdata.NewNetwork()
	first := startNodeOn(t, testConfig(t, "n1"), network)
	waitReady(t, first)
	nodes := []*Node{first}
	for _, id := range []string{"n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.Join = first.URL()
		nodes = append(nodes, startNodeOn(t, cfg, network))
	}
	for _, n := range nodes {
		waitReady(t, n)
	}
	client := apiClient{testClient}
	token := operatorToken(t, first.URL())
	acked := []string{"before"}
	client.createPool(t, nodes[1], token, "before")

	var old *Node
	var majority []*Node
	for _, n := range nodes {
		if n.Store().IsLeader() {
			old = n
		} else {
			majority = append(majority, n)
		}
	}
	if old == nil {
		t.Fatal("no leader")
	}
	network.Partition([]string{old.ID()}, []string{majority[0].ID(), majority[1].ID()})

	// The cut-off node refuses the write with a sentence that says why.
	resp, body, err := client.do(http.MethodPost, old.URL()+"/api/v1/pools", token, testPool("refused"))
	if err != nil {
		t.Fatal(err)
	}
	var eb struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal([]byte(body), &eb)
	if resp.StatusCode != http.StatusServiceUnavailable || eb.Error.Code != "unavailable" ||
		!strings.Contains(eb.Error.Message, "no leader reachable: this node is cut off from the cluster") {
		t.Errorf("write on the cut-off node: %d %s, want 503 saying it is cut off", resp.StatusCode, body)
	}
	// It still serves reads, marked stale.
	for path, want := range map[string]string{"/api/v1/pools": `"before"`, "/api/v1/pools/before": `"before"`, "/": "<html"} {
		resp, body, err := client.do(http.MethodGet, old.URL()+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get(ui.HeaderRead) != ui.ReadStale || !strings.Contains(body, want) {
			t.Errorf("read %s on the cut-off node: %d %s=%q %s, want 200 marked stale", path, resp.StatusCode, ui.HeaderRead, resp.Header.Get(ui.HeaderRead), body)
		}
	}

	// The majority elects a leader and goes on writing, unmarked.
	for i, n := range majority {
		id := fmt.Sprintf("majority-%d", i)
		client.createPool(t, n, token, id)
		acked = append(acked, id)
		resp, _, err := client.do(http.MethodGet, n.URL()+"/api/v1/pools", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get(ui.HeaderRead); got != "" {
			t.Errorf("node %s on the majority side marks its reads %q", n.ID(), got)
		}
	}

	network.Heal()
	waitFor(t, 20*time.Second, func() error {
		want, err := nodes[0].Store().StateHash()
		if err != nil {
			return err
		}
		for _, n := range nodes[1:] {
			if h, err := n.Store().StateHash(); err != nil || h != want {
				return fmt.Errorf("node %s differs after the heal (%v)", n.ID(), err)
			}
		}
		resp, _, err := client.do(http.MethodGet, old.URL()+"/healthz", "", nil)
		if err != nil {
			return err
		}
		if resp.Header.Get(ui.HeaderRead) != "" {
			return fmt.Errorf("old leader still marks its reads stale")
		}
		return nil
	})
	slices.Sort(acked)
	for _, n := range nodes {
		ids, err := poolIDs(t, n.URL())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, acked) {
			t.Errorf("node %s holds pools %v, want exactly %v", n.ID(), ids, acked)
		}
	}
}
