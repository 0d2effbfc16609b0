package raftdata

import (
	"context"
	"database/sql"
	"sync"
)

// Reads runs queries on the local, query-only copy of the state (what DB
// gives), each query prepared once per connection of the pool and kept:
// preparing costs as much as running a small query, and the hot paths run
// the same few queries on every request (authentication, the checks
// before a ballot). The methods are DB's, so a caller switches by
// replacing store.DB() with store.Reads().
//
// The queries are the constant strings of the code, so the cache stays
// small; past maxCachedStmts a query runs unprepared, as through DB. A
// query that fails to prepare (a typo) is not kept: it runs unprepared and
// its error comes back from the call.
type Reads struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newReads(db *sql.DB) *Reads {
	return &Reads{db: db, stmts: map[string]*sql.Stmt{}}
}

// Reads is the local, query-only view of the state with statements
// prepared once per connection: DB, for the queries of hot paths.
func (s *Store) Reads() *Reads { return s.state.reads }

// QueryRowContext runs a query that returns at most one row.
func (r *Reads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}

// QueryContext runs a query.
func (r *Reads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

// stmt returns query prepared, or nil. database/sql prepares a statement
// again on each connection it runs on, the first time, and keeps it there.
func (r *Reads) stmt(query string) *sql.Stmt {
	r.mu.RLock()
	st := r.stmts[query]
	r.mu.RUnlock()
	if st != nil {
		return st
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.stmts[query]; st != nil {
		return st
	}
	if len(r.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := r.db.Prepare(query)
	if err != nil {
		return nil
	}
	r.stmts[query] = st
	return st
}

func (r *Reads) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for q, st := range r.stmts {
		st.Close()
		delete(r.stmts, q)
	}
}
