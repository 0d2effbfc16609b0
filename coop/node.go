package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui"
	"coop/ui/mail"
)

// Node is one running coop node: the data directory's lock, the replicated
// store, NATS, and the HTTP server. `coop serve` runs one; tests start
// several in one process through the same code:
//
//	n := NewNode(cfg, os.Stderr)
//	if err := n.Start(ctx); err != nil { ... }
//	defer n.Close()
type Node struct {
	Config Config

	logs   io.Writer
	log    *slog.Logger
	id     string
	url    string
	lock   *os.File
	ln     net.Listener
	store  *raftdata.Store
	events *events
	ns     *server.Server // nil with an external NATS
	nc     *nats.Conn
	app    *fiber.App

	governance *governance.Service
	members    *members.Service
	pooling    *pooling.Service
	proposals  *proposals.Service
	keyFile    string // DATA/cluster-key; "" under mutual TLS (clusterkey.go)
	joinKey    string // the key a joining node keeps once it joined

	// network, set by fault tests before Start, carries the node's
	// connections to its peers so that a test can cut them.
	network *raftdata.Network
	// extend, set by benchmarks before Start and never in production,
	// adds command handlers before the store opens and routes once the
	// HTTP app exists (the baseline route of bench_http_test.go).
	extend *nodeExtension
	failed chan error    // the HTTP server stopped on its own
	served chan struct{} // closed when the HTTP server has returned

	ctx       context.Context // ends when Close starts
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// nodeExtension is what a benchmark adds to a node.
type nodeExtension struct {
	register func(*raftdata.Registry)
	routes   func(*fiber.App)
}

// NewNode prepares a node; nothing runs before Start. Logs (JSON lines)
// go to logs.
func NewNode(cfg Config, logs io.Writer) *Node {
	ctx, cancel := context.WithCancel(context.Background())
	return &Node{
		Config: cfg,
		logs:   logs,
		log:    slog.New(slog.NewJSONHandler(logs, nil)),
		failed: make(chan error, 1),
		served: make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
	}
}

// ID is the node's id, known once Start has locked the data directory.
func (n *Node) ID() string { return n.id }

// URL is the base URL at which peers and clients reach the node's HTTP.
func (n *Node) URL() string { return n.url }

// Store is the node's replicated store.
func (n *Node) Store() *raftdata.Store { return n.store }

// NATS is the node's connection to NATS, where its events are published.
func (n *Node) NATS() *nats.Conn { return n.nc }

// Failed reports an HTTP server that stopped on its own after Start.
func (n *Node) Failed() <-chan error { return n.failed }

// Start brings the node up, in this order: lock the data directory, listen
// for HTTP (so the advertised URL is known even on port 0), open the store,
// start NATS and the event stream, serve HTTP, join the cluster if asked,
// and start the bootstrap loop. It returns once the node serves; on error
// it releases whatever it took. ctx bounds the join.
func (n *Node) Start(ctx context.Context) error {
	if err := n.start(ctx); err != nil {
		n.Close()
		return err
	}
	return nil
}

func (n *Node) start(ctx context.Context) error {
	cfg := n.Config
	var err error
	if n.lock, err = lockDataDir(cfg.Data); err != nil {
		return err
	}
	if n.id, err = resolveNodeID(cfg.Data, cfg.NodeID); err != nil {
		return err
	}
	n.log = n.log.With("node", n.id)

	httpTLS, clusterTLS, err := loadTLS(cfg)
	if err != nil {
		return err
	}
	raftDir := filepath.Join(cfg.Data, "raft")
	clusterKey, err := n.loadClusterKey(raftDir)
	if err != nil {
		return err
	}
	proxies, err := parseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	raw, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return fmt.Errorf("listen for HTTP on %s: %w", cfg.HTTP, err)
	}
	n.ln = newStoppingListener(raw) // the shutdown waits for no silent client
	scheme := "http://"
	if httpTLS != nil {
		n.ln = tls.NewListener(n.ln, httpTLS)
		scheme = "https://"
	}
	n.url = strings.TrimRight(cfg.AdvertiseHTTP, "/")
	if n.url == "" {
		n.url = scheme + n.ln.Addr().String()
	}

	rules := governance.Default()
	if cfg.Demo {
		rules = demoRules()
	}
	if cfg.Rules != "" {
		if rules, err = governance.Load(cfg.Rules); err != nil {
			return fmt.Errorf("--rules: %w", err)
		}
	}
	reg := raftdata.NewRegistry()
	registerDomains(reg)
	if n.extend != nil {
		n.extend.register(reg)
	}
	n.store, err = raftdata.Open(raftdata.Config{
		NodeID:        n.id,
		Dir:           raftDir,
		RaftBind:      cfg.Raft,
		RaftAdvertise: cfg.AdvertiseRaft,
		HTTPURL:       n.url,
		ClusterKey:    clusterKey,
		TLS:           clusterTLS,
		Network:       n.network,
		Bootstrap:     cfg.Join == "",
		Logger:        n.log.With("component", "raftdata"),
		RaftLogOutput: n.logs,
		// Snapshot settings (config.go); 0 keeps raftdata's defaults.
		SnapshotThreshold: cfg.SnapshotThreshold,
		TrailingLogs:      cfg.SnapshotThreshold / 2,
		SnapshotInterval:  cfg.SnapshotInterval,
	}, reg)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	// Set at once: Raft already runs, and events queue until NATS is up.
	n.events = newEvents(n.log.With("component", "events"))
	n.store.SetPublisher(n.events.publish)

	if err := n.startNATS(ctx); err != nil {
		return err
	}

	n.governance = governance.New(n.store)
	n.members = members.New(n.store, members.Options{Logger: n.log.With("component", "members"), Rulebook: n.governance})
	n.pooling = pooling.New(n.store)
	n.proposals = proposals.New(n.store, proposals.Options{Logger: n.log.With("component", "proposals"), Pooling: n.pooling})
	zone, err := cfg.Location()
	if err != nil {
		return fmt.Errorf("--timezone %q: %w", cfg.Timezone, err)
	}
	var mailer ui.Mailer
	if cfg.SMTP != "" {
		sender, err := mail.Parse(cfg.SMTP)
		if err != nil {
			return fmt.Errorf("--smtp: %w", err)
		}
		mailer = sender
		n.log.Info("emails go through the mail server", "smtp", sender.String())
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = n.url
	}
	n.app = ui.New(ui.Deps{
		Location:  zone,
		Mailer:    mailer,
		PublicURL: publicURL,
		Cluster:   n.store,
		Members:   n.members,
		Rules:     n.governance,
		Pools:     n.pooling,
		Proposals: n.proposals,
		Events:    n.events,
		Live:      natsLive{n.nc},
		Backups:   n.store,
		Done:      n.ctx.Done(),
		Logger:    n.log.With("component", "http"),

		TrustedProxies:    proxies,
		RequestsPerMinute: requestsPerMinute(cfg.RequestsPerMinute),
		SignupsPerHour:    cfg.SignupsPerHour,
	})
	if n.extend != nil {
		n.extend.routes(n.app)
	}
	go func() {
		defer close(n.served)
		if err := n.app.Listener(n.ln); err != nil && n.ctx.Err() == nil {
			n.failed <- fmt.Errorf("serve HTTP: %w", err)
		}
	}()
	n.log.Info("node started", "http", n.url, "raft", n.store.RaftAddr(), "data", cfg.Data, "embedded_nats", n.ns != nil, "mutual_tls", clusterTLS != nil, "cluster_key_file", n.keyFile)

	if err := n.join(ctx); err != nil {
		return err
	}
	if err := n.keepJoinKey(); err != nil {
		return err
	}
	n.wg.Add(3)
	go n.bootstrapLoop(n.bootstrapSteps(rules))
	go func() { defer n.wg.Done(); n.proposals.RunCloser(n.ctx) }()
	go func() { defer n.wg.Done(); n.members.RetentionLoop(n.ctx, time.Hour) }()
	return nil
}

