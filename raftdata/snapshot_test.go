package raftdata

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func leaderOf(t *testing.T, n *testNode) {
	t.Helper()
	waitFor(t, 10*time.Second, func() error {
		if !n.IsLeader() {
			return errNoLeader
		}
		return nil
	})
}

func snapshotStateFile(t *testing.T, dir string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "snapshots", "*", "state.bin"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("want one snapshot in %s, found %v (%v)", dir, matches, err)
	}
	return matches[0]
}

func TestDamagedSnapshotStopsTheNodeNamingIt(t *testing.T) {
	cases := []struct {
		name   string
		damage func(data []byte) []byte
		want   string
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)/2] }, "snapshot"},
		{"flipped byte", func(d []byte) []byte { d[len(d)/2] ^= 0xff; return d }, "snapshot"},
		{"empty", func(d []byte) []byte { return nil }, "snapshot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			n := startNode(t, "n1", dir, "", true)
			leaderOf(t, n)
			for i := 0; i < 20; i++ {
				if err := add(context.Background(), n.Store, "s", 1); err != nil {
					t.Fatal(err)
				}
			}
			if err := n.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
			n.stop()
			path := snapshotStateFile(t, dir)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Open(Config{NodeID: "n1", Dir: dir, RaftBind: "127.0.0.1:0", HTTPURL: "http://127.0.0.1:1", ClusterKey: testClusterKey}, testRegistry())
			if err == nil {
				t.Fatal("a damaged snapshot was accepted")
			}
			if !strings.Contains(err.Error(), filepath.Dir(path)) {
				t.Fatalf("error does not name the snapshot: %v", err)
			}
		})
	}
}

func TestSnapshotFormatRejectsDamage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.WriteFile(db, bytes.Repeat([]byte("x"), 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, db, 42); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	idx, err := readSnapshot(bytes.NewReader(good), filepath.Join(dir, "out"))
	if err != nil || idx != 42 {
		t.Fatalf("good snapshot: index %d, err %v", idx, err)
	}
	for cut := 0; cut < len(good); cut += 397 {
		if _, err := readSnapshot(bytes.NewReader(good[:cut]), filepath.Join(dir, "out")); err == nil {
			t.Fatalf("snapshot cut at %d of %d bytes was accepted", cut, len(good))
		}
	}
	bad := append([]byte(nil), good...)
	bad[headerSize+10] ^= 1
	if _, err := readSnapshot(bytes.NewReader(bad), filepath.Join(dir, "out")); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("flipped bit: err = %v, want a checksum error", err)
	}
}

// The log store was chosen so that erasure reaches the log: after a delete
// and a compaction, the bytes are in no file of the node. The same marker is
// found before the compaction, which shows the scan can fail.
func TestDeletedValueLeavesNoByteAfterCompaction(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "n1", dir, "", true)
	defer n.stop()
	leaderOf(t, n)
	ctx := context.Background()
	marker := "ERASE-ME-" + NewID()
	if _, err := n.Apply(ctx, "test.put", map[string]string{"Key": "k", "Value": marker}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if err := add(ctx, n.Store, "noise", 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.Apply(ctx, "test.delete", map[string]string{"Key": "k"}); err != nil {
		t.Fatal(err)
	}
	if found := filesHolding(t, dir, marker); len(found) == 0 {
		t.Fatal("the marker is nowhere before compaction: the scan cannot see it")
	} else {
		t.Logf("before compaction the marker is in %v", found)
	}
	if err := n.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if found := filesHolding(t, dir, marker); len(found) > 0 {
		t.Fatalf("after compaction the marker is still in %v", found)
	}
	// The node still works after its log was emptied.
	if err := add(ctx, n.Store, "noise", 1); err != nil {
		t.Fatal(err)
	}
}

func filesHolding(t *testing.T, dir, marker string) []string {
	t.Helper()
	var found []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if bytes.Contains(data, []byte(marker)) {
			rel, _ := filepath.Rel(dir, path)
			found = append(found, rel)
		}
		return nil
	})
	return found
}

