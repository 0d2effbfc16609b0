package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coop/raftdata"
)

// TestCluster3_JoinAndStatus starts three nodes in this process, the second
// and third joining through the first, and reads the cluster from a
// follower.
func TestCluster3_JoinAndStatus(t *testing.T) {
	nodes := startCluster3(t)

	var follower *Node
	for _, n := range nodes {
		if !n.Store().IsLeader() {
			follower = n
			break
		}
	}
	token := operatorToken(t, follower.URL())
	waitFor(t, 10*time.Second, func() error {
		status, body, err := tryGetAuth(follower.URL()+"/api/v1/cluster", token)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("cluster: %d %s", status, body)
		}
		var st raftdata.ClusterStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return err
		}
		leaders := 0
		for _, n := range st.Nodes {
			if n.State == "leader" {
				leaders++
			}
			if n.State == "unreachable" {
				return fmt.Errorf("%s unreachable: %s", n.ID, n.Error)
			}
		}
		if len(st.Nodes) != 3 || leaders != 1 || st.Leader == "" {
			return fmt.Errorf("want 3 nodes and one leader, got %s", body)
		}
		return nil
	})

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"status", "--http", follower.URL()}, env(map[string]string{"COOP_TOKEN": token}), &out, &errOut); code != 0 {
		t.Fatalf("coop status: exit %d: %s", code, errOut.String())
	}
	if rows := strings.Count(out.String(), " 127.0.0.1:"); rows != 3 {
		t.Fatalf("coop status lists %d nodes, want 3:\n%s", rows, out.String())
	}
	t.Log("\n" + out.String())
}
