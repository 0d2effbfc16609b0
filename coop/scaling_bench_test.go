package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// How the cost of a pool's records grows (`task bench-scaling`,
// docs/scaling.md). For each size of COOP_SCALE_RECORDS (default 1e6;
// the doc's run: 1e6,1e7,3e7) a cluster of COOP_SCALE_NODES nodes
// (default 3) started through the code of `coop serve` holds that many
// records of one pool from 100,000 members, and the benchmark reports:
//
//   - ingest: contributions of 1,000 records through the pooling service
//     on a follower (the real command path: validation, raftdata.Apply,
//     the FSM on every node), from 4 members at once, against a raw
//     SQLite bulk insert of the same records into a copy of the same
//     database (transactions of 1,000, WAL, synchronous=FULL);
//   - the grouped DP aggregate (a mean of kwh by heating through
//     pooling.Aggregate on a fixed consent set) against the same
//     two-level GROUP BY in one raw SQL statement on the same file;
//   - state.db and snapshot size, the time a snapshot takes (VACUUM INTO,
//     during which the node applies nothing: what every erasure's
//     compaction costs), and a new node joining by snapshot install
//     against a plain copy of the same file;
//   - a restart: the node with the snapshot stopped and started again as
//     a `coop serve` process on its data directory, until /readyz, and
//     its resident memory then.
//
// Two ways data gets in, kept apart: the records that make up the size
// are seeded by a bench command (bench.seed_records) whose log entry is a
// few bytes and whose handler writes the rows a contribution writes
// (pooling's records table and its indexes, the members' consents),
// straight into every node's SQLite; only the ingest figure goes through
// the real path. Heavy: run with -benchtime 1x under nice (the Taskfile
// does), never in CI.

// scalePoolMembers is the number of members whose records fill the pool:
// the smart-meter case of docs/scaling.md has 100,000.
const scalePoolMembers = 100_000

// scaleSeedChunk is how many records one seeding command writes (one
// transaction on each node).
const scaleSeedChunk = 250_000

// scaleSizes reads a list of sizes ("1e6,1e7,3e7") from the environment.
func scaleSizes(b *testing.B, name, def string) []int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	var sizes []int
	for _, s := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f < 1 {
			b.Fatalf("%s=%q: %q is not a positive number", name, v, s)
		}
		sizes = append(sizes, int(f))
	}
	return sizes
}

// scaleEnvInt reads a positive integer from the environment.
func scaleEnvInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 1 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return int(f)
}

func BenchmarkScalingRecords(b *testing.B) {
	sizes := scaleSizes(b, "COOP_SCALE_RECORDS", "1e6")
	nodes := scaleEnvInt(b, "COOP_SCALE_NODES", 3)
	ingest := scaleEnvInt(b, "COOP_SCALE_INGEST", 200_000)
	bin := buildBinary(b)
	plan := &diskPlan{bytesPerRecord: 450}
	for _, size := range sizes {
		n, install := plan.fit(b, size, nodes)
		b.Run(fmt.Sprintf("records=%d/nodes=%d", size, n), func(b *testing.B) {
			r := startScaleRecords(b, size, n)
			r.measure(b, bin, ingest, install)
			plan.bytesPerRecord = float64(r.dbBytes) / float64(size)
		})
	}
}

// diskPlan decides what a size can measure on this disk, counting copies
// of the database at the peaks: n nodes hold n, the node that snapshots
// one more (its snapshot; VACUUM INTO's temporary copy exists only while
// the snapshot is written, replacing the plain copy's place), and the
// node that joins up to four (the snapshot received, its checked copy,
// the database and its WAL). Other work shares the disk: the plan keeps
// within 70 % of the free space. A size whose nodes do not fit is
// measured on one node; a join that does not fit is left out; both are
// logged (and the node count is in the benchmark's name).
type diskPlan struct{ bytesPerRecord float64 }

