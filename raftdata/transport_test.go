package raftdata_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// registerCounters is a one-table domain for the transport tests.
func registerCounters(reg *raftdata.Registry) {
	reg.Schema("counters", `CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);`)
	reg.Handle("counter.add", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var p struct {
			Name string `json:"name"`
		}
		if err := cmd.Decode(&p); err != nil {
			return nil, raftdata.Errorf(raftdata.CodeInvalid, "%v", err)
		}
		_, err := tx.Exec(`INSERT INTO counters(name, n) VALUES(?, 1) ON CONFLICT(name) DO UPDATE SET n = n + 1`, p.Name)
		return nil, err
	})
}

func countOf(t *testing.T, n *raftdatatest.Node, name string) int {
	t.Helper()
	var c int
	err := n.DB().QueryRow(`SELECT n FROM counters WHERE name = ?`, name).Scan(&c)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		t.Fatal(err)
	}
	return c
}

func leaderOf(t *testing.T, nodes []*raftdatatest.Node, skip *raftdatatest.Node) *raftdatatest.Node {
	t.Helper()
	var leader *raftdatatest.Node
	raftdatatest.WaitFor(t, 10*time.Second, func() error {
		for _, n := range nodes {
			if n != skip && n.IsLeader() {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("no leader")
	})
	return leader
}

// tlsCluster3 starts three nodes running mutual TLS with certificates from ca.
func tlsCluster3(t *testing.T, ca *raftdatatest.CA) []*raftdatatest.Node {
	t.Helper()
	return raftdatatest.Cluster(t, 3, registerCounters, raftdatatest.Options{
		TLS: func(id string) *raftdata.TLS { return ca.NodeTLS(t, id) },
	})
}

func TestCluster3TLS_ReplicatesAndSurvivesLeaderKill(t *testing.T) {
	nodes := tlsCluster3(t, raftdatatest.NewCA(t, "cluster CA"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	old := leaderOf(t, nodes, nil)
	for _, n := range nodes { // through the leader and forwarded by followers
		if _, err := n.Apply(ctx, "counter.add", map[string]string{"name": "before"}); err != nil {
			t.Fatalf("write through %s: %v", n.NodeID(), err)
		}
	}
	old.Kill()
	var alive []*raftdatatest.Node
	for _, n := range nodes {
		if n != old {
			alive = append(alive, n)
		}
	}
	leader := leaderOf(t, alive, old)
	for _, n := range alive {
		if _, err := n.Apply(ctx, "counter.add", map[string]string{"name": "after"}); err != nil {
			t.Fatalf("write through %s after the leader died: %v", n.NodeID(), err)
		}
	}
	raftdatatest.WaitConverged(t, alive)
	for _, n := range alive {
		if got := countOf(t, n, "before"); got != 3 {
			t.Errorf("node %s: before = %d, want 3", n.NodeID(), got)
		}
		if got := countOf(t, n, "after"); got != 2 {
			t.Errorf("node %s: after = %d, want 2", n.NodeID(), got)
		}
	}
	t.Logf("new leader %s", leader.NodeID())
}

func TestTLS_NodeWithoutACertificateFromTheClusterCACannotJoin(t *testing.T) {
	ca := raftdatatest.NewCA(t, "cluster CA")
	other := raftdatatest.NewCA(t, "another CA")
	nodes := tlsCluster3(t, ca)
	leader := leaderOf(t, nodes, nil)

	tests := []struct {
		name string
		tls  func(t *testing.T) *raftdata.TLS
		want string
	}{
		{"certificate and trust from another CA", func(t *testing.T) *raftdata.TLS { return other.NodeTLS(t, "x") },
			"certificate signed by unknown authority"},
		{"certificate from another CA, trusting the cluster's", func(t *testing.T) *raftdata.TLS {
			own := other.NodeTLS(t, "x")
			return &raftdata.TLS{Certificate: own.Certificate, CA: ca.Pool()}
		}, "certificate from the cluster's CA"},
		{"no certificate, trusting the cluster's CA", func(t *testing.T) *raftdata.TLS {
			return &raftdata.TLS{CA: ca.Pool()}
		}, "a node needs a certificate from the cluster's CA"},
		{"no TLS at all", nil, "certificate signed by unknown authority"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := raftdatatest.Options{}
			if tt.tls != nil {
				id := tt.tls(t)
				opts.TLS = func(string) *raftdata.TLS { return id }
			}
			bad := raftdatatest.StartNode(t, fmt.Sprintf("bad%d", i), registerCounters, opts)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := bad.JoinCluster(ctx, leader.URL)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("join: got %v, want an error with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "gave up after") {
				t.Errorf("join retried a certificate problem: %v", err)
			}
			st, err := leader.Cluster(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Nodes) != 3 {
				t.Errorf("membership changed: %+v", st.Nodes)
			}
		})
	}
}

func TestTLS_RaftRefusesPlainAndForeignConnections(t *testing.T) {
	ca := raftdatatest.NewCA(t, "cluster CA")
	other := raftdatatest.NewCA(t, "another CA")
	n := raftdatatest.Start(t, registerCounters, raftdatatest.Options{
		TLS: func(id string) *raftdata.TLS { return ca.NodeTLS(t, id) },
	})
	term := n.Status().Term
	vote := &raft.RequestVoteRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("intruder"), Addr: []byte("127.0.0.1:1")},
		Term:      term + 100, LastLogIndex: 1 << 40, LastLogTerm: term + 99,
	}

	t.Run("plain TCP", func(t *testing.T) {
		plain, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, 1, 2*time.Second, hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		var resp raft.RequestVoteResponse
		if err := plain.RequestVote("n1", raft.ServerAddress(n.RaftAddr()), vote, &resp); err == nil {
			t.Fatalf("a plain TCP vote request got an answer: %+v", resp)
		}
	})
	t.Run("certificate from another CA", func(t *testing.T) {
		own := other.NodeTLS(t, "intruder")
		conn, err := tls.Dial("tcp", n.RaftAddr(), &tls.Config{
			MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{own.Certificate}, RootCAs: ca.Pool(),
		})
		if err != nil {
			return // refused during the handshake
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte{0}) // the first byte of a raft RPC
		if _, err := io.ReadAll(conn); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("read after a foreign handshake: %v, want a certificate error", err)
		}
	})
	if got := n.Status().Term; got != term {
		t.Errorf("term moved from %d to %d: a refused connection reached raft", term, got)
	}
}
