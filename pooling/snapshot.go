package pooling

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Parallel reads at one index. An aggregate is split by member key into
// ranges, each read on a connection of its own inside a read transaction
// (WAL gives each its own snapshot); the partial results are summed in Go.
// The ranges must all see the same state: each transaction first reads
// the applied index raftdata commits with every batch, and if they differ
// (the FSM committed between two BEGINs) all are rolled back and begun
// again; after a few tries the ranges run one after the other in a single
// transaction, which is always consistent.

// keyRange is the member keys k with from <= k < to ("" for no bound).
type keyRange struct{ from, to string }

// splitKeys cuts the key space into n ranges of equal share. Member keys
// are random hex (raftdata.NewID), so cutting on the first hex digits
// balances them; other keys (the twin's) stay correct, only less balanced.
func splitKeys(n int) []keyRange {
	if n <= 1 {
		return []keyRange{{}}
	}
	out := make([]keyRange, n)
	prev := ""
	for i := 1; i < n; i++ {
		cut := fmt.Sprintf("%02x", 256*i/n)
		out[i-1] = keyRange{from: prev, to: cut}
		prev = cut
	}
	out[n-1] = keyRange{from: prev}
	return out
}

// extraConnWait is how long a read waits for each connection beyond its
// first. Waiting longer could deadlock concurrent aggregates that each
// hold one connection of a full pool; giving up only costs parallelism.
const extraConnWait = 20 * time.Millisecond

// beginAttempts is how many times the transactions are begun again when
// they did not start at the same applied index.
const beginAttempts = 4

// readInRanges runs read over the member-key ranges, at most n at once,
// every range at the same applied index, and merges what they return.
func readInRanges(ctx context.Context, db *sql.DB, n int, read func(context.Context, *sql.Tx, keyRange) (partials, error)) (partials, error) {
	conns, err := takeConns(ctx, db, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return partials{}, err
	}
	txs, err := beginAtOneIndex(ctx, conns)
	defer func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}()
	if err != nil {
		return partials{}, err
	}
	ranges := splitKeys(len(txs))
	results := make([]partials, len(txs))
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	for i := range txs {
		wg.Go(func() { results[i], errs[i] = read(ctx, txs[i], ranges[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return partials{}, err
	}
	out := newPartials()
	for _, r := range results { // ranges in key order: members stay sorted
		out.merge(r)
	}
	return out, nil
}

// takeConns takes up to n connections from the pool: the first waits as
// long as ctx allows, the others only briefly.
func takeConns(ctx context.Context, db *sql.DB, n int) ([]*sql.Conn, error) {
	first, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("aggregate: take a connection: %w", err)
	}
	conns := []*sql.Conn{first}
	for len(conns) < n {
		wait, cancel := context.WithTimeout(ctx, extraConnWait)
		c, err := db.Conn(wait)
		cancel()
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// beginAtOneIndex begins a read transaction on each connection, all at
// the same applied index; failing that, one transaction on the first.
func beginAtOneIndex(ctx context.Context, conns []*sql.Conn) ([]*sql.Tx, error) {
	if len(conns) > 1 {
		for range beginAttempts {
			txs, same, err := beginAll(ctx, conns)
			if err != nil {
				return nil, err
			}
			if same {
				return txs, nil
			}
			for _, tx := range txs {
				tx.Rollback()
			}
		}
	}
	tx, err := conns[0].BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("aggregate: begin a read: %w", err)
	}
	return []*sql.Tx{tx}, nil
}

func beginAll(ctx context.Context, conns []*sql.Conn) (txs []*sql.Tx, same bool, err error) {
	var first int64
	same = true
	for i, c := range conns {
		tx, err := c.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			for _, t := range txs {
				t.Rollback()
			}
			return nil, false, fmt.Errorf("aggregate: begin a read: %w", err)
		}
		txs = append(txs, tx)
		// The first read fixes the transaction's snapshot.
		idx, err := appliedIndexIn(ctx, tx)
		if err != nil {
			for _, t := range txs {
				t.Rollback()
			}
			return nil, false, err
		}
		if i == 0 {
			first = idx
		} else if idx != first {
			same = false
		}
	}
	return txs, same, nil
}

// appliedIndexIn reads the index raftdata writes in the transaction of
// every applied batch: two reads with the same value see the same state.
func appliedIndexIn(ctx context.Context, tx *sql.Tx) (int64, error) {
	var idx int64
	err := tx.QueryRowContext(ctx, `SELECT value FROM raftdata_meta WHERE key = 'applied_index'`).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("aggregate: read the applied index: %w", err)
	}
	return idx, nil
}
