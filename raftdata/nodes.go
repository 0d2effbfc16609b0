package raftdata

import (
	"database/sql"
	"errors"
)

// raftdata's own commands and tables: where each node answers HTTP (for
// forwarding and joins), and whether the cluster's bootstrap is complete.
const (
	cmdNodeSet      = "raftdata.node.set"
	cmdNodeRemoved  = "raftdata.node.removed"
	cmdBootstrapped = "raftdata.bootstrapped"
)

const raftdataSchema = `
CREATE TABLE IF NOT EXISTS raftdata_meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS raftdata_commands (
	id     TEXT PRIMARY KEY,
	idx    INTEGER NOT NULL,
	time   INTEGER NOT NULL,
	result BLOB
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS raftdata_commands_time ON raftdata_commands(time);
CREATE TABLE IF NOT EXISTS raftdata_nodes (
	id        TEXT PRIMARY KEY,
	raft_addr TEXT NOT NULL,
	http_url TEXT NOT NULL
) WITHOUT ROWID;
`

type nodeInfo struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPURL  string `json:"http_url"`
}

func applyNodeSet(tx *Tx, cmd Command) (any, error) {
	var n nodeInfo
	if err := cmd.Decode(&n); err != nil {
		return nil, Errorf(CodeInvalid, "%v", err)
	}
	if n.ID == "" || n.RaftAddr == "" || n.HTTPURL == "" {
		return nil, Errorf(CodeInvalid, "a node needs an id, a raft address and an http address")
	}
	_, err := tx.Exec(`INSERT INTO raftdata_nodes(id, raft_addr, http_url) VALUES(?,?,?)
		ON CONFLICT(id) DO UPDATE SET raft_addr=excluded.raft_addr, http_url=excluded.http_url`,
		n.ID, n.RaftAddr, n.HTTPURL)
	return nil, err
}

func applyNodeRemoved(tx *Tx, cmd Command) (any, error) {
	var n nodeInfo
	if err := cmd.Decode(&n); err != nil {
		return nil, Errorf(CodeInvalid, "%v", err)
	}
	_, err := tx.Exec(`DELETE FROM raftdata_nodes WHERE id = ?`, n.ID)
	return nil, err
}

func applyBootstrapped(tx *Tx, cmd Command) (any, error) {
	_, err := tx.Exec(`INSERT OR REPLACE INTO raftdata_meta(key, value) VALUES('bootstrapped', 1)`)
	return nil, err
}

// lookupNode reads a node's addresses from the local copy.
func lookupNode(db *sql.DB, id string) (nodeInfo, bool, error) {
	n := nodeInfo{ID: id}
	err := db.QueryRow(`SELECT raft_addr, http_url FROM raftdata_nodes WHERE id = ?`, id).Scan(&n.RaftAddr, &n.HTTPURL)
	if errors.Is(err, sql.ErrNoRows) {
		return n, false, nil
	}
	return n, err == nil, err
}
