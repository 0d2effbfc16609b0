package raftdata

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The tests' own domain: a counter table, with commands that add to a
// counter (a double apply shows at once), refuse after writing (a leaked
// write shows at once), and put opaque values (for erasure checks).
func testRegistry() *Registry {
	reg := NewRegistry()
	reg.Schema("test", `CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, value BLOB NOT NULL);`)
	reg.Handle("test.add", func(tx *Tx, cmd Command) (any, error) {
		var p struct {
			Name   string `json:"name"`
			N      int    `json:"n"`
			Refuse bool   `json:"refuse"`
		}
		if err := cmd.Decode(&p); err != nil {
			return nil, Errorf(CodeInvalid, "%v", err)
		}
		if _, err := tx.Exec(`INSERT INTO counters(name, n) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET n = n + excluded.n`, p.Name, p.N); err != nil {
			return nil, err
		}
		if p.Refuse {
			return nil, Errorf(CodeConflict, "refused after writing")
		}
		var n int
		if err := tx.QueryRow(`SELECT n FROM counters WHERE name = ?`, p.Name).Scan(&n); err != nil {
			return nil, err
		}
		if err := tx.Emit("coop.counter.added", map[string]any{"name": p.Name, "n": n}); err != nil {
			return nil, err
		}
		return n, nil
	})
	reg.Handle("test.clock", func(tx *Tx, cmd Command) (any, error) {
		return tx.Clock(), nil
	})
	reg.Handle("test.put", func(tx *Tx, cmd Command) (any, error) {
		var p struct{ Key, Value string }
		if err := cmd.Decode(&p); err != nil {
			return nil, Errorf(CodeInvalid, "%v", err)
		}
		_, err := tx.Exec(`INSERT OR REPLACE INTO blobs(key, value) VALUES(?, ?)`, p.Key, []byte(p.Value))
		return nil, err
	})
	reg.Handle("test.delete", func(tx *Tx, cmd Command) (any, error) {
		var p struct{ Key string }
		if err := cmd.Decode(&p); err != nil {
			return nil, Errorf(CodeInvalid, "%v", err)
		}
		_, err := tx.Exec(`DELETE FROM blobs WHERE key = ?`, p.Key)
		return nil, err
	})
	reg.Handle("test.erase", func(tx *Tx, cmd Command) (any, error) {
		var p struct{ Key string }
		if err := cmd.Decode(&p); err != nil {
			return nil, Errorf(CodeInvalid, "%v", err)
		}
		tx.RequestCompaction()
		_, err := tx.Exec(`DELETE FROM blobs WHERE key = ?`, p.Key)
		return nil, err
	})
	return reg
}

// testNode is a Store with its HTTP server, as coop serve runs it.
type testNode struct {
	id   string
	dir  string
	raft string // raft address, kept across restarts
	url  string
	ln   net.Listener
	srv  *http.Server
	*Store
}

type nodeOption func(*Config)

// testClusterKey is the cluster key every test node holds unless an option
// changes it.
const testClusterKey = "raftdata-test-cluster-key-0123456789"

func startNode(t testing.TB, id, dir, raftAddr string, bootstrap bool, opts ...nodeOption) *testNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{id: id, dir: dir, ln: ln, url: "http://" + ln.Addr().String()}
	if raftAddr == "" {
		raftAddr = "127.0.0.1:0"
	}
	cfg := Config{NodeID: id, Dir: dir, RaftBind: raftAddr, HTTPURL: n.url, Bootstrap: bootstrap, ClusterKey: testClusterKey}
	if os.Getenv("COOP_TEST_LOG") != "" {
		cfg.RaftLogOutput = os.Stderr
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := Open(cfg, testRegistry())
	if err != nil {
		ln.Close()
		t.Fatalf("open node %s: %v", id, err)
	}
	n.Store = s
	n.raft = s.RaftAddr()
	n.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go n.srv.Serve(ln)
	return n
}

// stop shuts a node down as SIGTERM would.
func (n *testNode) stop() {
	n.Store.Close()
	n.srv.Close()
}

