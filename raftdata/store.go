package raftdata

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config says where a node keeps its data and how it talks to its peers.
type Config struct {
	NodeID string // unique in the cluster; stable across restarts
	Dir    string // holds state.db, raft.db and snapshots/

	RaftBind      string // address the Raft transport listens on
	RaftAdvertise string // address peers dial; defaults to the bound address
	// HTTPURL is the base URL at which peers reach this node's HTTP server,
	// where Handler is mounted (forwarded writes, joins, read index).
	HTTPURL string
	// ClusterKey is the secret every node of the cluster shares (at least
	// MinClusterKeyLength bytes; NewClusterKey makes one). Without TLS it
	// is required: every node-to-node HTTP call is signed with it and every
	// Raft connection proves it when it opens (clusterkey.go); no address
	// is trusted. With TLS it is not used.
	ClusterKey string
	// Bootstrap starts a new one-node cluster when the directory holds no
	// Raft state. A node that joins an existing cluster leaves it false.
	Bootstrap bool
	// TLS, if set, makes the cluster run mutual TLS: Raft over TLS 1.3 with
	// certificates from TLS.CA on both ends, node-to-node HTTP presenting
	// this node's certificate, and the node-to-node API answering only
	// peers with a certificate from the CA (the cluster key is not used).
	// HTTPURL is then an https URL.
	TLS *TLS
	// Network, if set, carries this node's connections to its peers: fault
	// tests cut links with it. nil in production.
	Network *Network

	Logger        *slog.Logger
	RaftLogOutput io.Writer // hashicorp/raft's own log (warnings and up); nil: discarded
	Now           func() time.Time

	HeartbeatTimeout  time.Duration
	ElectionTimeout   time.Duration
	SnapshotThreshold uint64 // log entries between snapshots
	SnapshotInterval  time.Duration
	TrailingLogs      uint64 // entries kept after a snapshot for slow followers
	Readers           int    // size of the read-only connection pool
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.RaftLogOutput == nil {
		c.RaftLogOutput = io.Discard
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = 400 * time.Millisecond
	}
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = 400 * time.Millisecond
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 8192
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = 30 * time.Second
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 4096
	}
	if c.Readers == 0 {
		c.Readers = 8
	}
}

func (c *Config) validate() error {
	switch {
	case c.NodeID == "":
		return errors.New("a node id is required")
	case c.Dir == "":
		return errors.New("a data directory is required")
	case c.RaftBind == "":
		return errors.New("a raft address is required")
	case c.HTTPURL == "":
		return errors.New("the node's HTTP URL is required")
	case c.TLS == nil && c.ClusterKey == "":
		return errors.New("a cluster key (or mutual TLS) is required: peers prove it on every node-to-node call and Raft connection, no address is trusted")
	}
	return nil
}

// Store is one node of the replicated SQLite database.
type Store struct {
	cfg    Config
	logger *slog.Logger
	raft   *raft.Raft
	trans  *raftTransport // raftrpc.go
	key    *clusterKey    // nil under mutual TLS
	denied *refusalLog    // callers without the key or certificate (clusterkey.go)
	logs   *logStore
	// logCache is raft's view of the log (recent entries in memory).
	logCache raft.LogStore
	state    *stateDB
	client   *http.Client
	// forwarder sends the writes proposed on this follower to the
	// leader, batched (forward.go).
	forwarder *forwarder

	applyLatency latency // status.go: writes proposed on this node, to their result

	opened      time.Time     // when Open started Raft: the first "contact"
	barrierTerm atomic.Uint64 // term in which this node, as leader, ran its barrier
	compactMu   sync.Mutex    // one compaction at a time
	closeOnce   sync.Once
	closed      chan struct{}
	wg          sync.WaitGroup
}

