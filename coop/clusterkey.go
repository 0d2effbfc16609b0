package main

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"coop/raftdata"
)

// clusterKeyFile is where a node keeps its cluster's key, in its data
// directory, readable only by its owner. Every node of a cluster holds the
// same key (unless the cluster runs mutual TLS): it proves it on every
// node-to-node call and Raft connection (raftdata/clusterkey.go).
const clusterKeyFile = "cluster-key"

// givenClusterKey is the key --cluster-key or --cluster-key-file gives,
// without surrounding spaces; "" when neither is set.
func (cfg Config) givenClusterKey() (string, error) {
	if cfg.ClusterKeyFile == "" {
		return strings.TrimSpace(cfg.ClusterKey), nil
	}
	raw, err := os.ReadFile(cfg.ClusterKeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("--cluster-key-file %q: no such file (a copy of the first node's DATA/%s)", cfg.ClusterKeyFile, clusterKeyFile)
	case err != nil:
		return "", fmt.Errorf("--cluster-key-file %q: cannot read it (%v)", cfg.ClusterKeyFile, errors.Unwrap(err))
	}
	return strings.TrimSpace(string(raw)), nil
}

// validateClusterKey checks the cluster key settings, one sentence per
// problem.
func (cfg Config) validateClusterKey() []error {
	switch {
	case cfg.ClusterKey == "" && cfg.ClusterKeyFile == "":
		return nil
	case cfg.ClusterKey != "" && cfg.ClusterKeyFile != "":
		return []error{errors.New("give the cluster key once: --cluster-key (or COOP_CLUSTER_KEY) or --cluster-key-file (or COOP_CLUSTER_KEY_FILE), not both")}
	case cfg.TLSCA != "":
		return []error{errors.New("--cluster-key and --cluster-key-file are not used with --tls-ca: in a mutual TLS cluster the CA's certificates prove the nodes; give one or the other")}
	}
	key, err := cfg.givenClusterKey()
	if err != nil {
		return []error{err}
	}
	if err := raftdata.CheckClusterKey(key); err != nil {
		source := "--cluster-key (or COOP_CLUSTER_KEY)"
		if cfg.ClusterKeyFile != "" {
			source = fmt.Sprintf("--cluster-key-file %q", cfg.ClusterKeyFile)
		}
		return []error{fmt.Errorf("%s is too short: %v; the first node of a cluster makes one in DATA/%s", source, err, clusterKeyFile)}
	}
	return nil
}

// loadClusterKey returns the key this node proves to its peers: "" under
// mutual TLS (--tls-ca). A node keeps its key in DATA/cluster-key: the
// first node of a new cluster (or of a restored backup, which is a new
// cluster) stores the key it was given or makes a random one; a joining
// node stores the one it was given once its join succeeded (keepJoinKey),
// so that a wrong key leaves nothing behind. Later starts read the file and
// need no key; a key given then must be the same.
func (n *Node) loadClusterKey(raftDir string) (string, error) {
	cfg := n.Config
	if cfg.TLSCA != "" {
		return "", nil
	}
	n.keyFile = filepath.Join(cfg.Data, clusterKeyFile)
	given, err := cfg.givenClusterKey()
	if err != nil {
		return "", err
	}
	stored, err := n.readClusterKeyFile()
	if err != nil {
		return "", err
	}
	hasState := false
	if stored == "" && given == "" && cfg.Join == "" {
		if hasState, err = raftdata.HasRaftState(raftDir); err != nil {
			return "", fmt.Errorf("read the node's Raft state: %w", err)
		}
	}
	switch {
	case stored != "":
		if given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(stored)) != 1 {
			return "", fmt.Errorf("%s holds this node's cluster key, and the key given is another one: a node keeps its cluster's key; give the same key, or none", n.keyFile)
		}
		return stored, nil
	case given != "" && cfg.Join != "":
		n.joinKey = given
		return given, nil
	case given != "":
		if err := writeClusterKey(n.keyFile, given); err != nil {
			return "", err
		}
		n.log.Info("cluster key kept", "key_file", n.keyFile)
		return given, nil
	case cfg.Join != "":
		return "", fmt.Errorf("a node that joins a cluster needs the cluster key: give --cluster-key-file with a copy of the first node's DATA/%s (or COOP_CLUSTER_KEY)", clusterKeyFile)
	case hasState:
		return "", fmt.Errorf("%s holds a node of a cluster but no cluster key (%s): give the cluster's key once with --cluster-key-file or COOP_CLUSTER_KEY, the same on every node (for a cluster of this node alone, any new key of at least %d characters)",
			cfg.Data, n.keyFile, raftdata.MinClusterKeyLength)
	}
	key := raftdata.NewClusterKey()
	if err := writeClusterKey(n.keyFile, key); err != nil {
		return "", err
	}
	fmt.Fprintf(n.logs, "coop: cluster key created in %s (readable only by you); a node joins this cluster with --cluster-key-file and a copy of it\n", n.keyFile)
	n.log.Info("cluster key created", "key_file", n.keyFile)
	return key, nil
}

// keepJoinKey stores the key a node joined with, once the join succeeded.
func (n *Node) keepJoinKey() error {
	if n.joinKey == "" {
		return nil
	}
	if err := writeClusterKey(n.keyFile, n.joinKey); err != nil {
		return err
	}
	n.log.Info("cluster key kept", "key_file", n.keyFile)
	return nil
}

// readClusterKeyFile reads DATA/cluster-key: "" when there is none.
func (n *Node) readClusterKeyFile() (string, error) {
	raw, err := os.ReadFile(n.keyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read the cluster key: %w", err)
	}
	key := strings.TrimSpace(string(raw))
	if err := raftdata.CheckClusterKey(key); err != nil {
		return "", fmt.Errorf("%s does not hold a cluster key: %v", n.keyFile, err)
	}
	if st, err := os.Stat(n.keyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
		n.log.Warn("the cluster key file can be read by others than its owner: chmod 600 it", "key_file", n.keyFile)
	}
	return key, nil
}

// writeClusterKey writes key to path, readable only by its owner, whole or
// not at all.
func writeClusterKey(path, key string) error {
	tmp := path + ".tmp"
	os.Remove(tmp) // a leftover would keep its own permissions
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keep the cluster key: %w", err)
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep the cluster key: %w", err)
	}
	return nil
}