func (d *diskPlan) fit(b *testing.B, size, nodes int) (n int, install bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(os.TempDir(), &st); err != nil {
		b.Fatal(err)
	}
	room := 0.7 * float64(st.Bavail) * float64(st.Bsize)
	copyBytes := d.bytesPerRecord * float64(size)
	fits := func(copies int) bool { return copyBytes*float64(copies) <= room }
	b.Logf("records=%d: about %.1f GB per copy of the database; %.1f GB usable in %s", size, copyBytes/1e9, room/1e9, os.TempDir())
	n = nodes
	if !fits(n + 2) {
		n = 1
		b.Logf("records=%d: %d nodes need %.0f GB at the snapshot's peak: measured on 1 node", size, nodes, copyBytes*float64(nodes+2)/1e9)
	}
	if !fits(n + 2) {
		b.Fatalf("records=%d does not fit on this disk even on one node", size)
	}
	install = fits(n + 5)
	if !install {
		b.Logf("records=%d: a node joining needs %.0f GB at its peak: no snapshot install at this size", size, copyBytes*float64(n+5)/1e9)
	}
	return n, install
}

// scaleRecords is one size's cluster.
type scaleRecords struct {
	size    int
	nodes   []*Node
	addrs   []nodeAddrs // each node's HTTP and Raft addresses, kept for its restart
	dbBytes int64
}

type nodeAddrs struct{ http, raft string }

// scaleExtension is what the scaling benchmarks add to a node: the bulk
// seeding command and a consent set fixed through pooling's own code.
func scaleExtension() *nodeExtension {
	return &nodeExtension{
		register: func(reg *raftdata.Registry) {
			reg.Handle("bench.seed_records", applySeedRecords)
			reg.Handle("bench.noop", func(*raftdata.Tx, raftdata.Command) (any, error) { return nil, nil })
			reg.Handle("bench.fix_consent_set", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
				var r pooling.SetRequest
				if err := cmd.Decode(&r); err != nil {
					return nil, err
				}
				return pooling.FixConsentSetIn(tx, r)
			})
		},
		routes: func(*fiber.App) {},
	}
}

// startScaleRecords starts the nodes, creates the pool and seeds size
// records by the bulk path.
func startScaleRecords(b *testing.B, size, nodes int) *scaleRecords {
	b.Helper()
	r := &scaleRecords{size: size}
	for i := range nodes {
		id := fmt.Sprintf("n%d", i+1)
		addrs := nodeAddrs{http: freeAddr(b), raft: freeAddr(b)}
		cfg := testConfig(b, id)
		cfg.HTTP, cfg.Raft = addrs.http, addrs.raft
		if i > 0 {
			cfg.Join = r.nodes[0].URL()
		}
		n := NewNode(cfg, testLogs())
		n.extend = scaleExtension()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := n.Start(ctx)
		cancel()
		if err != nil {
			b.Fatalf("start %s: %v", id, err)
		}
		b.Cleanup(func() { n.Close() })
		benchWaitReady(b, n)
		r.nodes = append(r.nodes, n)
		r.addrs = append(r.addrs, addrs)
	}
	ctx := context.Background()
	if _, err := r.nodes[0].pooling.CreatePool(ctx, energyPool()); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	perMember := max(1, size/scalePoolMembers)
	membersPerChunk := max(1, scaleSeedChunk/perMember)
	for from := 0; from < scalePoolMembers; from += membersPerChunk {
		p := seedRecordsPayload{Pool: "energy", From: from, To: min(from+membersPerChunk, scalePoolMembers), Members: scalePoolMembers, PerMember: perMember}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
		_, err := r.leader(b).Store().Apply(ctx, "bench.seed_records", p)
		cancel()
		if err != nil {
			b.Fatalf("seed members %d to %d: %v", p.From, p.To, err)
		}
	}
	r.waitConverged(b)
	b.Logf("records=%d: seeded by the bulk path on %d nodes in %v", size, nodes, time.Since(start).Round(time.Second))
	return r
}