// An erasing command makes every node compact by itself: the marker leaves
// every file of every node, including one that was down during the erasure
// and catches up afterwards.
func TestCluster3_ErasureCompactsEveryNode(t *testing.T) {
	c := startCluster(t, 3)
	ctx := context.Background()
	leader := c.waitLeader()
	marker := "ERASE-ME-" + NewID()
	if _, err := leader.Apply(ctx, "test.put", map[string]string{"Key": "k", "Value": marker}); err != nil {
		t.Fatal(err)
	}
	c.waitConverged()
	away := c.followers()[0]
	away.stop()
	if _, err := leader.Apply(ctx, "test.erase", map[string]string{"Key": "k"}); err != nil {
		t.Fatal(err)
	}
	if found := filesHolding(t, away.dir, marker); len(found) == 0 {
		t.Fatal("the stopped node should still hold the marker")
	}
	c.restart(away)
	c.waitConverged()
	waitFor(t, 60*time.Second, func() error {
		for _, n := range c.nodes {
			if found := filesHolding(t, n.dir, marker); len(found) > 0 {
				return fmt.Errorf("node %s still holds the marker in %v", n.id, found)
			}
		}
		return nil
	})
}

// A package that keeps derived state in memory is told when a snapshot
// replaces the tables under it, and only then: a snapshot older than the
// local state is skipped, and says nothing.
func TestRestoreTellsTheRegistry(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) (*stateDB, *int) {
		restores := new(int)
		reg := testRegistry()
		reg.OnRestore(func() { *restores++ })
		db, err := openStateDB(filepath.Join(dir, name), reg, slog.New(slog.DiscardHandler), 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.close() })
		return db, restores
	}
	apply := func(db *stateDB, from, to uint64) {
		for i := from; i <= to; i++ {
			cmd, err := NewCommand("test.add", map[string]any{"name": "a", "n": 1}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := encodeCommand(cmd)
			db.applyBatch([]*raft.Log{{Index: i, Type: raft.LogCommand, Data: data}})
		}
	}
	ahead, aheadRestores := open("ahead.db")
	apply(ahead, 1, 10)
	behind, behindRestores := open("behind.db")
	apply(behind, 1, 3)

	fs, err := ahead.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Release()
	var snap bytes.Buffer
	if err := writeSnapshot(&snap, fs.(*fsmSnapshot).path, ahead.appliedIndex()); err != nil {
		t.Fatal(err)
	}
	if err := ahead.restore(bytes.NewReader(snap.Bytes())); err != nil || *aheadRestores != 0 {
		t.Fatalf("restoring its own index: err %v, %d restore calls, want none", err, *aheadRestores)
	}
	if err := behind.restore(bytes.NewReader(snap.Bytes())); err != nil || *behindRestores != 1 {
		t.Fatalf("restoring a newer snapshot: err %v, %d restore calls, want 1", err, *behindRestores)
	}
	if behind.appliedIndex() != 10 {
		t.Fatalf("applied index after restore: %d", behind.appliedIndex())
	}
}

// Command ids are pruned by command time; every node must prune the same
// ones, whether it applied the log one entry at a time (a follower keeping
// up) or in large batches (a node catching up).
func TestPruningIgnoresHowTheLogWasBatched(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var logs []*raft.Log
	for i := uint64(1); i <= 3*pruneEvery+100; i++ {
		// A command every two seconds: the log spans about 3.5 hours,
		// far more than the 15 minutes ids are kept.
		cmd, err := NewCommand("test.add", map[string]any{"name": "a", "n": 1}, start.Add(time.Duration(i)*2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := encodeCommand(cmd)
		logs = append(logs, &raft.Log{Index: i, Type: raft.LogCommand, Data: data})
	}
	ids := func(name string, batch int) []string {
		db, err := openStateDB(filepath.Join(dir, name), testRegistry(), slog.New(slog.DiscardHandler), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer db.close()
		for i := 0; i < len(logs); i += batch {
			db.applyBatch(logs[i:min(i+batch, len(logs))])
		}
		rows, err := db.writer.Query(`SELECT id FROM raftdata_commands ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	one := ids("one.db", 1)
	if len(one) == 0 || len(one) >= len(logs) {
		t.Fatalf("%d ids kept of %d: pruning did not run as expected", len(one), len(logs))
	}
	for _, batch := range []int{7, 256, 700} {
		if got := ids(fmt.Sprintf("batch%d.db", batch), batch); !slices.Equal(got, one) {
			t.Fatalf("batches of %d keep %d ids, one at a time keeps %d", batch, len(got), len(one))
		}
	}
}
