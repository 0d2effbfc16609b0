package members

import (
	"fmt"
	"testing"
	"time"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// cluster3 starts three real nodes, each with its own members service,
// sharing one fake clock.
func cluster3(t *testing.T) []*env {
	t.Helper()
	nodes := raftdatatest.Cluster(t, 3, register)
	c := newClock()
	envs := make([]*env, len(nodes))
	for i, n := range nodes {
		envs[i] = attach(n, c)
	}
	return envs
}

func TestCluster3_LoginLimitHoldsAcrossNodes(t *testing.T) {
	t.Parallel()
	envs := cluster3(t)
	ctx := ctxT(t)
	// Signed up through a follower; logged in through the others.
	envs[1].signUp(t, "Ann", "ann@example.org")
	for i := range DefaultPerPair {
		e := envs[i%3]
		_, err := e.svc.Login(ctx, LoginInput{Email: "ann@example.org", Password: "wrong password here", Address: "198.51.100.7"})
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	// Ten failures from one address spread over three nodes add up:
	// every node refuses that address for this account.
	for _, e := range envs {
		_, err := e.svc.Login(ctx, LoginInput{Email: "ann@example.org", Password: goodPassword, Address: "198.51.100.7"})
		wantCode(t, err, raftdata.CodeTooMany)
	}
	envs[0].clock.Advance(DefaultFailureWindow)
	s := envs[2].login(t, "ann@example.org", goodPassword, "198.51.100.7")
	// A session opened on one node authenticates on the others at once.
	for _, e := range envs {
		if _, err := e.svc.Authenticate(ctx, s.Token); err != nil {
			t.Fatalf("node %s: %v", e.node.NodeID(), err)
		}
	}
	if err := envs[1].svc.Logout(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	raftdatatest.WaitFor(t, 10*time.Second, func() error {
		for _, e := range envs {
			if _, err := e.svc.Authenticate(ctx, s.Token); raftdata.ErrorCode(err) != raftdata.CodeUnauthorized {
				return fmt.Errorf("node %s still accepts the session (%v)", e.node.NodeID(), err)
			}
		}
		return nil
	})
}

func TestCluster3_RetentionPurgesEveryNode(t *testing.T) {
	t.Parallel()
	envs := cluster3(t)
	ctx := ctxT(t)
	leader := envs[0]
	const email, name = "zoe.marker@example.org", "Zoe Markerbloom"
	zoe := envs[2].signUp(t, name, email)
	envs[1].login(t, email, goodPassword, "192.0.2.5")
	if err := envs[1].svc.DeleteAccount(ctx, zoe, zoe.ID); err != nil {
		t.Fatal(err)
	}
	deleted := leader.clock.Now()

	nodes := make([]*raftdatatest.Node, len(envs))
	for i, e := range envs {
		nodes[i] = e.node
	}
	// runAt applies one retention run on the leader, then waits until every
	// node holds the same state.
	runAt := func(at time.Time) {
		t.Helper()
		leader.clock.Set(at)
		if _, err := leader.svc.RunRetention(ctx); err != nil {
			t.Fatal(err)
		}
		raftdatatest.WaitConverged(t, nodes)
	}

	runAt(deleted.AddDate(0, 3, 0).Add(-time.Second))
	for _, e := range envs {
		if n, _, _ := identity(t, e.node.Store, zoe.ID); n.String != name {
			t.Fatalf("node %s purged the identity early", e.node.NodeID())
		}
	}
	runAt(deleted.AddDate(0, 3, 0).Add(time.Second))
	for _, e := range envs {
		if n, m, found := identity(t, e.node.Store, zoe.ID); !found || n.Valid || m.Valid {
			t.Fatalf("node %s kept the identity: %v %v %v", e.node.NodeID(), found, n, m)
		}
		if c := count(t, e.node.Store, `SELECT COUNT(*) FROM members_charter_signatures WHERE account_id = ?`, zoe.ID); c != 1 {
			t.Fatalf("node %s: charter signature purged early", e.node.NodeID())
		}
	}
	runAt(deleted.AddDate(1, 0, 0).Add(time.Second))
	for _, e := range envs {
		if _, _, found := identity(t, e.node.Store, zoe.ID); found {
			t.Fatalf("node %s kept the account", e.node.NodeID())
		}
		if c := count(t, e.node.Store, `SELECT COUNT(*) FROM members_charter_signatures WHERE account_id = ?`, zoe.ID) +
			count(t, e.node.Store, `SELECT COUNT(*) FROM members_journal WHERE account_id = ?`, zoe.ID); c != 0 {
			t.Fatalf("node %s kept %d rows", e.node.NodeID(), c)
		}
	}
	// And no file of any node holds the identity once each has compacted.
	raftdatatest.WaitFor(t, 30*time.Second, func() error {
		for _, marker := range []string{email, name} {
			if files := raftdatatest.FilesHolding(t, nodes, marker); len(files) > 0 {
				return fmt.Errorf("%q still in %v", marker, files)
			}
		}
		return nil
	})
}
