package raftdata

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// forgedAdd is a hand-made command a local process would send: it adds
// 1000 to the counter "forged".
func forgedAdd(t *testing.T) []byte {
	t.Helper()
	cmd, err := NewCommand("test.add", map[string]any{"name": "forged", "n": 1000}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := encodeCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// internalCalls are every route of the node-to-node API, as an attacker
// on the node's machine (or behind a reverse proxy on it) would call them.
func internalCalls(t *testing.T, c *cluster) []struct{ method, path, body string } {
	t.Helper()
	victim := c.nodes[2]
	join, _ := json.Marshal(nodeInfo{ID: "intruder", RaftAddr: "127.0.0.1:1", HTTPURL: "http://127.0.0.1:1"})
	remove, _ := json.Marshal(nodeInfo{ID: victim.id})
	return []struct{ method, path, body string }{
		{http.MethodPost, pathApply, string(forgedAdd(t))},
		{http.MethodPost, pathJoin, string(join)},
		{http.MethodPost, pathRemove, string(remove)},
		{http.MethodGet, pathReadIndex, ""},
		{http.MethodGet, pathStatus, ""},
		{http.MethodGet, pathHash, ""},
	}
}

// TestAttack_InternalAPIFromLoopbackWithoutTheKey calls every route of the
// node-to-node API of real nodes from 127.0.0.1 with no proof of the
// cluster key: each answers 403 with a sentence, and nothing changes (the
// forged command is not applied, no node joins or leaves, the state hash
// and applied index stay).
func TestAttack_InternalAPIFromLoopbackWithoutTheKey(t *testing.T) {
	c := startCluster(t, 3)
	if err := add(t.Context(), c.nodes[0].Store, "real", 1); err != nil {
		t.Fatal(err)
	}
	hash := c.waitConverged()
	index := c.nodes[0].AppliedIndex()

	for _, target := range []*testNode{c.waitLeader(), c.followers()[0]} {
		for _, call := range internalCalls(t, c) {
			req, err := http.NewRequest(call.method, target.url+call.path, strings.NewReader(call.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var eb errorBody
			json.Unmarshal(body, &eb)
			if resp.StatusCode != http.StatusForbidden || eb.Error == nil || !strings.Contains(eb.Error.Message, "cluster key") {
				t.Errorf("%s %s on %s from loopback without the key: %d %s, want 403 naming the cluster key",
					call.method, call.path, target.id, resp.StatusCode, body)
			}
		}
	}

	if got := c.waitConverged(); got != hash {
		t.Errorf("state hash moved from %.12s to %.12s", hash, got)
	}
	for _, n := range c.nodes {
		if got := counter(t, n.Store, "forged"); got != 0 {
			t.Errorf("node %s applied the forged command (forged = %d)", n.id, got)
		}
		if got := n.AppliedIndex(); got != index {
			t.Errorf("node %s applied index moved from %d to %d", n.id, index, got)
		}
		if got := n.peerCount(); got != 3 {
			t.Errorf("node %s sees %d voters, want 3", n.id, got)
		}
	}
}

// TestAttack_RaftAppendEntriesWithoutTheKey speaks hashicorp/raft's wire
// protocol to a node's Raft port with raft's own NetworkTransport, from a
// process that has no cluster key: an AppendEntries RPC, well formed, from
// a "leader" of a higher term, that would append and commit a forged
// command. The connection is dropped; the node appends nothing, applies
// nothing and keeps its term.
func TestAttack_RaftAppendEntriesWithoutTheKey(t *testing.T) {
	c := startCluster(t, 1)
	n := c.waitLeader()
	if err := add(t.Context(), n.Store, "real", 1); err != nil {
		t.Fatal(err)
	}
	lastIndex := n.Store.raft.LastIndex()
	term := n.Status().Term
	var last raft.Log
	if err := n.logs.GetLog(lastIndex, &last); err != nil {
		t.Fatal(err)
	}

	intruder, err := raft.NewTCPTransportWithLogger("127.0.0.1:0", nil, 1, 2*time.Second, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	req := &raft.AppendEntriesRequest{
		RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("intruder"), Addr: []byte(intruder.LocalAddr())},
		Term:              term + 1,
		PrevLogEntry:      lastIndex,
		PrevLogTerm:       last.Term,
		Entries:           []*raft.Log{{Index: lastIndex + 1, Term: term + 1, Type: raft.LogCommand, Data: forgedAdd(t)}},
		LeaderCommitIndex: lastIndex + 1,
	}
	forged := req.Entries[0].Data
	var resp raft.AppendEntriesResponse
	err = intruder.AppendEntries("n1", raft.ServerAddress(n.RaftAddr()), req, &resp)
	if err == nil {
		t.Errorf("the AppendEntries RPC got an answer (success %v): the Raft port spoke to a process without the key", resp.Success)
	}
	// A real write after the attack: had the forged entry been taken, it
	// would sit before this one in the log and be applied first.
	if err := add(t.Context(), n.Store, "after", 1); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, n.Store, "forged"); got != 0 {
		t.Errorf("the forged command was applied (forged = %d)", got)
	}
	for i := lastIndex + 1; i <= n.Store.raft.LastIndex(); i++ {
		var entry raft.Log
		if err := n.logs.GetLog(i, &entry); err == nil && bytes.Equal(entry.Data, forged) {
			t.Errorf("the forged entry is in the log at index %d", i)
		}
	}
	if got := n.Status().Term; got != term {
		t.Errorf("term moved from %d to %d: the node took the intruder for a leader", term, got)
	}
}
