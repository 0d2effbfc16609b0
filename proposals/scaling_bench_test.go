package proposals

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// How the cost of a vote grows with the membership (`task bench-scaling`,
// docs/scaling.md). For each size of COOP_SCALE_MEMBERS (default 1e4; the
// doc's run: 1e4,1e5,1e6), on 3 nodes:
//
//   - members are seeded by the bulk path (bench.seed_members: the rows a
//     sign-up and an admission write, account, member role and charter
//     signature, many per command, with one placeholder password hash
//     instead of hashing a million passwords);
//   - a proposal opens through the real path (proposals.Service.Create):
//     the FSM freezes the electorate in one command, during which no
//     other write applies; timed until the leader answers and until every
//     node holds it, against the same rows written by one raw SQL
//     statement on a copy of the same database;
//   - every member but one votes through Service.Vote (64 at once, the
//     real ballot command), against a bare command with 64 clients on the
//     same cluster;
//   - the heap the open votes take in memory (the mirror of
//     proposals/votes.go): the heap after the ballots less the heap once
//     the close has dropped the mirror, per node;
//   - the close, from the deadline to the closed tally on every node,
//     against the raw tally query on the same file.
//
// Heavy: run with -benchtime 1x under nice (the Taskfile does).
func BenchmarkScalingMembers(b *testing.B) {
	v := os.Getenv("COOP_SCALE_MEMBERS")
	if v == "" {
		v = "1e4"
	}
	for _, s := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f < 1 {
			b.Fatalf("COOP_SCALE_MEMBERS=%q: %q is not a positive number", v, s)
		}
		size := int(f)
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) { scaleMembers(b, size) })
	}
}

// scaleSeedMembers is how many members one seeding command writes.
const scaleSeedMembers = 50_000

