package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backupCLI runs `coop backup` or `coop restore` in-process.
func backupCLI(t *testing.T, token string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, env(map[string]string{"COOP_TOKEN": token}), &out, &errOut)
	return code, out.String(), errOut.String()
}

var backupIndexRE = regexp.MustCompile(`backup of index (\d+)`)

// takeTestBackup runs coop backup against url and returns the index the
// backup reports.
func takeTestBackup(t *testing.T, url, token, out, keyFile string) uint64 {
	t.Helper()
	code, stdout, stderr := backupCLI(t, token, "backup", "--http", url, "--out", out, "--key-file", keyFile)
	if code != 0 {
		t.Fatalf("coop backup: exit %d: %s", code, stderr)
	}
	m := backupIndexRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("coop backup printed no index: %q", stdout)
	}
	if !strings.Contains(stderr, "coop backup: received") {
		t.Fatalf("no progress on stderr: %q", stderr)
	}
	idx, _ := strconv.ParseUint(m[1], 10, 64)
	return idx
}

func restoreTestBackup(t *testing.T, in, keyFile, dir string) {
	t.Helper()
	code, _, stderr := backupCLI(t, "", "restore", "--in", in, "--key-file", keyFile, "--data", dir)
	if code != 0 {
		t.Fatalf("coop restore: exit %d: %s", code, stderr)
	}
}

// seedCoop gives the cluster a pool, a member who consented and
// contributed, a researcher and an open proposal; it returns the member's
// token.
func seedCoop(t *testing.T, url, op string) string {
	t.Helper()
	mustCall := apiMust(t, url)
	for _, pool := range []string{"mobility", "trips"} {
		mustCall(201, "POST", "/api/v1/pools", op, `{"id":"`+pool+`","title":"Mobility",
			"fields":[{"name":"km","type":"number","min":0,"max":100000},{"name":"mode","type":"category","values":["bike","car","bus"]}],
			"documentation":{"provenance":"members' trip logs","collection_method":"self-reported","update_frequency":"weekly","format":"CSV","pseudonymisation":"member keys"}}`)
	}
	mustCall(201, "POST", "/api/v1/signup", "", `{"name":"Ann","email":"ann@coop.test","password":"plum orchard lantern 42","accept_charter":true}`)
	ann := loginAs(t, url, "ann@coop.test", "plum orchard lantern 42")
	for _, pool := range []string{"mobility", "trips"} {
		mustCall(200, "PUT", "/api/v1/pools/"+pool+"/consent", ann, `{"granted":true}`)
	}
	mustCall(201, "POST", "/api/v1/pools/mobility/records", ann, `[{"km":12,"mode":"bike"},{"km":40,"mode":"bus"}]`)
	var res struct{ ID string }
	jsonDecode(t, mustCall(201, "POST", "/api/v1/signup", "", `{"name":"Rex","email":"rex@coop.test","password":"plum orchard lantern 42","accept_charter":true}`), &res)
	mustCall(200, "POST", "/api/v1/members/"+res.ID+"/roles", op, `{"role":"researcher"}`)
	rex := loginAs(t, url, "rex@coop.test", "plum orchard lantern 42")
	mustCall(201, "POST", "/api/v1/proposals", rex, `{"title":"Bike use","purpose":"How far do members ride?","kind":"knowledge","pool":"mobility",
		"query":{"aggregate":"count","group_by":["mode"]},"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":0.5},"voting_minutes":10000,"grant_days":30}`)
	return ann
}

