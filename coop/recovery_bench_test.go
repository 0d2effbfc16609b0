package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// Recovery figures (`task bench-recovery`): backup and restore speed, and
// the time a new node takes to join and catch up, each beside a plain copy
// of the same database file measured in the same run. COOP_BENCH_RECORDS
// sets the number of records (default: 200,000 for backups, 1,000,000 for
// the join).

func benchRecords(b *testing.B, def int) int {
	if v := os.Getenv("COOP_BENCH_RECORDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("COOP_BENCH_RECORDS=%q is not a positive number", v)
		}
		return n
	}
	return def
}

// benchNode starts a node through the same code as `coop serve`.
func benchNode(b *testing.B, id, join string) *Node {
	b.Helper()
	cfg := Config{Data: b.TempDir(), HTTP: "127.0.0.1:0", Raft: "127.0.0.1:0", NodeID: id, Join: join, ClusterKey: testClusterKey,
		OperatorEmail: testOperatorEmail, OperatorPassword: testOperatorPassword}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	n := NewNode(cfg, testLogs())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		b.Fatalf("start node %s: %v", id, err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}

func benchWaitReady(b *testing.B, n *Node) {
	b.Helper()
	raftdatatest.WaitFor(b, 30*time.Second, func() error {
		status, body, err := tryGet(n.URL() + "/readyz")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("readyz: %d %s", status, body)
		}
		return err
	})
}

// seedRecords contributes count records to a pool through the pooling
// service (the path of POST /pools/{pool}/records), in batches of 5,000
// from 4 members at once, then compacts the node: its log is dropped, so
// a node that joins receives the state by snapshot install.
func seedRecords(b *testing.B, n *Node, count int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, err := n.pooling.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	heat := []string{"gas", "electric", "wood"}
	accounts := contributors(ctx, b, n, "bench", 4)
	err := contributeAll(ctx, n, accounts, count, 5000, func(k, _ int) map[string]any {
		return map[string]any{"kwh": float64(k % 2000), "heating": heat[k%3], "month": fmt.Sprintf("2025-%02d", k%12+1)}
	})
	if err != nil {
		b.Fatalf("seed records: %v", err)
	}
	if err := n.Store().Compact(ctx); err != nil {
		b.Fatal(err)
	}
}

// energyPool is the pool the records' benchmarks fill: a bounded number,
// a category and a month.
func energyPool() pooling.Pool {
	lo, hi := 0.0, 2000.0
	return pooling.Pool{ID: "energy", Title: "Energy",
		Fields: []pooling.Field{{Name: "kwh", Type: pooling.TypeNumber, Min: &lo, Max: &hi},
			{Name: "heating", Type: pooling.TypeCategory, Values: []string{"gas", "electric", "wood"}},
			{Name: "month", Type: pooling.TypeMonth}},
		Documentation: pooling.Documentation{Provenance: "bench", CollectionMethod: "generated", UpdateFrequency: "never", Format: "rows", Pseudonymisation: "member keys"}}
}

// contributors signs up n accounts on node (prefix0@coop.test, …), each
// consenting to the energy pool, and returns their ids.
func contributors(ctx context.Context, b *testing.B, node *Node, prefix string, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for w := range ids {
		a, err := node.demoAccount(ctx, fmt.Sprintf("%s %d", prefix, w), fmt.Sprintf("%s%d@coop.test", prefix, w), testOperatorPassword)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := node.pooling.SetConsent(ctx, a.ID, "energy", true); err != nil {
			b.Fatal(err)
		}
		ids[w] = a.ID
	}
	return ids
}

