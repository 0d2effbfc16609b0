package raftdata

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// openWriter opens the single read-write connection of a SQLite file: WAL
// journal, secure_delete so that deleted rows are zeroed in the file, and the
// given synchronous level. busy_timeout comes first so that the pragmas
// themselves wait for a lock instead of failing. The connection keeps the
// statements it runs prepared, as the readers' do (the log store's insert,
// the FSM's own bookkeeping; handlers' statements go through stmtCache).
func openWriter(path, synchronous string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", synchronous)
	q.Set("_secure_delete", "on")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// openReaders opens a pool of query-only connections on the same file: they
// read the last committed state (WAL gives each read its own snapshot) and
// can never write, so the FSM stays the only writer.
//
// Each connection keeps the last stmtCacheSize statements it ran prepared
// (the driver's cache, by query text): the hot paths (authentication on
// every request, the checks before a ballot) run the same few queries, and
// preparing one costs about as much as running it. Every caller of
// Store.DB gains without changing a line. A statement whose tables changed
// (a snapshot restored, a schema upgraded) is prepared again by SQLite.
func openReaders(path string, size int) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_query_only", "1")
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	q.Set("_foreign_keys", "on")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open readers on %s: %w", path, err)
	}
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open readers on %s: %w", path, err)
	}
	return db, nil
}

// stmtCacheSize is how many prepared statements each connection keeps:
// more than the distinct queries of the hot paths.
const stmtCacheSize = 128