// leader is the node that leads now.
func (r *scaleRecords) leader(b *testing.B) *Node {
	b.Helper()
	var leader *Node
	raftdatatest.WaitFor(b, 30*time.Second, func() error {
		for _, n := range r.nodes {
			if n.Store() != nil && n.Store().IsLeader() {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("no leader")
	})
	return leader
}

// follower is a node that does not lead (the leader with one node).
func (r *scaleRecords) follower(b *testing.B) *Node {
	leader := r.leader(b)
	for _, n := range r.nodes {
		if n != leader {
			return n
		}
	}
	return leader
}

// waitConverged waits until every node has applied the leader's index.
func (r *scaleRecords) waitConverged(b *testing.B) {
	b.Helper()
	target := r.leader(b).Store().AppliedIndex()
	raftdatatest.WaitFor(b, 30*time.Minute, func() error {
		for _, n := range r.nodes {
			if got := n.Store().AppliedIndex(); got < target {
				return fmt.Errorf("%s at index %d of %d", n.ID(), got, target)
			}
		}
		return nil
	})
}

func (r *scaleRecords) measure(b *testing.B, bin string, ingest int, install bool) {
	ctx := context.Background()
	b.ReportMetric(float64(r.size), "records")

	// Ingest through the real path, then the same records raw.
	coopRate := r.ingest(b, ingest)
	leader := r.leader(b)
	stall := probeWrites(leader)
	peak := peakDisk(leader.Config.Data)
	snapStart := time.Now()
	if err := leader.Store().Compact(ctx); err != nil {
		b.Fatal(err)
	}
	snapTime := time.Since(snapStart)
	b.ReportMetric(stall().Seconds(), "write-stall-s")
	r.dbBytes = fileSize(b, filepath.Join(leader.Config.Data, "raft", "state.db"))
	b.ReportMetric(float64(peak())/float64(r.dbBytes), "snapshot-peak-disk/db")
	snapBytes := snapshotBytes(b, leader)
	copyPath := filepath.Join(b.TempDir(), "copy.db")
	copyStart := time.Now()
	plainCopy(b, leader, copyPath)
	copyTime := time.Since(copyStart)
	rawRate := rawIngest(b, copyPath, ingest)
	os.Remove(copyPath)
	b.ReportMetric(coopRate, "ingest-records/s")
	b.ReportMetric(rawRate, "raw-ingest-records/s")
	b.ReportMetric(coopRate/rawRate, "ingest/raw")
	b.ReportMetric(float64(r.dbBytes)/1e6, "state-db-MB")
	b.ReportMetric(float64(snapBytes)/1e6, "snapshot-MB")
	b.ReportMetric(float64(r.dbBytes)/float64(r.size+ingest), "db-bytes/record")
	b.ReportMetric(snapTime.Seconds(), "snapshot-s")
	b.ReportMetric(copyTime.Seconds(), "copy-s")
	b.ReportMetric(snapTime.Seconds()/copyTime.Seconds(), "snapshot/copy")

	r.aggregate(b)
	if install {
		r.install(b, copyTime)
	}
	r.restart(b, bin, leader)
}

// probeWrites applies a bare command through node n every 20 ms until the
// function it returns is called, which answers the longest time one took:
// how long writes through n stall meanwhile (a snapshot's VACUUM INTO
// holds the FSM).
func probeWrites(n *Node) func() time.Duration {
	done := make(chan struct{})
	worst := make(chan time.Duration, 1)
	go func() {
		var longest time.Duration
		defer func() { worst <- longest }()
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			start := time.Now()
			_, err := n.Store().Apply(ctx, "bench.noop", nil)
			cancel()
			if err != nil {
				return
			}
			longest = max(longest, time.Since(start))
		}
	}()
	return func() time.Duration {
		close(done)
		return <-worst
	}
}

// ingest contributes records through the pooling service of a follower,
// in batches of 1,000 from 4 members at once, and returns records/s.
func (r *scaleRecords) ingest(b *testing.B, records int) float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	accounts := contributors(ctx, b, r.leader(b), "ingest", 4)
	r.waitConverged(b)
	start := time.Now()
	if err := contributeAll(ctx, r.follower(b), accounts, records, 1000, scaleRecord); err != nil {
		b.Fatalf("ingest: %v", err)
	}
	r.waitConverged(b)
	return float64(records) / time.Since(start).Seconds()
}

