package raftdata

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
)

// A backup sent in full is recorded through the log: every node reads
// the same last backup.
func TestBackupRecord_EveryNodeReadsIt(t *testing.T) {
	c := startCluster(t, 2)
	leader := c.waitLeader()
	if _, ok, err := leader.LastBackup(); ok || err != nil {
		t.Fatalf("a new cluster has a last backup: %v %v", ok, err)
	}
	if err := leader.RecordBackup(context.Background(), 42, "operator"); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		if err := n.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		rec, ok, err := n.LastBackup()
		if !ok || err != nil || rec.Index != 42 || rec.At.IsZero() {
			t.Fatalf("last backup on a node: %+v %v %v", rec, ok, err)
		}
	}
	if err := leader.RecordBackup(context.Background(), 0, "operator"); ErrorCode(err) != CodeInvalid {
		t.Fatalf("a record without an index: %v", err)
	}
}

// testdata/backup_recorded_v1.json is the payload as its first version
// wrote it to the log: every later version must read it.
func TestBackupRecord_PayloadV1Golden(t *testing.T) {
	data, err := os.ReadFile("testdata/backup_recorded_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p BackupRecorded
	if err := dec.Decode(&p); err != nil || p.Index != 4217 || p.SealedTo != "custodians" {
		t.Fatalf("%+v %v", p, err)
	}
}
