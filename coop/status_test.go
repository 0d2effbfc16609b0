package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/raftdata"
)

func TestStatus_PrintsTheCluster(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	waitReady(t, n)

	var out, errOut bytes.Buffer
	token := operatorToken(t, n.URL())
	code := run(context.Background(), []string{"status", "--http", n.URL()}, env(map[string]string{"COOP_TOKEN": token}), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a title, a blank line, a header and one row:\n%s", out.String())
	}
	if got := strings.Fields(lines[2]); strings.Join(got, " ") != "ID ADDRESS STATE TERM COMMIT APPLIED LAG" {
		t.Fatalf("header = %q", lines[2])
	}
	row := strings.Fields(lines[3])
	if len(row) != 7 || row[0] != "n1" || row[1] != n.Store().RaftAddr() || row[2] != "leader" || row[6] != "0" {
		t.Fatalf("row = %q\n%s", lines[3], out.String())
	}
	t.Log("\n" + out.String())
}

func TestStatus_Unreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"status", "--http", addr}, env(nil), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "cannot reach a coop node at http://"+addr) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestStatus_ShowsTheNodesRefusal(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"code":"forbidden","message":"operators only"}}`))
	}))
	defer refusing.Close()

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"status", "--http", refusing.URL}, env(map[string]string{"COOP_TOKEN": "secret-token"}), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "operators only (HTTP 403)") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// A node that cannot write its storage (a full disk) or cannot be reached
// gets a note under the table saying so.
func TestStatus_NotesANodesProblem(t *testing.T) {
	st := raftdata.ClusterStatus{Leader: "n1", Term: 3, Nodes: []raftdata.NodeStatus{
		{ID: "n1", Address: "127.0.0.1:7001", State: "leader", Term: 3, CommitIndex: 10, AppliedIndex: 10},
		{ID: "n2", Address: "127.0.0.1:7002", State: "follower", Term: 3, CommitIndex: 10, AppliedIndex: 7, StorageError: "database or disk is full"},
		{ID: "n3", Address: "127.0.0.1:7003", State: "unreachable", Error: "connection refused"},
	}}
	var out bytes.Buffer
	printCluster(&out, st)
	for _, want := range []string{"n2: cannot write its storage", "database or disk is full", "n3: connection refused"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "n1: ") {
		t.Errorf("a note for a healthy node:\n%s", out.String())
	}
}
