package raftdata

import (
	"database/sql"
	"sync"
)

// stmtCache keeps the statements handlers run, prepared once on the FSM's
// single writer connection: preparing costs as much as running a small
// statement, and the same few statements run for every command.
//
// The writer has one connection, held by the apply transaction while
// handlers run, so a statement cannot be prepared then: a query seen for
// the first time runs unprepared and is prepared after the commit, on the
// same (then free) connection; later transactions reuse it through
// Tx.Stmt. The queries are the constant strings of the code, so the cache
// stays small; past maxCachedStmts a query simply runs unprepared.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns query prepared and bound to tx, or nil to run it unprepared
// (and prepare it after the commit).
func (c *stmtCache) get(tx *sql.Tx, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return tx.Stmt(st)
	}
	if len(c.stmts)+len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
	return nil
}

// preparePending prepares the queries first seen in the last transaction.
// Call it with no transaction open on the writer.
func (c *stmtCache) preparePending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.pending {
		if st, err := c.db.Prepare(q); err == nil {
			c.stmts[q] = st
		}
		delete(c.pending, q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
