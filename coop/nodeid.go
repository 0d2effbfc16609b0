package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// resolveNodeID returns the node's id. A node keeps its id for life: the
// first start stores it in dir/node-id (the one given, or a new random
// one), and later starts read it back. A different --node-id on an
// existing directory is refused: Raft knows the node by its old id.
func resolveNodeID(dir, given string) (string, error) {
	path := filepath.Join(dir, "node-id")
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		stored := strings.TrimSpace(string(raw))
		if !validNodeID(stored) {
			return "", fmt.Errorf("%s holds %q, which is not a node id", path, stored)
		}
		if given != "" && given != stored {
			return "", fmt.Errorf("%s belongs to node %q, not %q: a node keeps its id; use another data directory for a new node", dir, stored, given)
		}
		return stored, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read node id: %w", err)
	}
	id := given
	if id == "" {
		var b [4]byte
		rand.Read(b[:])
		id = "node-" + hex.EncodeToString(b[:])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store node id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("store node id: %w", err)
	}
	return id, nil
}