func (n *Node) startNATS(ctx context.Context) error {
	var err error
	if n.Config.NATS == "" {
		if n.ns, err = startEmbeddedNATS(n.id, filepath.Join(n.Config.Data, "nats"), n.Config.NATSListen); err != nil {
			return err
		}
		if addr, ok := n.ns.Addr().(*net.TCPAddr); ok {
			n.log.Info("embedded NATS listening", "address", addr.String())
			if !addr.IP.IsLoopback() {
				n.log.Warn("the embedded NATS has no authentication: anyone who reaches its address reads the events", "address", addr.String())
			}
		}
	}
	if n.nc, err = connectNATS(n.ns, n.Config.NATS, n.id); err != nil {
		return err
	}
	js, err := jetstream.New(n.nc, jetstream.WithPublishAsyncErrHandler(n.events.onError))
	if err != nil {
		return fmt.Errorf("open JetStream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ensureStream(sctx, js); err != nil {
		return err
	}
	n.events.start(js)
	return nil
}

// join asks the cluster at --join to take this node in. A node that already
// has a Raft log is a member already (a restart): it skips the join, so it
// comes back even when the node named by --join is down.
func (n *Node) join(ctx context.Context) error {
	if n.Config.Join == "" {
		return nil
	}
	if st := n.store.Status(); st.LastLogIndex > 0 || st.LastSnapshotIndex > 0 {
		n.log.Info("already a cluster member: --join not needed", "join", n.Config.Join)
		return nil
	}
	if err := n.store.JoinCluster(ctx, n.Config.Join); err != nil {
		return err
	}
	return nil
}

// registerDomains is where the domain packages register their command
// handlers and tables, before the store opens.
func registerDomains(reg *raftdata.Registry) {
	members.Register(reg)
	governance.Register(reg)
	pooling.Register(reg)
	proposals.Register(reg)
}

// bootstrapSteps are what a new cluster's first leader applies before it
// marks the bootstrap done: the rulebook (from --rules, or the default),
// then the operator account and demo data as their issues land. Each step
// is idempotent: a leader may fail half way, and the next one runs every
// step again.
func (n *Node) bootstrapSteps(rules governance.Rulebook) []func(context.Context) error {
	return []func(context.Context) error{
		func(ctx context.Context) error { return n.governance.Bootstrap(ctx, rules) },
		n.bootstrapOperator,
		n.bootstrapDemo,
	}
}

// bootstrapLoop waits until the cluster's bootstrap is applied locally.
// Meanwhile, whenever this node leads, it runs the steps and marks the
// bootstrap done through the log. It stops when the node closes.
func (n *Node) bootstrapLoop(steps []func(context.Context) error) {
	defer n.wg.Done()
	wait := 100 * time.Millisecond
	for !n.store.Bootstrapped() {
		if n.store.IsLeader() {
			if err := n.bootstrap(steps); err != nil {
				n.log.Warn("bootstrap failed; retrying", "error", err, "retry_in", wait.String())
				wait = min(wait*2, 5*time.Second)
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	n.log.Info("bootstrap applied")
}

func (n *Node) bootstrap(steps []func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	for i, step := range steps {
		if err := step(ctx); err != nil {
			return fmt.Errorf("bootstrap step %d: %w", i+1, err)
		}
	}
	return n.store.MarkBootstrapped(ctx)
}

// shutdownTimeout bounds how long open HTTP requests may take to finish.
const shutdownTimeout = 5 * time.Second

// Close stops the node: the bootstrap loop, then HTTP (open requests
// finish), then the store (a leader hands its role over first), then the
// events still queued, then NATS, and last the data directory's lock.
// It is safe to call more than once and after a failed Start.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		var errs []error
		n.cancel()
		n.wg.Wait()
		if n.app != nil {
			if err := n.app.ShutdownWithTimeout(shutdownTimeout); err != nil {
				errs = append(errs, fmt.Errorf("stop HTTP: %w", err))
			}
		}
		if n.ln != nil {
			// Also stops a server that had not reached its accept loop
			// when Shutdown ran.
			n.ln.Close()
		}
		if n.app != nil {
			<-n.served
		}
		if n.store != nil {
			if err := n.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close store: %w", err))
			}
		}
		if n.events != nil {
			n.events.close(2 * time.Second)
		}
		if n.nc != nil {
			n.nc.Close()
		}
		if n.ns != nil {
			n.ns.Shutdown()
			n.ns.WaitForShutdown()
		}
		if n.lock != nil {
			n.lock.Close() // releases the flock
		}
		if n.store != nil && len(errs) == 0 {
			n.log.Info("node stopped")
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}