// Open starts a node: it opens (or creates) the databases in cfg.Dir,
// checks the snapshots, and starts Raft. Handlers must all be registered in
// reg before Open.
func Open(cfg Config, reg *Registry) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	s := &Store{cfg: cfg, logger: cfg.Logger, closed: make(chan struct{}), opened: time.Now(), denied: &refusalLog{logger: cfg.Logger}}
	s.forwarder = newForwarder(s)
	if cfg.TLS == nil {
		var err error
		if s.key, err = deriveClusterKey(cfg.ClusterKey); err != nil {
			return nil, err
		}
	}
	dialPeer := dialTCP
	if cfg.Network != nil {
		dialPeer = cfg.Network.dialer(cfg.NodeID, dialTCP)
	}
	httpTransport := &http.Transport{
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialPeer(ctx, addr)
		},
	}
	if cfg.TLS != nil {
		httpTransport.TLSClientConfig = cfg.TLS.clientConfig()
	}
	s.client = &http.Client{Timeout: 15 * time.Second, Transport: httpTransport}
	ok := false
	defer func() {
		if !ok {
			s.closeResources()
		}
	}()

	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: cfg.RaftLogOutput, JSONFormat: true})
	snapDir := filepath.Join(cfg.Dir, "snapshots")
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 1, hlog)
	if err != nil {
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}
	if err := verifySnapshots(snaps, snapDir); err != nil {
		return nil, err
	}
	if err := removeStaleCopies(cfg.Dir); err != nil {
		return nil, err
	}
	if s.state, err = openStateDB(filepath.Join(cfg.Dir, "state.db"), reg, cfg.Logger, cfg.Readers); err != nil {
		return nil, err
	}
	s.state.stopRetries = s.closed // apply.go: Close ends the retries of a failing disk
	if s.logs, err = openLogStore(filepath.Join(cfg.Dir, "raft.db")); err != nil {
		return nil, err
	}
	cache, err := raft.NewLogCache(1024, s.logs)
	if err != nil {
		return nil, err
	}
	s.logCache = cache

	var advertise net.Addr
	if cfg.RaftAdvertise != "" {
		if advertise, err = net.ResolveTCPAddr("tcp", cfg.RaftAdvertise); err != nil {
			return nil, fmt.Errorf("raft advertise address %q: %w", cfg.RaftAdvertise, err)
		}
	}
	stream, err := newStreamLayer(cfg.RaftBind, advertise, cfg.TLS, s.key, dialPeer, func(remote net.Addr, err error) {
		s.denied.log("raft connection dropped", remote.String(), err.Error())
	})
	if err != nil {
		return nil, fmt.Errorf("listen for raft on %s: %w", cfg.RaftBind, err)
	}
	s.trans = newRaftTransport(raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 4, Timeout: 10 * time.Second, Logger: hlog,
	}), cfg.ElectionTimeout, cfg.HeartbeatTimeout/4)
	if cfg.Network != nil {
		cfg.Network.register(cfg.NodeID, string(s.trans.LocalAddr()), hostPort(cfg.HTTPURL))
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.HeartbeatTimeout / 2
	// How often an idle leader tells followers the commit index (5 to
	// 10 ms). A follower calls its reads stale when its leader's commit
	// indexes stop reaching it for an election timeout (contact.go), so
	// this must stay well under ElectionTimeout. A write forwarded by a
	// follower does not wait for it (commitnotice.go).
	rc.CommitTimeout = 5 * time.Millisecond
	rc.MaxAppendEntries = 256
	rc.BatchApplyCh = true
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs
	rc.NoLegacyTelemetry = true

	hasState, err := raft.HasExistingState(cache, s.logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("inspect raft state: %w", err)
	}
	adopted, err := s.adoptRestore(snaps, hasState) // a directory from PrepareRestore
	if err != nil {
		return nil, err
	}
	hasState = hasState || adopted
	s.raft, err = raft.NewRaft(rc, fsm{s.state}, cache, s.logs, snaps, s.trans)
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	if cfg.Bootstrap && !hasState {
		boot := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: s.trans.LocalAddr()}}}
		if err := s.raft.BootstrapCluster(boot).Error(); err != nil {
			return nil, fmt.Errorf("bootstrap cluster: %w", err)
		}
	}
	ok = true
	s.wg.Add(2)
	go s.registerSelf()
	go s.compactor()
	return s, nil
}

