package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"coop/raftdata"
)

// stop ends the process with SIGTERM, as an operator does, and waits for
// it: a clean stop exits 0.
func (p *procNode) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("node %s after SIGTERM: %v\n%s", p.id, err, p.logs)
	}
}

// TestMultiProcess_RollingRestartThenRemoval: members write through any
// node while each of three `coop serve` processes in turn is stopped with
// SIGTERM and started again (docs/operations.md, "Rolling restart"); then
// `coop remove` takes one node out for good and the other two go on. No
// acknowledged write is lost or doubled, and the two left agree.
func TestMultiProcess_RollingRestartThenRemoval(t *testing.T) {
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3)
	writers := newMeterWriters(t, nodes[0].url(), 3, procURLs(nodes))
	stop := runWriters(writers)
	defer stop()
	writesGoOn := func(step string) {
		t.Helper()
		before := totalAcked(writers)
		waitFor(t, 15*time.Second, func() error {
			if n := totalAcked(writers); n < before+2*len(writers) {
				return fmt.Errorf("%s: %d writes acknowledged since, want %d", step, n-before, 2*len(writers))
			}
			return nil
		})
	}

	for _, p := range nodes {
		p.stop(t)
		writesGoOn("while " + p.id + " is down")
		p.start(t, bin)
		p.waitReady(t)
	}
	writesGoOn("after the rolling restart")

	op := operatorToken(t, nodes[0].url())
	var out, errOut bytes.Buffer
	ctx := context.Background()
	if code := run(ctx, []string{"remove", "--http", nodes[0].url(), "nosuchnode"}, env(map[string]string{"COOP_TOKEN": op}), &out, &errOut); code != exitError || !strings.Contains(errOut.String(), `no node "nosuchnode"`) {
		t.Fatalf("removing an unknown node: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(ctx, []string{"remove", "--http", nodes[0].url(), "n3"}, env(nil), &out, &errOut); code != exitError || !strings.Contains(errOut.String(), "401") {
		t.Fatalf("removing without a token: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(ctx, []string{"remove", "--http", nodes[0].url(), "n3"}, env(map[string]string{"COOP_TOKEN": op}), &out, &errOut); code != exitOK {
		t.Fatalf("coop remove n3: exit %d, %s", code, errOut.String())
	}
	nodes[2].stop(t)
	left := nodes[:2]
	var st raftdata.ClusterStatus
	waitFor(t, 10*time.Second, func() error {
		var err error
		if st, err = fetchCluster(ctx, nodeTarget{URL: left[1].url(), Token: op}); err != nil {
			return err
		}
		if len(st.Nodes) != 2 {
			return fmt.Errorf("%d nodes in the cluster, want 2", len(st.Nodes))
		}
		return nil
	})
	writesGoOn("after the removal")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged through a rolling restart and a removal", totalAcked(writers))
	waitSameState(t, left)
	for _, p := range left {
		checkMeterRecords(t, p.url(), writers)
	}
}
