package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"coop/raftdata"
)

func TestNode_HealthReadyMetricsCluster(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))

	status, body := get(t, n.URL()+"/healthz")
	if status != http.StatusOK || body != "ok" {
		t.Fatalf("healthz: %d %q", status, body)
	}
	waitReady(t, n)

	status, body = get(t, n.URL()+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("metrics: %d", status)
	}
	for _, want := range []string{"coop_raft_term ", `coop_raft_state{state="leader"} 1`, "coop_raft_applied_index ", "coop_http_requests_total{"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}

	status, body, err := tryGetAuth(n.URL()+"/api/v1/cluster", operatorToken(t, n.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("cluster: %d %s", status, body)
	}
	var st raftdata.ClusterStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Leader != "n1" || len(st.Nodes) != 1 || st.Nodes[0].State != "leader" {
		t.Fatalf("cluster: %+v", st)
	}
}

func TestNode_SecondProcessOnSameDataDirIsRefused(t *testing.T) {
	cfg := testConfig(t, "n1")
	startNode(t, cfg)

	second := NewNode(cfg, testLogs())
	err := second.Start(context.Background())
	if err == nil {
		second.Close()
		t.Fatal("a second node started on the same data directory")
	}
	if !strings.Contains(err.Error(), "another coop process") || !strings.Contains(err.Error(), cfg.Data) {
		t.Fatalf("error = %q, want the sentence naming the data directory", err)
	}
}

func TestNode_RestartKeepsIDAndState(t *testing.T) {
	cfg := testConfig(t, "")
	n := startNode(t, cfg)
	waitReady(t, n)
	id := n.ID()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	again := startNode(t, cfg)
	if again.ID() != id {
		t.Fatalf("id changed across restart: %q then %q", id, again.ID())
	}
	waitReady(t, again)
}

func TestNode_OtherNodeIDOnExistingDataIsRefused(t *testing.T) {
	cfg := testConfig(t, "n1")
	n := startNode(t, cfg)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.NodeID = "n2"
	err := NewNode(cfg, testLogs()).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `belongs to node "n1"`) {
		t.Fatalf("error = %v, want a refusal naming n1", err)
	}
}

func TestNode_JoinNonCoopAddressFailsFast(t *testing.T) {
	notCoop := httptest.NewServer(http.NotFoundHandler())
	defer notCoop.Close()

	cfg := testConfig(t, "n2")
	cfg.Join = notCoop.URL
	start := time.Now()
	err := NewNode(cfg, testLogs()).Start(context.Background())
	if err == nil {
		t.Fatal("joined a server that is not coop")
	}
	if !strings.Contains(err.Error(), "did not answer like a coop node") {
		t.Fatalf("error = %q", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %v to give up on a non-coop address", took)
	}
	// The failed start released the data directory.
	startNode(t, Config{Data: cfg.Data, HTTP: cfg.HTTP, Raft: cfg.Raft})
}

func TestNode_PublishesEventsOnceEach(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	// No domain command emits events yet: hand the publisher what the FSM
	// would. The repeated id is what another node (or a replay) publishes.
	n.events.publish([]raftdata.Event{
		{Subject: "coop.test.happened", ID: "7-0", Data: []byte(`{"n":1}`)},
		{Subject: "coop.test.happened", ID: "7-0", Data: []byte(`{"n":1}`)},
		{Subject: "coop.test.happened", ID: "7-1", Data: []byte(`{"n":2}`)},
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(n.NATS())
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, streamName)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() error {
		if published, _ := n.events.EventCounts(); published != 3 {
			return fmt.Errorf("%d events handed to NATS, want 3", published)
		}
		return nil
	})
	select {
	case <-n.events.js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("NATS did not acknowledge the events")
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2 (one per id)", info.State.Msgs)
	}
	for seq, wantID := range map[uint64]string{1: "7-0", 2: "7-1"} {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get(jetstream.MsgIDHeader); got != wantID || msg.Subject != "coop.test.happened" {
			t.Errorf("message %d: subject %q, Nats-Msg-Id %q; want %q", seq, msg.Subject, got, wantID)
		}
	}
}

// TestNode_NATSListenAndExternalNATS starts one node whose embedded NATS
// listens on loopback, and a second node (its own cluster) that uses it as
// an external NATS.
func TestNode_NATSListenAndExternalNATS(t *testing.T) {
	cfg := testConfig(t, "n1")
	cfg.NATSListen = "127.0.0.1:0"
	first := startNode(t, cfg)
	url := first.ns.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("embedded NATS listens at %q", url)
	}

	cfg = testConfig(t, "other")
	cfg.NATS = url
	second := startNode(t, cfg)
	if second.ns != nil || second.NATS().ConnectedUrl() != url {
		t.Fatalf("second node: embedded %v, connected to %q", second.ns != nil, second.NATS().ConnectedUrl())
	}
	waitReady(t, second)
}