// SetPublisher sets where events go once their command is committed. It
// must not block: it runs on the FSM's goroutine. Events applied before it
// is set are not published.
func (s *Store) SetPublisher(publish func([]Event)) { s.state.publish.Store(&publish) }

// Dir is the node's data directory.
func (s *Store) Dir() string { return s.cfg.Dir }

// NodeID is this node's id.
func (s *Store) NodeID() string { return s.cfg.NodeID }

// RaftAddr is the address peers dial for Raft.
func (s *Store) RaftAddr() string { return string(s.trans.LocalAddr()) }

// DB is the local, query-only view of the state: fast, and possibly behind
// the leader. Call Sync first when a read must see every earlier write.
// Each connection of the pool keeps the statements it ran prepared
// (sqlite.go), so hot queries are not prepared again on every call.
func (s *Store) DB() *sql.DB { return s.state.readers }

// Shared returns what a package shared under key in the store's registry
// (Registry.Share), or nil.
func (s *Store) Shared(key any) any { return s.state.registry.shared[key] }

// AppliedIndex is the index of the last entry applied to the local state.
// It grows once the entry's transaction has committed: a read of the
// local state that starts after it sees that entry.
func (s *Store) AppliedIndex() uint64 { return s.state.appliedIndex() }

// IsLeader tells whether this node is the leader right now.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// Apply stamps a command of type typ and applies it through the cluster.
func (s *Store) Apply(ctx context.Context, typ string, payload any) (json.RawMessage, error) {
	cmd, err := NewCommand(typ, payload, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	return s.ApplyCommand(ctx, cmd)
}

// defaultApplyTimeout bounds a write whose context has no deadline.
const defaultApplyTimeout = 10 * time.Second

// ApplyCommand applies an already stamped command: on the leader directly,
// on a follower by forwarding it to the leader. After a leader change or a
// lost answer it retries with the same command id; the FSM applies an id
// once, so a retry never applies a command twice. The result is the
// handlers' value, or their refusal as an *Error.
func (s *Store) ApplyCommand(ctx context.Context, cmd Command) (json.RawMessage, error) {
	defer s.applyLatency.since(time.Now())
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultApplyTimeout)
		defer cancel()
	}
	data, err := encodeCommand(cmd)
	if err != nil {
		return nil, err
	}
	backoff := 5 * time.Millisecond
	for {
		var res Result
		var err error
		if s.IsLeader() {
			res, err = s.applyLocal(ctx, data)
		} else if res, err = s.forwardApply(ctx, data); err == nil && res.Index > 0 {
			// Read your writes: this node's copy holds the command before
			// its caller goes on (the leader answered once it applied it;
			// commitnotice.go tells raft at once).
			if werr := s.catchUp(ctx, res.Index, res.Term); werr != nil {
				return nil, Errorf(CodeUnavailable, "the write is committed, but this node has not applied it yet: read from the leader or retry the read")
			}
		}
		if err == nil {
			if res.Err != nil {
				return nil, res.Err
			}
			return res.Value, nil
		}
		if !retryable(err) {
			return nil, err
		}
		if s.cutOff() {
			return nil, errCutOff()
		}
		select {
		case <-ctx.Done():
			return nil, Errorf(CodeUnavailable, "the write was not confirmed in time (%v); retrying it is safe", err)
		case <-s.closed:
			return nil, Errorf(CodeUnavailable, "this node is shutting down")
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 250*time.Millisecond)
	}
}

// errNotLeader and errRetry mark failures after which the same command may
// be sent again.
var (
	errNotLeader = errors.New("not the leader")
	errNoLeader  = errors.New("no leader known")
)

type retryError struct{ err error }

func (e retryError) Error() string { return e.err.Error() }
func (e retryError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var r retryError
	return errors.As(err, &r)
}