// rawIngest inserts records into the pool's table of a copy of the
// database with plain SQLite, in transactions of 1,000 rows (WAL,
// synchronous=FULL, as the FSM's writer), and returns records/s.
func rawIngest(b *testing.B, path string, records int) float64 {
	b.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	insert, err := recordInsertSQL(db, "energy")
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	at := time.Now().UnixNano()
	start := time.Now()
	for first := 0; first < records; first += batch {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(insert)
		if err != nil {
			b.Fatal(err)
		}
		key := fmt.Sprintf("raw%029d", first/batch%4)
		for i := first; i < min(first+batch, records); i++ {
			if _, err := stmt.Exec(key, fmt.Sprintf("raw%017d-%d", first, i-first), scaleRecordJSON(i, 0), at); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(records) / time.Since(start).Seconds()
}

// rawGroupedMean is the aggregate's computation in one raw SQL statement
// over the same typed columns: the mean per member and group, joined to
// consent, then the mean per group (pooling's BenchmarkGroupedMean1M has
// the same baseline).
const rawGroupedMean = `
SELECT g, COUNT(*), AVG(v) FROM (
	SELECT r.member_key, r.f_heating AS g, AVG(MIN(MAX(r.f_kwh, 0), 2000)) AS v
	FROM pooling_records_energy r JOIN pooling_consents c ON c.member_key = r.member_key AND c.pool = 'energy' AND c.granted = 1
	GROUP BY r.member_key, g
) GROUP BY g`

// aggregate times a grouped mean through pooling.Aggregate on a fixed
// consent set, and the raw statement, alternately on the same node.
func (r *scaleRecords) aggregate(b *testing.B) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	n := r.leader(b)
	run := raftdata.NewID()[:16]
	start := time.Now()
	if _, err := n.Store().Apply(ctx, "bench.fix_consent_set", pooling.SetRequest{Run: run, Pool: "energy", Proposal: "bench", Epsilon: 1, CapPerYear: 1e6}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "consent-set-s")
	p, err := n.pooling.Pool(ctx, "energy")
	if err != nil {
		b.Fatal(err)
	}
	q := pooling.Query{Aggregate: pooling.AggMean, Field: "kwh", GroupBy: []string{"heating"}}
	reps := 1
	if r.size <= 1_000_000 {
		reps = 3
	}
	var engine, raw, engineCPU, rawCPU time.Duration
	for range reps {
		c0, t0 := cpuTime(), time.Now()
		rows, err := n.Store().DB().QueryContext(ctx, rawGroupedMean)
		if err != nil {
			b.Fatal(err)
		}
		groups := 0
		for rows.Next() {
			groups++
		}
		if err := rows.Err(); err != nil || groups != 3 {
			b.Fatalf("raw aggregate: %d groups, %v", groups, err)
		}
		rows.Close()
		raw += time.Since(t0)
		rawCPU += cpuTime() - c0

		c0, t0 = cpuTime(), time.Now()
		ans, err := pooling.Aggregate(ctx, n.Store().DB(), p, q, pooling.Disclosure{MinCohort: 5, Epsilon: 1}, run)
		if err != nil {
			b.Fatal(err)
		}
		engine += time.Since(t0)
		engineCPU += cpuTime() - c0
		if len(ans.Groups) != 3 || len(ans.Members) < scalePoolMembers {
			b.Fatalf("the aggregate drew on %d members in %d groups", len(ans.Members), len(ans.Groups))
		}
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(reps) }
	b.ReportMetric(per(engine), "aggregate-s")
	b.ReportMetric(per(raw), "raw-aggregate-s")
	b.ReportMetric(float64(engine)/float64(raw), "aggregate/raw")
	b.ReportMetric(per(engineCPU), "aggregate-cpu-s")
	b.ReportMetric(per(rawCPU), "raw-aggregate-cpu-s")
}

// install starts a new node that joins through the leader, whose log is
// compacted: it receives the state by snapshot install. It is timed until
// it has applied the leader's index, checked, then removed (its files
// too, to free the disk).
func (r *scaleRecords) install(b *testing.B, copyTime time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	leader := r.leader(b)
	target := leader.Store().AppliedIndex()
	cfg := testConfig(b, "joiner")
	cfg.Join = leader.URL()
	joiner := NewNode(cfg, testLogs())
	peak := peakDisk(cfg.Data)
	start := time.Now()
	if err := joiner.Start(ctx); err != nil {
		b.Fatalf("start the joiner: %v", err)
	}
	defer joiner.Close()
	raftdatatest.WaitFor(b, time.Hour, func() error {
		if got := joiner.Store().AppliedIndex(); got < target {
			return fmt.Errorf("joiner at index %d of %d", got, target)
		}
		return nil
	})
	took := time.Since(start)
	b.ReportMetric(float64(peak())/float64(r.dbBytes), "install-peak-disk/db")
	if joiner.Store().Status().LastSnapshotIndex == 0 {
		b.Fatal("the joiner caught up without a snapshot install")
	}
	var got int
	if err := joiner.Store().DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pooling_records_energy`).Scan(&got); err != nil || got < r.size {
		b.Fatalf("the joiner holds %d records (%v), want at least %d", got, err, r.size)
	}
	b.ReportMetric(took.Seconds(), "install-s")
	b.ReportMetric(took.Seconds()/copyTime.Seconds(), "install/copy")
	if err := leader.Store().Remove(ctx, joiner.ID()); err != nil {
		b.Fatal(err)
	}
	joiner.Close()
	os.RemoveAll(cfg.Data)
}

// restart stops node n (which holds a snapshot: the leader that
// compacted) and starts it again as a `coop serve` process on the same
// data directory and addresses, timed until /readyz answers 200 (its
// snapshots checked, the store opened, the leader known and the log
// applied). Its resident memory is read then, and the most disk it used
// meanwhile (its data directory and its TMPDIR, where the snapshots are
// checked).
func (r *scaleRecords) restart(b *testing.B, bin string, n *Node) {
	b.Helper()
	i := 0
	for i < len(r.nodes) && r.nodes[i] != n {
		i++
	}
	n.Close()
	tmp := b.TempDir()
	b.Setenv("TMPDIR", tmp) // the child inherits it
	p := &procNode{id: n.ID(), data: n.Config.Data, http: r.addrs[i].http, raft: r.addrs[i].raft}
	peak := peakDisk(p.data, tmp)
	start := time.Now()
	p.start(b, bin)
	raftdatatest.WaitFor(b, time.Hour, func() error {
		if !p.running() {
			return fmt.Errorf("node %s exited: %s", p.id, p.logs)
		}
		status, body, err := tryGet(p.url() + "/readyz")
		if err == nil && status != 200 {
			err = fmt.Errorf("readyz %d %s", status, body)
		}
		return err
	})
	took := time.Since(start)
	b.ReportMetric(float64(peak())/float64(r.dbBytes), "restart-peak-disk/db")
	rss, hwm := procMemory(b, p.cmd.Process.Pid)
	b.ReportMetric(took.Seconds(), "restart-s")
	b.ReportMetric(float64(rss)/(1<<20), "restart-RSS-MiB")
	b.ReportMetric(float64(hwm)/(1<<20), "restart-peak-RSS-MiB")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// procMemory reads the resident set size of process pid and its peak, in
// bytes (Linux).
func procMemory(b *testing.B, pid int) (rss, peak int64) {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			b.Fatalf("%s: %v", line, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak
}

// peakDisk samples the bytes of the files under dirs every 100 ms until
// the function it returns is called, which answers the most seen.
func peakDisk(dirs ...string) func() int64 {
	done := make(chan struct{})
	most := make(chan int64, 1)
	go func() {
		var peak int64
		defer func() { most <- peak }()
		for {
			var total int64
			for _, dir := range dirs {
				filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
					if err == nil && !fi.IsDir() {
						total += fi.Size()
					}
					return nil
				})
			}
			peak = max(peak, total)
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		return <-most
	}
}

// cpuTime is the CPU time the process has used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(b *testing.B, path string) int64 {
	b.Helper()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// snapshotBytes is the size of the node's snapshot files (raft keeps one).
func snapshotBytes(b *testing.B, n *Node) int64 {
	b.Helper()
	var total int64
	err := filepath.Walk(filepath.Join(n.Config.Data, "raft", "snapshots"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// ---- the bulk path ----

// seedRecordsPayload asks every node to write PerMember records for each
// of the members From to To (numbers in key order among Members).
type seedRecordsPayload struct {
	Pool                         string
	From, To, Members, PerMember int
}

// applySeedRecords writes what a member's consent and contributions
// write, for many members at once: the consent row, and each record's
// JSON and typed columns through the same kind of statement as
// pooling's (recordInsertSQL). Members come in key order, so the B-trees
// fill by appending, as they would over years of contributions from the
// same members.
func applySeedRecords(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p seedRecordsPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, err
	}
	insert, err := recordInsertSQL(txQueryer{tx}, p.Pool)
	if err != nil {
		return nil, err
	}
	rec, err := tx.Prepare(insert)
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	cons, err := tx.Prepare(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?, ?, 1, ?)`)
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	at := cmd.Time.UnixNano()
	for m := p.From; m < p.To; m++ {
		key := scaleMemberKey(m, p.Members)
		if _, err := cons.Exec(key, p.Pool, at); err != nil {
			return nil, err
		}
		for j := range p.PerMember {
			// Ids shaped like a contribution's (20 characters of its
			// command id, then the row's place in the batch).
			id := fmt.Sprintf("%016x%04x-%d", mix64(uint64(m)), j/1000, j%1000)
			if _, err := rec.Exec(key, id, scaleRecordJSON(m*p.PerMember+j, m), at); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// txQueryer lets recordInsertSQL read the schema inside a handler.
type txQueryer struct{ tx *raftdata.Tx }

func (q txQueryer) Query(query string, args ...any) (*sql.Rows, error) {
	return q.tx.Query(query, args...)
}

type queryer interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// recordInsertSQL builds, from the pool's records table as it is, the
// insert pooling's FSM runs: the key, the id, the JSON and the time, and
// each typed column f_X extracted from the JSON.
func recordInsertSQL(db queryer, pool string) (string, error) {
	table := "pooling_records_" + strings.ReplaceAll(pool, "-", "_")
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols := []string{"member_key", "record_id", "data", "contributed_at", "updated_at"}
	vals := []string{"?1", "?2", "?3", "?4", "?4"}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
		if field, ok := strings.CutPrefix(name, "f_"); ok {
			cols = append(cols, fmt.Sprintf("%q", name))
			vals = append(vals, fmt.Sprintf("json_extract(?3, '$.%s')", field))
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(cols) == 5 {
		return "", fmt.Errorf("no typed column in %s: not a pool's records table", table)
	}
	return fmt.Sprintf(`INSERT INTO %q (%s) VALUES (%s)`, table, strings.Join(cols, ", "), strings.Join(vals, ", ")), nil
}

// scaleMemberKey is member m's key among members: 32 hex digits spread
// over the whole range like raftdata.NewID's random keys, and increasing
// with m.
func scaleMemberKey(m, members int) string {
	step := ^uint64(0) / uint64(members)
	return fmt.Sprintf("%016x%016x", uint64(m)*step, mix64(uint64(m)))
}

// mix64 is splitmix64's finaliser: a fixed, well-spread function of x.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

var scaleHeating = []string{"gas", "electric", "wood"}

// scaleRecord is record i of member m, as a member's upload carries it.
func scaleRecord(i, m int) map[string]any {
	return map[string]any{"kwh": float64((i*7 + m) % 2000), "heating": scaleHeating[m%3], "month": fmt.Sprintf("2025-%02d", i%12+1)}
}

// scaleRecordJSON is scaleRecord as the canonical JSON pooling stores.
func scaleRecordJSON(i, m int) string {
	return fmt.Sprintf(`{"heating":%q,"kwh":%d,"month":"2025-%02d"}`, scaleHeating[m%3], (i*7+m)%2000, i%12+1)
}
