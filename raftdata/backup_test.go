package raftdata

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sealForTest(t *testing.T, key BackupKey, plain []byte, index uint64) []byte {
	t.Helper()
	fk, err := key.NewFileKey()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	bw, err := startBackupWriter(&out, fk, operatorHeader(fk, index, int64(len(plain))))
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes, so chunk boundaries fall inside writes.
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 7777)
		if _, err := bw.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func newTestKey(t *testing.T) BackupKey {
	t.Helper()
	k, err := NewBackupKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBackupFileRoundTrip(t *testing.T) {
	key := newTestKey(t)
	for _, size := range []int{0, 1, backupChunkSize - 1, backupChunkSize, backupChunkSize + 1, 3*backupChunkSize + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			plain := make([]byte, size)
			rand.Read(plain)
			sealed := sealForTest(t, key, plain, 42)
			if int64(len(sealed)) != EncryptedBackupSize(int64(size)) {
				t.Fatalf("sealed %d bytes, EncryptedBackupSize says %d", len(sealed), EncryptedBackupSize(int64(size)))
			}
			br, err := OpenBackup(bytes.NewReader(sealed), key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(br)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) || br.Index != 42 || br.Size != int64(size) {
				t.Fatalf("read back %d bytes at index %d (size %d), want %d bytes at 42", len(got), br.Index, br.Size, size)
			}
		})
	}
}

// TestBackupFileRefusesDamage: every way a file can be wrong is named, and
// not one byte of a damaged chunk comes out.
func TestBackupFileRefusesDamage(t *testing.T) {
	key := newTestKey(t)
	plain := make([]byte, 3*backupChunkSize+100)
	rand.Read(plain)
	sealed := sealForTest(t, key, plain, 7)
	chunk := backupChunkSize + 16
	flip := func(at int) []byte {
		b := bytes.Clone(sealed)
		b[at] ^= 0x01
		return b
	}
	swapped := bytes.Clone(sealed)
	copy(swapped[backupHeaderSize:], sealed[backupHeaderSize+chunk:backupHeaderSize+2*chunk])
	copy(swapped[backupHeaderSize+chunk:], sealed[backupHeaderSize:backupHeaderSize+chunk])

	cases := []struct {
		name string
		file []byte
		key  BackupKey
		want string
	}{
		{"wrong key", sealed, newTestKey(t), ErrBackupKey.Error()},
		{"not a backup", []byte("SQLite format 3\x00 and more bytes than a header would need to hold, really quite a lot of them"), key, ErrNotBackup.Error()},
		{"empty file", nil, key, ErrNotBackup.Error()},
		{"header cut short", sealed[:40], key, ErrBackupTruncated.Error()},
		{"salt changed", flip(20), key, ErrBackupKey.Error()},
		{"index changed", flip(16 + backupSaltSize + 7), key, ErrBackupKey.Error()},
		{"byte of chunk 1 changed", flip(backupHeaderSize + chunk + 100), key, "chunk 1 fails its integrity check"},
		{"byte of the last chunk changed", flip(len(sealed) - 1), key, "chunk 3 fails its integrity check"},
		{"chunks swapped", swapped, key, "chunk 0 fails its integrity check"},
		{"cut at a chunk boundary", sealed[:backupHeaderSize+2*chunk], key, ErrBackupTruncated.Error()},
		{"cut inside a chunk", sealed[:backupHeaderSize+chunk+500], key, "damaged or truncated: chunk 1"},
		{"bytes appended", append(bytes.Clone(sealed), 0), key, "chunk 3 fails its integrity check"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			br, err := OpenBackup(bytes.NewReader(tc.file), tc.key)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(br)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			// What came out before the failure is whole chunks, intact.
			if len(got)%backupChunkSize != 0 || !bytes.Equal(got, plain[:len(got)]) {
				t.Fatalf("%d bytes came out, not whole intact chunks", len(got))
			}
		})
	}
}