// applyLocal submits data to Raft on the leader and waits for the result or
// the context's end, whichever comes first: raft's own timeout bounds only
// the enqueue.
func (s *Store) applyLocal(ctx context.Context, data []byte) (Result, error) {
	out := s.applyLocalAll(ctx, data)[0]
	return out.res, out.err
}

// applyLocalAll submits every command to Raft at once (raft batches them)
// and waits for their results, or the context's end.
func (s *Store) applyLocalAll(ctx context.Context, cmds ...[]byte) []forwarded {
	timeout := time.Until(deadline(ctx))
	futures := make([]raft.ApplyFuture, len(cmds))
	for i, data := range cmds {
		futures[i] = s.raft.Apply(data, timeout)
	}
	done := make(chan []forwarded, 1)
	go func() {
		out := make([]forwarded, len(futures))
		for i, f := range futures {
			out[i].res, out[i].err = appliedResult(f)
		}
		done <- out
	}()
	select {
	case out := <-done:
		return out
	case <-ctx.Done():
		out := make([]forwarded, len(cmds))
		for i := range out {
			out[i].err = Errorf(CodeUnavailable, "the write was not confirmed in time; retrying it is safe")
		}
		return out
	}
}

// appliedResult waits for f and tells its result, or whether sending the
// command again may succeed.
func appliedResult(f raft.ApplyFuture) (Result, error) {
	err := f.Error()
	switch {
	case err == nil:
		res, _ := f.Response().(Result)
		res.Index = f.Index()
		return res, nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrEnqueueTimeout):
		return Result{}, retryError{err}
	case errors.Is(err, raft.ErrRaftShutdown):
		return Result{}, Errorf(CodeUnavailable, "this node is shutting down")
	default:
		return Result{}, fmt.Errorf("apply: %w", err)
	}
}

func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(defaultApplyTimeout)
}

// leaderURL returns the HTTP base URL of the current leader.
func (s *Store) leaderURL() (string, error) {
	_, id := s.raft.LeaderWithID()
	if id == "" {
		return "", retryError{errNoLeader}
	}
	n, found, err := lookupNode(s.state.readers, string(id))
	if err != nil {
		return "", err
	}
	if !found {
		return "", retryError{fmt.Errorf("leader %s has not published its HTTP address yet", id)}
	}
	return n.HTTPURL, nil
}

// Sync makes the local state include every write acknowledged before the
// call (a linearizable read follows). On the leader: a barrier once per
// term, the commit index, a leadership check; on a follower the leader
// answers that index over HTTP. Then it waits until the local FSM has
// applied it.
func (s *Store) Sync(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultApplyTimeout)
		defer cancel()
	}
	backoff := 5 * time.Millisecond
	for {
		var idx uint64
		var err error
		if s.IsLeader() {
			idx, err = s.readIndex(ctx)
		} else {
			idx, err = s.fetchReadIndex(ctx)
		}
		if err == nil {
			return s.state.waitApplied(ctx, idx)
		}
		if !retryable(err) {
			return err
		}
		if s.cutOff() {
			return errCutOff()
		}
		select {
		case <-ctx.Done():
			return Errorf(CodeUnavailable, "cannot confirm the latest state: %v", err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 250*time.Millisecond)
	}
}

// readIndex runs on the leader: it returns an index such that any state at
// or past it includes every write acknowledged before the call.
func (s *Store) readIndex(ctx context.Context) (uint64, error) {
	term := s.raft.CurrentTerm()
	if s.barrierTerm.Load() != term {
		if err := s.raft.Barrier(time.Until(deadline(ctx))).Error(); err != nil {
			return 0, retryError{fmt.Errorf("barrier: %w", err)}
		}
		s.barrierTerm.Store(term)
	}
	// Every write acknowledged before this call is applied here: by this
	// leader before it answered, or by an earlier one and then covered by
	// the barrier. The FSM's own index is used (not the commit index)
	// because barriers and no-ops never reach an FSM, and a follower waits
	// for an index its FSM will see.
	idx := s.state.appliedIndex()
	if err := waitFuture(ctx, s.raft.VerifyLeader()); err != nil {
		return 0, retryError{fmt.Errorf("verify leader: %w", err)}
	}
	return idx, nil
}

func waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Join adds a node as a voter. On a follower the request goes to the leader.
func (s *Store) Join(ctx context.Context, id, raftAddr, httpURL string) error {
	n := nodeInfo{ID: id, RaftAddr: raftAddr, HTTPURL: httpURL}
	if n.ID == "" || n.RaftAddr == "" || n.HTTPURL == "" {
		return Errorf(CodeInvalid, "a joining node needs an id, a raft address and an http URL")
	}
	if !s.IsLeader() {
		return s.forwardMembership(ctx, pathJoin, n)
	}
	cf := s.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	present := false
	for _, srv := range cf.Configuration().Servers {
		switch {
		case srv.ID == raft.ServerID(id) && srv.Address == raft.ServerAddress(raftAddr):
			present = true
		case srv.ID == raft.ServerID(id) || srv.Address == raft.ServerAddress(raftAddr):
			if err := waitFuture(ctx, s.raft.RemoveServer(srv.ID, 0, 0)); err != nil {
				return fmt.Errorf("remove stale entry for %s: %w", srv.ID, err)
			}
		}
	}
	if !present {
		if err := waitFuture(ctx, s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, 0)); err != nil {
			return fmt.Errorf("add voter %s: %w", id, err)
		}
		s.logger.Info("node joined", "node", id, "raft", raftAddr)
	}
	_, err := s.Apply(ctx, cmdNodeSet, n)
	return err
}

// Remove takes a node out of the cluster.
func (s *Store) Remove(ctx context.Context, id string) error {
	if id == "" {
		return Errorf(CodeInvalid, "which node? the id is empty")
	}
	if !s.IsLeader() {
		return s.forwardMembership(ctx, pathRemove, nodeInfo{ID: id})
	}
	cf := s.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	found := false
	for _, srv := range cf.Configuration().Servers {
		found = found || srv.ID == raft.ServerID(id)
	}
	if !found {
		return Errorf(CodeNotFound, "no node %q in the cluster", id)
	}
	if err := waitFuture(ctx, s.raft.RemoveServer(raft.ServerID(id), 0, 0)); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	s.logger.Info("node removed", "node", id)
	_, err := s.Apply(ctx, cmdNodeRemoved, nodeInfo{ID: id})
	return err
}

