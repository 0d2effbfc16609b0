package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