// tripKms lists the km of the records of pool trips, sorted.
func tripKms(t *testing.T, n *Node) []int {
	t.Helper()
	rows, err := n.Store().DB().Query(`SELECT data FROM pooling_records_trips`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var kms []int
	for rows.Next() {
		var data string
		var rec struct{ Km float64 }
		if err := rows.Scan(&data); err != nil {
			t.Fatal(err)
		}
		jsonDecode(t, data, &rec)
		kms = append(kms, int(rec.Km))
	}
	sort.Ints(kms)
	return kms
}

func dataHash(t *testing.T, n *Node) string {
	t.Helper()
	h, err := n.Store().DataHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCluster3_BackupAndRestore: a backup of a 3-node cluster, taken
// through a follower, restores into a new cluster with the same data
// (hash of every domain table) at the backup's index; that cluster takes
// writes and a second node joins it. A backup taken while a client writes
// holds every write acknowledged before it began, and a prefix of the
// writes (no gap). Wrong key, damaged or truncated files, a non-empty
// target and a non-operator are refused with a sentence.
func TestCluster3_BackupAndRestore(t *testing.T) {
	nodes := startCluster3(t)
	op := operatorToken(t, nodes[0].URL())
	ann := seedCoop(t, nodes[0].URL(), op)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "backup.key")
	if code, _, stderr := backupCLI(t, "", "backup", "--new-key", keyFile); code != 0 {
		t.Fatalf("--new-key: exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", st, err)
	}

	// Quiet cluster: the restored state is the source's, hash for hash.
	follower := nodes[1]
	if err := follower.Store().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := dataHash(t, follower)
	quiet := filepath.Join(dir, "quiet.coopbak")
	index := takeTestBackup(t, follower.URL(), op, quiet, keyFile)
	if after := dataHash(t, follower); after != before {
		t.Fatal("the source changed during the quiet backup; the comparison below would mean nothing")
	}
	restored := filepath.Join(dir, "restored")
	restoreTestBackup(t, quiet, keyFile, restored)
	cfg := testConfig(t, "r1")
	cfg.Data = restored
	r1 := startNode(t, cfg)
	waitReady(t, r1)
	if got := dataHash(t, r1); got != before {
		t.Fatalf("restored data hash %.12s, source %.12s at index %d", got, before, index)
	}
	if r1.Store().AppliedIndex() < index {
		t.Fatalf("restored node at index %d, backup at %d", r1.Store().AppliedIndex(), index)
	}
	// The old cluster's accounts and tokens hold; the bootstrap did not run again.
	if status, body := apiCall(t, "GET", r1.URL()+"/api/v1/cluster", op, "application/json", ""); status != 200 || !strings.Contains(body, `"r1"`) {
		t.Fatalf("cluster on the restored node: %d %s", status, body)
	}
	if status, body := apiCall(t, "POST", r1.URL()+"/api/v1/pools/mobility/records", ann, "application/json", `[{"km":77,"mode":"car"}]`); status != 201 {
		t.Fatalf("write on the restored cluster: %d %s", status, body)
	}
	cfg2 := testConfig(t, "r2")
	cfg2.Join = r1.URL()
	r2 := startNode(t, cfg2)
	waitReady(t, r2)
	waitFor(t, 10*time.Second, func() error {
		if h1, h2 := dataHash(t, r1), dataHash(t, r2); h1 != h2 {
			return fmt.Errorf("joiner hash %.12s, restored leader %.12s", h2, h1)
		}
		return nil
	})

	t.Run("under writes", func(t *testing.T) {
		var acked atomic.Int64 // records 1..acked are acknowledged
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Not apiCall: t.Fatal must not run outside the test's goroutine.
				req, _ := http.NewRequest("POST", nodes[2].URL()+"/api/v1/pools/trips/records", strings.NewReader(fmt.Sprintf(`[{"km":%d,"mode":"bike"}]`, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+ann)
				resp, err := testClient.Do(req)
				if err != nil {
					t.Errorf("write %d: %v", i, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					t.Errorf("write %d: HTTP %d", i, resp.StatusCode)
					return
				}
				acked.Store(int64(i))
			}
		}()
		waitFor(t, 10*time.Second, func() error {
			if acked.Load() < 10 {
				return fmt.Errorf("only %d writes so far", acked.Load())
			}
			return nil
		})
		ackedBefore := acked.Load()
		busy := filepath.Join(dir, "busy.coopbak")
		takeTestBackup(t, nodes[0].URL(), op, busy, keyFile)
		afterBackup := acked.Load()
		waitFor(t, 10*time.Second, func() error { // writes go on past the backup
			if acked.Load() < afterBackup+3 {
				return fmt.Errorf("writes stalled at %d", acked.Load())
			}
			return nil
		})
		close(stop)
		wg.Wait()

		into := filepath.Join(dir, "restored-busy")
		restoreTestBackup(t, busy, keyFile, into)
		cfg := testConfig(t, "b1")
		cfg.Data = into
		b1 := startNode(t, cfg)
		waitReady(t, b1)
		kms := tripKms(t, b1)
		for i, km := range kms {
			if km != i+1 {
				t.Fatalf("restored writes are not a prefix: %v", kms)
			}
		}
		if int64(len(kms)) < ackedBefore {
			t.Fatalf("restored %d writes, %d were acknowledged before the backup began", len(kms), ackedBefore)
		}
		t.Logf("writes acknowledged before the backup: %d, in it: %d, after it: %d", ackedBefore, len(kms), acked.Load())
	})

	t.Run("refusals", func(t *testing.T) {
		good, err := os.ReadFile(quiet)
		if err != nil {
			t.Fatal(err)
		}
		write := func(name string, data []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		tampered := bytes.Clone(good)
		tampered[len(tampered)/2] ^= 0x40
		otherKey := filepath.Join(dir, "other.key")
		if code, _, stderr := backupCLI(t, "", "backup", "--new-key", otherKey); code != 0 {
			t.Fatal(stderr)
		}
		badKey := write("bad.key", []byte("not a key\n"))
		full := filepath.Join(dir, "full")
		os.Mkdir(full, 0o700)
		write("full/node-id", []byte("n9\n"))

		restores := []struct {
			name, in, key, data, want string
		}{
			{"wrong key", quiet, otherKey, "", "encrypted under another key"},
			{"unreadable key", quiet, badKey, "", "does not hold a key"},
			{"tampered byte", write("tampered.coopbak", tampered), keyFile, "", "fails its integrity check"},
			{"truncated", write("truncated.coopbak", good[:len(good)-1000]), keyFile, "", "truncated"},
			{"cut in the header", write("header.coopbak", good[:50]), keyFile, "", "truncated"},
			{"not a backup", keyFile, keyFile, "", "not a coop backup"},
			{"non-empty target", quiet, keyFile, full, "is not empty"},
		}
		for _, tc := range restores {
			t.Run(tc.name, func(t *testing.T) {
				target := tc.data
				if target == "" {
					target = filepath.Join(t.TempDir(), "target")
				}
				code, _, stderr := backupCLI(t, "", "restore", "--in", tc.in, "--key-file", tc.key, "--data", target)
				if code != 1 || !strings.Contains(stderr, tc.want) {
					t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
				}
				entries, _ := os.ReadDir(filepath.Dir(target))
				if tc.data == "" && len(entries) > 0 {
					t.Fatalf("the failed restore left %v beside or in the target", entries)
				}
			})
		}
		if entries, _ := os.ReadDir(full); len(entries) != 1 {
			t.Fatalf("the non-empty target was touched: %v", entries)
		}

		backups := []struct {
			name, token, want string
		}{
			{"member token", ann, "for accounts with the operator role (HTTP 403)"},
			{"no token", "", "(HTTP 401)"},
		}
		for _, tc := range backups {
			t.Run(tc.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "x.coopbak")
				code, _, stderr := backupCLI(t, tc.token, "backup", "--http", nodes[0].URL(), "--out", out, "--key-file", keyFile)
				if code != 1 || !strings.Contains(stderr, tc.want) {
					t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
				}
				entries, _ := os.ReadDir(filepath.Dir(out))
				if len(entries) > 0 {
					t.Fatalf("a refused backup left %v", entries)
				}
			})
		}
		if code, _, stderr := backupCLI(t, op, "backup", "--http", nodes[0].URL(), "--out", quiet, "--key-file", keyFile); code != 1 || !strings.Contains(stderr, "exists already") {
			t.Fatalf("overwrite of a backup: exit %d, %q", code, stderr)
		}
	})
}

func TestBackup_RefusesBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--key-file", "k"}, "--out is required"},
		{[]string{"backup", "--key-file", "k", "--new-key", "k2", "--out", "x"}, "not both"},
		{[]string{"restore", "--in", "x", "--key-file", "k"}, "--data is required"},
		{[]string{"restore", "--key-file", "k", "--data", "d"}, "--in is required"},
		{[]string{"restore", "--in", "x", "--data", "d"}, "--key-file or --shares is required"},
		{[]string{"restore", "--in", "x", "--key-file", "k", "--shares", "s", "--data", "d"}, "not both"},
		{[]string{"custodian", "keygen"}, "--out is required"},
		{[]string{"custodian", "open-share", "--in", "x", "--out", "y"}, "--identity is required"},
		{[]string{"custodian", "hatch"}, "unknown command"},
	}
	for _, tc := range cases {
		code, _, stderr := backupCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