func scaleMembers(b *testing.B, size int) {
	if size > scaleMaxMembers {
		b.Fatalf("at most %d members", scaleMaxMembers)
	}
	c, _ := startBenchCoop(b, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	leader := c.leader(b)
	start := time.Now()
	for from := 0; from < size; from += scaleSeedMembers {
		if _, err := c.nodes[leader].Apply(ctx, "bench.seed_members", seedMembersPayload{From: from, To: min(from+scaleSeedMembers, size)}); err != nil {
			b.Fatal(err)
		}
	}
	c.waitApplied(b)
	b.Logf("members=%d: seeded by the bulk path in %v", size, time.Since(start).Round(time.Second))

	b.ReportMetric(float64(size), "members")

	// The electorate frozen at opening.
	d := knowledgeDraft()
	d.Query = &pooling.Query{Aggregate: "count"}
	d.VotingMinutes = 43200
	start = time.Now()
	p, err := c.props[leader].Create(ctx, c.researcher, d)
	if err != nil {
		b.Fatal(err)
	}
	freeze := time.Since(start)
	c.waitApplied(b)
	freezeAll := time.Since(start)
	var electorate int
	if err := c.nodes[leader].DB().QueryRow(`SELECT electorate FROM proposals WHERE id = ?`, p.ID).Scan(&electorate); err != nil || p.Status != StatusOpen || electorate != size {
		b.Fatalf("opened %s with an electorate of %d (%v), want %d", p.Status, electorate, err, size)
	}
	rawFreeze := rawElectorate(b, c.nodes[leader])
	b.ReportMetric(freeze.Seconds(), "freeze-s")
	b.ReportMetric(freezeAll.Seconds(), "freeze-everywhere-s")
	b.ReportMetric(rawFreeze.Seconds(), "raw-freeze-s")
	b.ReportMetric(freeze.Seconds()/rawFreeze.Seconds(), "freeze/raw")
	b.ReportMetric(float64(freeze.Microseconds())/float64(size), "freeze-us/member")
	heapOpen := heapBytes()

	b.Logf("members=%d: electorate frozen in %v (leader), %v (every node), raw %v", size, freeze.Round(time.Millisecond), freezeAll.Round(time.Millisecond), rawFreeze.Round(time.Millisecond))

	// Every member but the last votes; a bare command before and after,
	// for comparison on the cluster as it is.
	var retries atomic.Int64
	bare := func() float64 {
		return c.storm(b, 20_000, &retries, func(i int) error {
			_, err := c.nodes[leader].Apply(ctx, "bench.put", map[string]any{"i": i})
			return err
		})
	}
	rawBefore := bare()
	choices := []string{ChoiceYes, ChoiceNo, ChoiceYes, ChoiceAbstain}
	ballots := c.storm(b, size-1, &retries, func(i int) error {
		_, err := c.props[leader].Vote(ctx, members.Account{ID: scaleAccountID(i), Status: members.StatusActive}, p.ID, choices[i%4])
		return err
	})
	rawAfter := bare()
	c.waitApplied(b)
	b.Logf("members=%d: %.0f ballots/s; bare commands %.0f/s before, %.0f/s after; %d calls retried after a leader change", size, ballots, rawBefore, rawAfter, retries.Load())
	b.ReportMetric(ballots, "ballots/s")
	b.ReportMetric(rawBefore, "raw-cmds/s")
	b.ReportMetric(rawAfter, "raw-cmds-after/s")
	b.ReportMetric(2*ballots/(rawBefore+rawAfter), "ballots/raw")
	b.ReportMetric(float64(retries.Load()), "retried-calls")
	heapVotes := heapBytes()

	// The close, from the deadline to the closed tally on every node.
	c.clock.Advance(31 * 24 * time.Hour)
	start = time.Now()
	if err := c.props[leader].CloseDue(ctx); err != nil {
		b.Fatal(err)
	}
	var closed Proposal
	raftdatatest.WaitFor(b, time.Hour, func() error {
		for _, s := range c.props {
			got, err := s.Get(ctx, p.ID)
			if err != nil || got.Status == StatusOpen {
				return fmt.Errorf("not closed everywhere yet (%v)", err)
			}
			closed = got
		}
		return nil
	})
	closeAll := time.Since(start)
	want := Tally{Yes: (size-1+3)/4 + (size-1+1)/4, No: (size - 1 + 2) / 4, Abstain: (size - 1) / 4, Electorate: size}
	if closed.Tally == nil || !reflect.DeepEqual(*closed.Tally, want) {
		b.Fatalf("closed with %+v, want %+v", closed.Tally, want)
	}
	rawTally := timeRawTally(b, c.nodes[leader], p.ID)
	heapClosed := heapBytes()
	b.Logf("members=%d: closed everywhere %v after the deadline (raw tally %v); open votes held %.1f MiB of heap per node", size, closeAll.Round(time.Millisecond), rawTally.Round(time.Millisecond), (float64(heapVotes)-float64(heapClosed))/float64(len(c.nodes))/(1<<20))
	b.ReportMetric(closeAll.Seconds(), "close-everywhere-s")
	b.ReportMetric(rawTally.Seconds(), "raw-tally-s")
	b.ReportMetric(closeAll.Seconds()/rawTally.Seconds(), "close/raw-tally")
	perNode := (float64(heapVotes) - float64(heapClosed)) / float64(len(c.nodes))
	b.ReportMetric(perNode/(1<<20), "open-votes-MiB/node")
	b.ReportMetric(perNode/float64(size), "open-votes-bytes/member")
	b.ReportMetric(float64(heapOpen)/(1<<20), "heap-open-MiB")
	b.ReportMetric(float64(dbBytes(b, c.nodes[leader]))/1e6, "state-db-MB")
}

// leader is the index of the node that leads now.
func (c *benchCoop) leader(b *testing.B) int {
	b.Helper()
	at := -1
	raftdatatest.WaitFor(b, 30*time.Second, func() error {
		for i, n := range c.nodes {
			if n.IsLeader() {
				at = i
				return nil
			}
		}
		return fmt.Errorf("no leader")
	})
	return at
}

// waitApplied waits until every node has applied the leader's index.
func (c *benchCoop) waitApplied(b *testing.B) {
	b.Helper()
	target := c.nodes[c.leader(b)].AppliedIndex()
	raftdatatest.WaitFor(b, time.Hour, func() error {
		for _, n := range c.nodes {
			if got := n.AppliedIndex(); got < target {
				return fmt.Errorf("%s at index %d of %d", n.NodeID(), got, target)
			}
		}
		return nil
	})
}

// storm runs fn(0) … fn(total-1) from 64 goroutines and returns calls/s.
// A call refused as unavailable (an election under way on a loaded
// machine) is retried, as a client would, and counted in retries.
func (c *benchCoop) storm(b *testing.B, total int, retries *atomic.Int64, fn func(i int) error) float64 {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total || failed.Load() != nil {
					return
				}
				err := fn(i)
				for try := 0; raftdata.ErrorCode(err) == raftdata.CodeUnavailable && try < 20; try++ {
					retries.Add(1)
					time.Sleep(100 * time.Millisecond)
					err = fn(i)
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	return float64(total) / time.Since(start).Seconds()
}

// heapBytes is the live heap after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// dbFile is the path of a node's state database.
func dbFile(b *testing.B, n *raftdatatest.Node) string {
	b.Helper()
	var seq int
	var name, file string
	if err := n.DB().QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		b.Fatal(err)
	}
	return file
}

func dbBytes(b *testing.B, n *raftdatatest.Node) int64 {
	b.Helper()
	st, err := os.Stat(dbFile(b, n))
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// rawElectorate copies the node's database and times, on the copy, the
// electorate's rows written by one SQL statement: the same members read
// (active, admitted, the current member charter signed), the same number
// of rows with random 32-hex voter keys into the same table and indexes,
// in one transaction (WAL, synchronous=FULL).
func rawElectorate(b *testing.B, n *raftdatatest.Node) time.Duration {
	b.Helper()
	path := filepath.Join(b.TempDir(), "copy.db")
	src, err := sql.Open("sqlite3", "file:"+dbFile(b, n)+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	_, err = src.Exec(`VACUUM INTO ?`, path)
	src.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = db.Exec(`INSERT INTO proposals_electorate(proposal, voter_key, account_id)
		SELECT 'raw', lower(hex(randomblob(16))), a.id FROM members_accounts a
		JOIN members_roles r ON r.account_id = a.id AND r.role = ?
		JOIN members_charter_signatures c ON c.account_id = a.id AND c.charter = ? AND c.version = ?
		WHERE a.status = 'active' ORDER BY a.id`,
		members.RoleMember, members.CharterMember, members.CharterVersion(members.CharterMember))
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// timeRawTally times the tally's query on the node's readers.
func timeRawTally(b *testing.B, n *raftdatatest.Node, proposal string) time.Duration {
	b.Helper()
	start := time.Now()
	rows, err := n.DB().Query(`SELECT choice, COUNT(*) FROM proposals_ballots WHERE proposal = ? GROUP BY choice`, proposal)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	return time.Since(start)
}

// ---- the bulk path ----

type seedMembersPayload struct{ From, To int }

// scaleAccountID is seeded member i's account id: 32 hex digits spread
// over the range of raftdata.NewID's random ids, increasing with i (so
// the seeding appends to the B-trees; the electorate's voter keys, hashed,
// land at random places as real ones do).
func scaleAccountID(i int) string {
	return fmt.Sprintf("%016x%016x", uint64(i)*(^uint64(0)/scaleMaxMembers), i)
}

// scaleMaxMembers bounds the sizes the account ids are spread for.
const scaleMaxMembers = 1 << 30

// scalePasswordHash stands in for the members' password hashes: an
// argon2id string of the usual length that no password matches (the
// seeded members never log in; hashing a million passwords would take
// hours).
const scalePasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c2NhbGluZy1zZWVkLXNhbHQ$c2NhbGluZy1zZWVkLWhhc2gtb2YtMzItYnl0ZXMtLS0"

// applySeedMembers writes, for members From to To, what a sign-up
// admitted at once writes: the active account, the member role and the
// signature of the current member charter.
func applySeedMembers(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p seedMembersPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, err
	}
	acct, err := tx.Prepare(`INSERT INTO members_accounts(id, name, email, password_hash, status, created_at) VALUES(?,?,?,?,?,?)`)
	if err != nil {
		return nil, err
	}
	defer acct.Close()
	role, err := tx.Prepare(`INSERT INTO members_roles(account_id, role, granted_at, granted_by) VALUES(?,?,?,'open')`)
	if err != nil {
		return nil, err
	}
	defer role.Close()
	sig, err := tx.Prepare(`INSERT INTO members_charter_signatures(account_id, charter, version, lang, signed_at) VALUES(?,?,?,'fr',?)`)
	if err != nil {
		return nil, err
	}
	defer sig.Close()
	at := cmd.Time.UnixNano()
	version := members.CharterVersion(members.CharterMember)
	for i := p.From; i < p.To; i++ {
		id := scaleAccountID(i)
		if _, err := acct.Exec(id, fmt.Sprintf("Member %d", i), fmt.Sprintf("member%010d@scale.test", i), scalePasswordHash, members.StatusActive, at); err != nil {
			return nil, err
		}
		if _, err := role.Exec(id, members.RoleMember, at); err != nil {
			return nil, err
		}
		if _, err := sig.Exec(id, members.CharterMember, version, at); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