func TestParseBackupKey(t *testing.T) {
	key := newTestKey(t)
	cases := []struct {
		name, text string
		ok         bool
	}{
		{"hex", key.String(), true},
		{"hex with newline", key.String() + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(key[:]), true},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(key[:]), true},
		{"too short", key.String()[:62], false},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"words", "correct horse battery staple", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBackupKey(tc.text)
			if tc.ok && (err != nil || got != key) {
				t.Fatalf("got %v, %v; want the key", got, err)
			}
			if !tc.ok && err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestBackupRestoreStartsANewCluster: a backup taken while a node serves
// restores into a new one-node cluster with the same data at the backup's
// index; it takes writes, a node that joins it receives the state, and the
// restored directory refuses to be started as a joiner.
func TestBackupRestoreStartsANewCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src := startCluster(t, 1).waitLeader()
	for i := range 50 {
		if err := add(ctx, src.Store, fmt.Sprintf("c%d", i%7), i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Apply(ctx, "test.put", map[string]string{"Key": "k", "Value": "v"}); err != nil {
		t.Fatal(err)
	}
	b, err := src.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	wantHash, err := src.DataHash()
	if err != nil {
		t.Fatal(err)
	}
	if b.Index != src.AppliedIndex() {
		t.Fatalf("backup at index %d, the idle source is at %d", b.Index, src.AppliedIndex())
	}
	key := newTestKey(t)
	fk, _ := key.NewFileKey()
	var file bytes.Buffer
	if err := b.WriteEncrypted(&file, fk); err != nil {
		t.Fatal(err)
	}
	if int64(file.Len()) != b.EncryptedSize() {
		t.Fatalf("wrote %d bytes, announced %d", file.Len(), b.EncryptedSize())
	}

	restore := func(dir string) {
		t.Helper()
		br, err := OpenBackup(bytes.NewReader(file.Bytes()), key)
		if err != nil {
			t.Fatal(err)
		}
		index, err := PrepareRestore(dir, br)
		if err != nil {
			t.Fatal(err)
		}
		if index != b.Index {
			t.Fatalf("restored index %d, backup index %d", index, b.Index)
		}
	}
	base := t.TempDir()
	joinerDir := filepath.Join(base, "as-joiner")
	restore(joinerDir)
	_, err = Open(Config{NodeID: "j", Dir: joinerDir, RaftBind: "127.0.0.1:0", HTTPURL: "http://127.0.0.1:1", ClusterKey: testClusterKey}, testRegistry())
	if err == nil || !strings.Contains(err.Error(), "without --join") {
		t.Fatalf("a restored directory opened as a joiner: %v", err)
	}

	dir := filepath.Join(base, "r1")
	restore(dir)
	// A restored directory is a new cluster: no Raft state yet (coop
	// gives it a new cluster key).
	if has, err := HasRaftState(dir); has || err != nil {
		t.Fatalf("a restored directory has Raft state: %v %v", has, err)
	}
	r1 := startNode(t, "r1", dir, "", true)
	defer r1.crash()
	waitFor(t, 10*time.Second, func() error {
		if !r1.IsLeader() {
			return errors.New("the restored node does not lead")
		}
		return nil
	})
	if got, _ := r1.DataHash(); got != wantHash {
		t.Fatalf("restored data hash %.12s, source %.12s", got, wantHash)
	}
	if counter(t, r1.Store, "c3") != counter(t, src.Store, "c3") {
		t.Fatal("counter differs")
	}
	if err := add(ctx, r1.Store, "after", 1); err != nil {
		t.Fatalf("write on the restored cluster: %v", err)
	}
	if r1.AppliedIndex() <= b.Index {
		t.Fatalf("the new log did not go on after the backup's index %d: at %d", b.Index, r1.AppliedIndex())
	}

	r2 := startNode(t, "r2", filepath.Join(base, "r2"), "", false)
	defer r2.crash()
	if err := r2.JoinCluster(ctx, r1.url); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() error {
		h1, _ := r1.DataHash()
		h2, _ := r2.DataHash()
		if h1 != h2 || counter(t, r2.Store, "after") != 1 {
			return fmt.Errorf("joiner at index %d, hash %.12s; leader %.12s", r2.AppliedIndex(), h2, h1)
		}
		return nil
	})
	// Restarted, the restored node stays the same cluster (no second
	// adoption), and the plaintext copy a crash left mid-backup is gone.
	r1.stop()
	if has, err := HasRaftState(dir); !has || err != nil {
		t.Fatalf("a node that ran has no Raft state: %v %v", has, err)
	}
	stale := filepath.Join(dir, "backup-123.db")
	if err := os.WriteFile(stale, []byte("member data"), 0o600); err != nil {
		t.Fatal(err)
	}
	r1 = startNode(t, "r1", dir, r1.raft, true)
	defer r1.crash()
	if counter(t, r1.Store, "after") != 1 {
		t.Fatal("the restarted restored node lost a write")
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a stale backup copy survived the restart: %v", err)
	}
}