// registerSelf publishes this node's HTTP address in the replicated state
// once a leader is known, so that peers can forward to it. It retries until
// it succeeds or the node closes.
func (s *Store) registerSelf() {
	defer s.wg.Done()
	me := nodeInfo{ID: s.cfg.NodeID, RaftAddr: s.RaftAddr(), HTTPURL: s.cfg.HTTPURL}
	for {
		n, found, err := lookupNode(s.state.readers, me.ID)
		if err == nil && found && n == me {
			return
		}
		if _, id := s.raft.LeaderWithID(); id != "" && s.inConfiguration() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.Apply(ctx, cmdNodeSet, me)
			cancel()
			if err == nil {
				return
			}
		}
		select {
		case <-s.closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Store) inConfiguration() bool {
	cf := s.raft.GetConfiguration()
	if cf.Error() != nil {
		return false
	}
	for _, srv := range cf.Configuration().Servers {
		if srv.ID == raft.ServerID(s.cfg.NodeID) {
			return true
		}
	}
	return false
}

// Bootstrapped tells whether the cluster's bootstrap (first accounts,
// rulebook, demo data) is in the local state.
func (s *Store) Bootstrapped() bool {
	var v int
	err := s.state.readers.QueryRow(`SELECT value FROM raftdata_meta WHERE key = 'bootstrapped'`).Scan(&v)
	return err == nil && v == 1
}

// MarkBootstrapped records, through the log, that bootstrap is complete.
func (s *Store) MarkBootstrapped(ctx context.Context) error {
	_, err := s.Apply(ctx, cmdBootstrapped, struct{}{})
	return err
}

// Ready tells whether this node can serve: it knows a leader and has applied
// everything it knows to be committed.
func (s *Store) Ready() bool {
	if _, id := s.raft.LeaderWithID(); id == "" {
		return false
	}
	// raft's applied index counts no-ops and barriers too (the FSM never
	// sees them); it is handed to the FSM just before the FSM applies it.
	return s.raft.AppliedIndex() >= s.raft.CommitIndex()
}

// Compact takes a snapshot and drops every log entry it covers, then
// empties the WALs of both databases: after it, a deleted row survives in
// no file of this node. Erasure triggers it on every node.
//
// Raft drops the log when the snapshot ends, keeping TrailingLogs entries
// as the setting is then: it stays at 0 until the snapshot has ended,
// however long that takes (minutes for a database of gigabytes), even if
// ctx ends first; the next compaction waits for it.
func (s *Store) Compact(ctx context.Context) error {
	s.compactMu.Lock()
	rc := s.raft.ReloadableConfig()
	keep := rc.TrailingLogs
	rc.TrailingLogs = 0
	if err := s.raft.ReloadConfig(rc); err != nil {
		s.compactMu.Unlock()
		return fmt.Errorf("compact: %w", err)
	}
	snapshot := s.raft.Snapshot()
	done := make(chan error, 1)
	go func() {
		defer s.compactMu.Unlock()
		err := snapshot.Error()
		rc.TrailingLogs = keep
		if rerr := s.raft.ReloadConfig(rc); rerr != nil && err == nil {
			err = rerr
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("compact: snapshot still running: %w", ctx.Err())
	}
	if err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return fmt.Errorf("compact: snapshot: %w", err)
	}
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	s.state.mu.Lock()
	_, err = s.state.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	s.state.mu.Unlock()
	if err != nil {
		return fmt.Errorf("compact: checkpoint state: %w", err)
	}
	return s.logs.truncateWAL()
}

// compactionDelay gathers the compaction requests of a burst of erasures
// into one compaction.
const compactionDelay = time.Second

// compactor runs the compactions that applied commands ask for. A
// compaction takes as long as its snapshot (minutes for a database of
// gigabytes: docs/scaling.md); only Close cuts it short.
func (s *Store) compactor() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.closed
		cancel()
	}()
	for {
		select {
		case <-s.closed:
			return
		case <-s.state.compactCh:
		}
		select {
		case <-s.closed:
			return
		case <-time.After(compactionDelay):
		}
		err := s.Compact(ctx)
		if err != nil {
			s.logger.Error("compaction failed; retrying", "error", err)
			s.state.requestCompaction()
		} else {
			s.logger.Info("compacted after erasure", "index", s.state.appliedIndex())
		}
	}
}

// Close leaves the cluster's service cleanly: a leader hands over its role
// first so that writes move on at once, then Raft stops and the files close.
// Acknowledged writes are in the log of a majority already; nothing is lost.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.IsLeader() && s.peerCount() > 1 {
			if terr := s.raft.LeadershipTransfer().Error(); terr != nil {
				s.logger.Warn("leadership transfer before shutdown", "error", terr)
			}
		}
		s.wg.Wait()
		err = s.closeResources()
	})
	return err
}

// Crash stops the node at once, as a killed process would: no leadership
// handover, nothing flushed beyond what is already durable. Fault tests
// use it; an operator stops a node with Close.
func (s *Store) Crash() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.wg.Wait()
		err = s.closeResources()
	})
	return err
}

func (s *Store) peerCount() int {
	cf := s.raft.GetConfiguration()
	if cf.Error() != nil {
		return 0
	}
	return len(cf.Configuration().Servers)
}

func (s *Store) closeResources() error {
	var errs []error
	if s.raft != nil {
		errs = append(errs, s.raft.Shutdown().Error())
	}
	if s.trans != nil {
		errs = append(errs, s.trans.Close())
	}
	if s.logs != nil {
		errs = append(errs, s.logs.Close())
	}
	if s.state != nil {
		errs = append(errs, s.state.close())
	}
	return errors.Join(errs...)
}
