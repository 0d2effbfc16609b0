package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsServer is a nats-server process built from the module coop embeds.
type natsServer struct {
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer
}

// startNATSServer builds nats-server and runs it on a free loopback port,
// with JetStream (files under a temporary directory) when jetStream is set.
func startNATSServer(t *testing.T, jetStream bool) *natsServer {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "nats-server")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-a", host, "-p", port}
	if jetStream {
		args = append(args, "-js", "-sd", filepath.Join(dir, "js"))
	}
	s := &natsServer{url: "nats://" + addr, logs: &syncBuffer{}}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	waitFor(t, 10*time.Second, func() error {
		nc, err := nats.Connect(s.url)
		if err != nil {
			return fmt.Errorf("nats-server not up: %w\n%s", err, s.logs)
		}
		nc.Close()
		return nil
	})
	return s
}

// streamEvents reads every message of the COOP stream on the server at
// url: their Nats-Msg-Id headers and subjects, in stream order.
func streamEvents(url string) (ids, subjects []string, err error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, streamName)
	if err != nil {
		return nil, nil, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, nil, err
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", seq, err)
		}
		ids = append(ids, msg.Header.Get(jetstream.MsgIDHeader))
		subjects = append(subjects, msg.Subject)
	}
	return ids, subjects, nil
}

// TestMultiProcess_ExternalNATSHoldsEachEventOnce: three `coop serve`
// processes publish to a separate nats-server (JetStream) given by --nats.
// Members write, the leader is killed with SIGKILL, they write more. Every
// node publishes each event it applies, yet the COOP stream holds each
// event once (JetStream de-duplicates on Nats-Msg-Id, the Raft index):
// one records_contributed event per acknowledged write, none missing, no
// id twice.
func TestMultiProcess_ExternalNATSHoldsEachEventOnce(t *testing.T) {
	ns := startNATSServer(t, true)
	bin := buildBinary(t)
	nodes := startProcCluster(t, bin, 3, "--nats", ns.url)
	writers := newMeterWriters(t, nodes[0].url(), 2, procURLs(nodes))
	writeSome := func(from, to int) {
		t.Helper()
		for seq := from; seq < to; seq++ {
			for _, w := range writers {
				if err := w.write(seq); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	writeSome(0, 10)
	leader := procLeader(t, nodes)
	leader.kill()
	writeSome(10, 20)
	leader.start(t, bin)
	leader.waitReady(t)
	writeSome(20, 25)
	waitSameState(t, nodes)

	want := totalAcked(writers)
	var ids, subjects []string
	waitFor(t, 15*time.Second, func() error {
		var err error
		if ids, subjects, err = streamEvents(ns.url); err != nil {
			return err
		}
		if got := strings.Count(strings.Join(subjects, "\n"), "coop.pool.records_contributed"); got < want {
			return fmt.Errorf("%d records_contributed events in the stream, want %d", got, want)
		}
		return nil
	})
	if got := strings.Count(strings.Join(subjects, "\n"), "coop.pool.records_contributed"); got != want {
		t.Errorf("%d records_contributed events in the stream for %d acknowledged writes", got, want)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if id == "" {
			t.Errorf("event %d (%s) has no Nats-Msg-Id", i, subjects[i])
		}
		if seen[id] {
			t.Errorf("event id %s is in the stream twice", id)
		}
		seen[id] = true
	}
	// The nodes did publish each event several times: the stream dropped
	// the copies.
	var published float64
	for _, p := range nodes {
		v, err := metricValue(p.url(), "coop_events_published_total")
		if err != nil {
			t.Fatal(err)
		}
		published += v
	}
	if published <= float64(len(ids)) {
		t.Errorf("the nodes published %v events for %d in the stream: expected every node to publish what it applied", published, len(ids))
	}
	t.Logf("%d events in the stream, %v published by the nodes, %d writes acknowledged", len(ids), published, want)
}

// A --nats that names no running server, or a server without JetStream,
// stops `coop serve` with exit code 1 and a sentence that says so; a URL
// that is not a NATS URL is a usage error (exit code 2).
func TestServeExternalNATSErrors(t *testing.T) {
	noJetStream := startNATSServer(t, false)
	tests := []struct {
		name     string
		url      string
		wantCode int
		wantText string
	}{
		{"nothing listens", "nats://" + freeAddr(t), exitError, "cannot reach the NATS server at nats://"},
		{"no JetStream", noJetStream.url, exitError, "start it with -js"},
		{"not a NATS URL", "http://127.0.0.1:4222", exitUsage, "--nats \"http://127.0.0.1:4222\": the URL should start with nats://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := []string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--raft", "127.0.0.1:0", "--nats", tt.url}
			code := run(ctx, args, env(nil), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantText) {
				t.Fatalf("exit %d, want %d with %q; stderr:\n%s", code, tt.wantCode, tt.wantText, stderr.String())
			}
		})
	}
}
