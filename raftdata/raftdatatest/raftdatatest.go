// Package raftdatatest starts real raftdata nodes on loopback for the tests
// of domain packages: a real Raft node, real SQLite files in t.TempDir(),
// the node-to-node HTTP API served on a real port.
package raftdatatest

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"coop/raftdata"
)

// Node is a running store with its HTTP server.
type Node struct {
	*raftdata.Store
	URL string
	srv *http.Server
}

// Options tune the nodes a test starts.
type Options struct {
	Now func() time.Time // clock used to stamp commands; default time.Now
	// Network carries the nodes' connections to each other, so that the
	// test can cut links (see raftdata.Network). nil: plain loopback.
	Network *raftdata.Network
	// TLS gives each node, by id, its mutual TLS identity (see CA.NodeTLS);
	// the node then serves HTTPS. nil: plain TCP and HTTP.
	TLS func(id string) *raftdata.TLS
	// ClusterKey is the nodes' cluster key; "": ClusterKey, which every
	// node of every test shares.
	ClusterKey string
	// Dir, if set, gives the directory under which node id keeps its data
	// (a small disk that a fault test fills). "": a new t.TempDir().
	Dir func(id string) string
}

// dirFor is where node id keeps its data.
func dirFor(t testing.TB, id string, opts []Options) string {
	for _, o := range opts {
		if o.Dir != nil {
			if dir := o.Dir(id); dir != "" {
				return dir
			}
		}
	}
	return t.TempDir()
}

// ClusterKey is the cluster key of the nodes tests start, unless an
// Options says otherwise.
const ClusterKey = "raftdatatest-cluster-key-0123456789abcdef"

// Start starts a one-node cluster whose handlers come from register, and
// waits until it leads. It is closed when the test ends.
func Start(t testing.TB, register func(*raftdata.Registry), opts ...Options) *Node {
	t.Helper()
	n := start(t, "n1", dirFor(t, "n1", opts), "", register, opts)
	WaitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return fmt.Errorf("node not leader yet")
		}
		return nil
	})
	return n
}

// StartNode starts node id, which is not part of any cluster until it
// joins one (JoinCluster). It is closed when the test ends.
func StartNode(t testing.TB, id string, register func(*raftdata.Registry), opts ...Options) *Node {
	t.Helper()
	return start(t, id, dirFor(t, id, opts), "", register, opts)
}

// IDs are the ids of nodes, for raftdata.Network.Partition.
func IDs(nodes ...*Node) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.NodeID()
	}
	return ids
}

// Cluster starts size nodes joined into one cluster and returns them, the
// first one leading.
func Cluster(t testing.TB, size int, register func(*raftdata.Registry), opts ...Options) []*Node {
	t.Helper()
	first := Start(t, register, opts...)
	nodes := []*Node{first}
	for i := 2; i <= size; i++ {
		id := fmt.Sprintf("n%d", i)
		n := start(t, id, dirFor(t, id, opts), "", register, opts)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := n.JoinCluster(ctx, first.URL)
		cancel()
		if err != nil {
			t.Fatalf("join n%d: %v", i, err)
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func start(t testing.TB, id, dir, raftAddr string, register func(*raftdata.Registry), opts []Options) *Node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if raftAddr == "" {
		raftAddr = "127.0.0.1:0"
	}
	cfg := raftdata.Config{NodeID: id, Dir: filepath.Join(dir, id), RaftBind: raftAddr, Bootstrap: id == "n1", ClusterKey: ClusterKey}
	if os.Getenv("COOP_TEST_LOG") != "" {
		cfg.RaftLogOutput = os.Stderr
	}
	for _, o := range opts {
		if o.Now != nil {
			cfg.Now = o.Now
		}
		if o.Network != nil {
			cfg.Network = o.Network
		}
		if o.TLS != nil {
			cfg.TLS = o.TLS(id)
		}
		if o.ClusterKey != "" {
			cfg.ClusterKey = o.ClusterKey
		}
	}
	url := "http://" + ln.Addr().String()
	if cfg.TLS != nil {
		url = "https://" + ln.Addr().String()
		ln = tls.NewListener(ln, cfg.TLS.HTTPServerConfig())
	}
	cfg.HTTPURL = url
	reg := raftdata.NewRegistry()
	register(reg)
	s, err := raftdata.Open(cfg, reg)
	if err != nil {
		ln.Close()
		t.Fatalf("open node %s: %v", id, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	if os.Getenv("COOP_TEST_LOG") != "" {
		srv.ErrorLog = nil // the standard logger
	}
	n := &Node{Store: s, URL: url, srv: srv}
	go n.srv.Serve(ln)
	t.Cleanup(n.Close)
	return n
}

// Close stops the node (a clean shutdown; safe to call twice).
func (n *Node) Close() {
	n.Store.Close()
	n.srv.Close()
}

// Kill stops the node at once, without handing leadership over, as kill -9.
func (n *Node) Kill() {
	n.srv.Close()
	n.Store.Crash()
}

// WaitFor polls fn until it returns nil or total has passed.
func WaitFor(t testing.TB, total time.Duration, fn func() error) {
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

// WaitConverged polls until every node has applied the same index and holds
// the same state.
func WaitConverged(t testing.TB, nodes []*Node) {
	t.Helper()
	WaitFor(t, 20*time.Second, func() error {
		var first string
		for i, n := range nodes {
			h, err := n.StateHash()
			if err != nil {
				return err
			}
			if i == 0 {
				first = h
			} else if h != first {
				return fmt.Errorf("node %s differs", n.NodeID())
			}
		}
		return nil
	})
}

// FilesHolding lists the files, in every node's data directory, that
// contain needle: SQLite files, WALs, the Raft log, snapshots.
func FilesHolding(t testing.TB, nodes []*Node, needle string) []string {
	t.Helper()
	dirs := make([]string, len(nodes))
	for i, n := range nodes {
		dirs[i] = n.Dir()
	}
	return FilesUnder(dirs, needle)
}

// FilesUnder lists the files below dirs that contain needle.
func FilesUnder(dirs []string, needle string) []string {
	var found []string
	for _, dir := range dirs {
		filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err == nil && bytes.Contains(data, []byte(needle)) {
				found = append(found, path)
			}
			return nil
		})
	}
	return found
}