// contributeAll contributes records 0 to count-1 to the energy pool
// through the pooling service of via, batch records per contribution,
// each account from its own goroutine (account w sends batches w,
// w+len(accounts), …); row(k, w) is record k as account w sends it.
func contributeAll(ctx context.Context, via *Node, accounts []string, count, batch int, row func(k, w int) map[string]any) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(accounts))
	for w, account := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := w * batch; first < count; first += len(accounts) * batch {
				rows := make([]map[string]any, min(batch, count-first))
				for i := range rows {
					rows[i] = row(first+i, w)
				}
				if _, err := via.pooling.Contribute(ctx, account, "energy", rows, ""); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// plainCopy copies the node's state.db with io.Copy and an fsync, as a
// backup's file is written: the baseline. It returns the bytes copied.
func plainCopy(b *testing.B, n *Node, dst string) int64 {
	b.Helper()
	src, err := os.Open(filepath.Join(n.Config.Data, "raft", "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	size, err := io.Copy(out, src)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	return size
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }

// BenchmarkBackupRestore: per iteration, a plain copy of state.db, a
// `coop backup` of the node (sync, VACUUM INTO, sealing, HTTP, checking
// and writing the file) and a `coop restore` of it (decrypt, check,
// prepare). Speeds count the database's bytes, so the ratios compare like
// with like.
func BenchmarkBackupRestore(b *testing.B) {
	records := benchRecords(b, 200_000)
	n := benchNode(b, "n1", "")
	benchWaitReady(b, n)
	seedRecords(b, n, records)
	op := operatorTokenTB(b, n.URL())
	key, err := raftdata.NewBackupKey()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ctx := context.Background()
	var copyTime, backupTime, restoreTime time.Duration
	var dbBytes, fileBytes int64
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		dbBytes = plainCopy(b, n, filepath.Join(dir, fmt.Sprintf("copy-%d.db", i)))
		copyTime += time.Since(start)

		out := filepath.Join(dir, fmt.Sprintf("b-%d.coopbak", i))
		start = time.Now()
		res, err := takeBackup(ctx, backupRequest{Node: nodeTarget{URL: n.URL(), Token: op}, Out: out, Key: &key})
		if err != nil {
			b.Fatal(err)
		}
		backupTime += time.Since(start)
		fileBytes = res.Bytes

		start = time.Now()
		if _, err := restoreBackup(ctx, out, func(r io.Reader) (*raftdata.BackupReader, error) { return raftdata.OpenBackup(r, key) }, filepath.Join(dir, fmt.Sprintf("r-%d", i)), nil); err != nil {
			b.Fatal(err)
		}
		restoreTime += time.Since(start)
	}
	b.StopTimer()
	total := dbBytes * int64(b.N)
	copyRate, backupRate, restoreRate := mbps(total, copyTime), mbps(total, backupTime), mbps(total, restoreTime)
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(float64(dbBytes)/1e6, "db_MB")
	b.ReportMetric(float64(fileBytes)/float64(dbBytes), "file/db")
	b.ReportMetric(copyRate, "copy_MB/s")
	b.ReportMetric(backupRate, "backup_MB/s")
	b.ReportMetric(restoreRate, "restore_MB/s")
	b.ReportMetric(backupRate/copyRate, "backup/copy")
	b.ReportMetric(restoreRate/copyRate, "restore/copy")
}

// BenchmarkJoinCatchUp: a new node joins a one-node cluster holding 1M
// records (log compacted, so it receives a snapshot) and is timed until it
// has applied the leader's index. The baseline is a plain copy of the
// leader's database file in the same run.
func BenchmarkJoinCatchUp(b *testing.B) {
	records := benchRecords(b, 1_000_000)
	leader := benchNode(b, "n1", "")
	benchWaitReady(b, leader)
	seedStart := time.Now()
	seedRecords(b, leader, records)
	b.Logf("seeded %d records in %v", records, time.Since(seedStart).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var joinTime, copyTime time.Duration
	var dbBytes int64
	snapshots := 0
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		dbBytes = plainCopy(b, leader, filepath.Join(b.TempDir(), "copy.db"))
		copyTime += time.Since(start)

		target := leader.Store().AppliedIndex()
		id := fmt.Sprintf("j%d", i)
		start = time.Now()
		joiner := benchNode(b, id, leader.URL())
		raftdatatest.WaitFor(b, 10*time.Minute, func() error {
			if got := joiner.Store().AppliedIndex(); got < target {
				return fmt.Errorf("joiner at index %d of %d", got, target)
			}
			return nil
		})
		joinTime += time.Since(start)
		b.StopTimer()
		if joiner.Store().Status().LastSnapshotIndex > 0 {
			snapshots++
		}
		var got int
		if err := joiner.Store().DB().QueryRow(`SELECT count(*) FROM pooling_records_energy`).Scan(&got); err != nil || got != records {
			b.Fatalf("the joiner holds %d records (%v), want %d", got, err, records)
		}
		// Back to one voter, so the next iteration's cluster is the same.
		if err := leader.Store().Remove(ctx, id); err != nil {
			b.Fatal(err)
		}
		joiner.Close()
		b.StartTimer()
	}
	b.StopTimer()
	perJoin := joinTime / time.Duration(b.N)
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(float64(dbBytes)/1e6, "db_MB")
	b.ReportMetric(perJoin.Seconds(), "join_s")
	b.ReportMetric(float64(records)/perJoin.Seconds(), "records/s")
	b.ReportMetric(float64(snapshots)/float64(b.N), "snapshot_installs")
	b.ReportMetric(mbps(dbBytes, perJoin)/mbps(dbBytes*int64(b.N), copyTime), "join/copy")
}

// operatorTokenTB is operatorToken for benchmarks.
func operatorTokenTB(tb testing.TB, baseURL string) string {
	tb.Helper()
	var token string
	raftdatatest.WaitFor(tb, 10*time.Second, func() error {
		n, err := loginToken(baseURL, testOperatorEmail, testOperatorPassword)
		token = n
		return err
	})
	return token
}

func loginToken(baseURL, email, password string) (string, error) {
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	resp, err := testClient.Post(baseURL+"/api/v1/login", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login: %d %v", resp.StatusCode, err)
	}
	return out.Token, nil
}
