package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRun_UsageAndVersion(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		stdout    string
		stderr    string
		envValues map[string]string
	}{
		{args: nil, code: 2, stderr: "Usage:"},
		{args: []string{"help"}, code: 0, stdout: "coop serve [flags]"},
		{args: []string{"version"}, code: 0, stdout: "coop "},
		{args: []string{"nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"serve", "--bogus"}, code: 2, stderr: "coop serve: flag provided but not defined: -bogus"},
		{args: []string{"serve", "--http", "nowhere"}, code: 2, stderr: `--http "nowhere": want host:port`},
		{args: []string{"serve"}, envValues: map[string]string{"COOP_DEMO": "maybe"}, code: 2, stderr: "COOP_DEMO"},
		{args: []string{"serve", "-h"}, code: 0, stdout: "-advertise-raft"},
		{args: []string{"status", "--bogus"}, code: 2, stderr: "coop status: flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, env(tt.envValues), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, errOut.String())
			}
			if !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errOut.String(), tt.stderr) {
				t.Fatalf("stdout %q, stderr %q; want %q and %q", out.String(), errOut.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

// TestRun_ServeStopsCleanly runs `coop serve` as main does, then cancels
// its context as SIGTERM would: it exits 0 and frees the data directory.
func TestRun_ServeStopsCleanly(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--http", "127.0.0.1:0", "--raft", "127.0.0.1:0"},
			env(map[string]string{"COOP_DATA": data, "COOP_CLUSTER_KEY": "do-not-log-this-cluster-key-0123456789"}), &logs, &logs)
	}()

	var url string
	waitFor(t, 10*time.Second, func() error {
		for _, line := range strings.Split(logs.String(), "\n") {
			var entry struct{ Msg, HTTP string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "node started" {
				url = entry.HTTP
				return nil
			}
		}
		return context.DeadlineExceeded
	})
	waitFor(t, 10*time.Second, func() error {
		status, _, err := tryGet(url + "/readyz")
		if err == nil && status != http.StatusOK {
			return context.DeadlineExceeded
		}
		return err
	})

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if strings.Contains(logs.String(), "do-not-log-this-cluster-key") {
		t.Fatal("the cluster key reached the logs")
	}
	if !strings.Contains(logs.String(), `"msg":"node stopped"`) {
		t.Fatalf("no clean stop in the logs:\n%s", logs.String())
	}
	// The lock is free again.
	n := startNode(t, Config{Data: data, HTTP: "127.0.0.1:0", Raft: "127.0.0.1:0"})
	waitReady(t, n)
}