// crash stops a node without any handover, as kill -9 would leave it: no
// leadership transfer, nothing flushed beyond what was already durable.
func (n *testNode) crash() {
	n.srv.Close()
	n.Store.Crash()
}

// cluster is a set of in-process nodes on loopback.
type cluster struct {
	t     testing.TB
	nodes []*testNode
	opts  []nodeOption
}

func startCluster(t testing.TB, size int, opts ...nodeOption) *cluster {
	t.Helper()
	c := &cluster{t: t, opts: opts}
	base := t.TempDir()
	first := startNode(t, "n1", filepath.Join(base, "n1"), "", true, opts...)
	c.nodes = append(c.nodes, first)
	c.waitLeader()
	for i := 2; i <= size; i++ {
		id := fmt.Sprintf("n%d", i)
		n := startNode(t, id, filepath.Join(base, id), "", false, opts...)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := n.JoinCluster(ctx, first.url); err != nil {
			cancel()
			t.Fatalf("join %s: %v", id, err)
		}
		cancel()
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			wg.Add(1)
			go func() { defer wg.Done(); n.crash() }()
		}
		wg.Wait()
	})
	return c
}

// waitLeader polls until a live node is leader and returns it.
func (c *cluster) waitLeader() *testNode {
	c.t.Helper()
	var leader *testNode
	waitFor(c.t, 10*time.Second, func() error {
		for _, n := range c.nodes {
			if !n.isClosed() && n.IsLeader() {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("no leader")
	})
	return leader
}

// waitLeaderAmong polls until one of nodes leads (the majority side of a
// partition) and returns it.
func waitLeaderAmong(t testing.TB, nodes []*testNode) *testNode {
	t.Helper()
	var leader *testNode
	waitFor(t, 10*time.Second, func() error {
		for _, n := range nodes {
			if n.IsLeader() {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("no leader among the %d nodes", len(nodes))
	})
	return leader
}

func (c *cluster) followers() []*testNode {
	var out []*testNode
	for _, n := range c.nodes {
		if !n.isClosed() && !n.IsLeader() {
			out = append(out, n)
		}
	}
	return out
}

func (n *testNode) isClosed() bool {
	select {
	case <-n.Store.closed:
		return true
	default:
		return false
	}
}

// restart starts a stopped node again over its directory and raft address.
func (c *cluster) restart(n *testNode) *testNode {
	c.t.Helper()
	fresh := startNode(c.t, n.id, n.dir, n.raft, false, c.opts...)
	for i, m := range c.nodes {
		if m == n {
			c.nodes[i] = fresh
		}
	}
	return fresh
}

// waitConverged polls until every live node applied the same index and
// holds the same state hash, and returns that hash.
func (c *cluster) waitConverged() string {
	c.t.Helper()
	var hash string
	waitFor(c.t, 20*time.Second, func() error {
		var first string
		var firstIdx uint64
		for i, n := range c.nodes {
			if n.isClosed() {
				continue
			}
			h, err := n.StateHash()
			if err != nil {
				return err
			}
			idx := n.AppliedIndex()
			if i == 0 || first == "" {
				first, firstIdx = h, idx
				continue
			}
			if h != first || idx != firstIdx {
				return fmt.Errorf("node %s at index %d hash %.8s, differs from %d %.8s", n.id, idx, h, firstIdx, first)
			}
		}
		hash = first
		return nil
	})
	return hash
}

// waitFor polls fn until it returns nil or the time runs out: no sleeps
// standing in for synchronisation.
func waitFor(t testing.TB, total time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v: %v", total, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func counter(t testing.TB, s *Store, name string) int {
	t.Helper()
	var n int
	err := s.DB().QueryRow(`SELECT n FROM counters WHERE name = ?`, name).Scan(&n)
	if err != nil && err.Error() != "sql: no rows in result set" {
		t.Fatal(err)
	}
	return n
}

func add(ctx context.Context, s *Store, name string, n int) error {
	_, err := s.Apply(ctx, "test.add", map[string]any{"name": name, "n": n})
	return err
}
