package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"coop/ui"
	"coop/ui/mail"
)

// Config is everything `coop serve` can be told. Each field is a flag and
// an environment variable (COOP_ and the flag's name in capitals, dashes
// as underscores: --node-id is COOP_NODE_ID). Precedence: flag over
// environment over default. An empty variable counts as unset.
type Config struct {
	Data          string // data directory: LOCK, node-id, raft/, nats/
	HTTP          string // address the HTTP server listens on
	Raft          string // address the Raft transport listens on
	NodeID        string // empty: the id stored in Data/node-id, or a new one
	Join          string // HTTP URL of a cluster member to join; empty: start or resume alone
	NATS          string // URL of an external NATS; empty: an embedded server
	NATSListen    string // address the embedded NATS listens on; empty: in-process only
	ClusterKey    string // the cluster's secret, given once (or ClusterKeyFile); see clusterkey.go
	Demo          bool   // seed a demo coop at bootstrap
	Rules         string // rulebook file read at the bootstrap of a new cluster
	AdvertiseHTTP string // URL peers use to reach HTTP; empty: http://<HTTP>
	AdvertiseRaft string // address peers dial for Raft; empty: the Raft address
	TLSCert       string // PEM certificate file: the node serves HTTPS
	TLSKey        string // PEM private key file of TLSCert
	TLSCA         string // PEM CA file: mutual TLS between nodes, signed by this CA
	// SMTP is the URL of the mail server that sends reset and verification
	// links (smtp://user:password@host:587?from=ADDRESS, or smtps://…);
	// empty: no email, operators hand out reset links. It may hold a
	// password: prefer COOP_SMTP to the flag (flags show in ps).
	SMTP string
	// PublicURL is the address people reach the coop at, for the links
	// of emails; empty: the advertised HTTP URL.
	PublicURL string
	// Timezone is the coop's time zone (IANA name): pages show dates in
	// it. Default: the TZ variable when it names a zone, else Europe/Paris.
	Timezone string

	// ClusterKeyFile names a file holding the cluster key, the secret
	// every node proves to its peers (unless --tls-ca): a joining node is
	// given it once, here or in ClusterKey, and keeps it in
	// Data/cluster-key; a new cluster's first node without either makes a
	// random one there.
	ClusterKeyFile string
	// The HTTP edge (ui.Deps): which peers are reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto the node believes (addresses or
	// CIDR prefixes, comma-separated; empty: none), and how many requests
	// one client address may send to this node in a minute (0: no limit).
	TrustedProxies    string
	RequestsPerMinute int
	// SignupsPerHour bounds the sign-ups one client address gets from this
	// node in an hour (0: no limit).
	SignupsPerHour int

	// Snapshots: every SnapshotThreshold new log entries (checked every
	// SnapshotInterval) the state is snapshotted and the log before it
	// dropped, keeping SnapshotThreshold/2 entries for slow followers; a
	// follower further behind catches up by snapshot. 0: the defaults.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration

	// The first operator of a new cluster: from COOP_OPERATOR_EMAIL and
	// COOP_OPERATOR_PASSWORD only (a secret is no flag: flags show in ps).
	// Empty: operator@coop.local with a random password written to a file
	// readable only by its owner.
	OperatorEmail    string
	OperatorPassword string
}

// DefaultSignupsPerHour is how many sign-ups one client address gets from
// a node in an hour, unless --signups-per-hour says otherwise.
const DefaultSignupsPerHour = 20

// DefaultConfig is the configuration of a single node on a laptop.
func DefaultConfig() Config {
	return Config{
		Data: "./coop-data",
		HTTP: "127.0.0.1:8080",
		Raft: "127.0.0.1:7000",

		RequestsPerMinute: ui.DefaultRequestsPerMinute,
		SignupsPerHour:    DefaultSignupsPerHour,
		// The TZ variable, when set, comes before it (parseServeConfig).
		Timezone: DefaultTimezone,
	}
}

// flagSet declares the flags of `coop serve` on cfg, with cfg's values as
// defaults.
func (cfg *Config) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("coop serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data `directory` (locked while a node runs)")
	fs.StringVar(&cfg.HTTP, "http", cfg.HTTP, "`address` the HTTP server listens on")
	fs.StringVar(&cfg.Raft, "raft", cfg.Raft, "`address` the Raft transport listens on")
	fs.StringVar(&cfg.NodeID, "node-id", cfg.NodeID, "node `id`, stable across restarts (default: the one stored in the data directory, or a new one)")
	fs.StringVar(&cfg.Join, "join", cfg.Join, "HTTP `URL` of any member of an existing cluster to join")
	fs.StringVar(&cfg.NATS, "nats", cfg.NATS, "`URL` of an external NATS server (default: an embedded one)")
	fs.StringVar(&cfg.NATSListen, "nats-listen", cfg.NATSListen, "`address` the embedded NATS server listens on (default: none, in-process only)")
	fs.StringVar(&cfg.ClusterKey, "cluster-key", cfg.ClusterKey, "the cluster's `secret` key, which every node proves to the others (a flag shows in ps: prefer COOP_CLUSTER_KEY or --cluster-key-file; default: the one kept in the data directory, or, for a new cluster's first node, a new one)")
	fs.StringVar(&cfg.ClusterKeyFile, "cluster-key-file", cfg.ClusterKeyFile, "`file` holding the cluster's key, like a copy of the first node's DATA/cluster-key (a node joining a cluster needs it once)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed a demo coop with synthetic members, pools and proposals")
	fs.StringVar(&cfg.Rules, "rules", cfg.Rules, "rulebook `file` for the bootstrap of a new cluster")
	fs.StringVar(&cfg.AdvertiseHTTP, "advertise-http", cfg.AdvertiseHTTP, "`URL` at which peers reach this node's HTTP (default: http://<http address>)")
	fs.StringVar(&cfg.AdvertiseRaft, "advertise-raft", cfg.AdvertiseRaft, "`address` peers dial for Raft (default: the raft address)")
	fs.Uint64Var(&cfg.SnapshotThreshold, "snapshot-threshold", cfg.SnapshotThreshold, "snapshot after this many new log `entries`, keeping half as many for slow followers (default 8192)")
	fs.DurationVar(&cfg.SnapshotInterval, "snapshot-interval", cfg.SnapshotInterval, "how often to check the snapshot threshold, like 30s (default 30s)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate `file`: the node serves HTTPS (and, with --tls-ca, presents it to its peers)")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key `file` of --tls-cert")
	fs.StringVar(&cfg.SMTP, "smtp", cfg.SMTP, "`URL` of the mail server for reset and verification links, like smtp://user:password@mail.example.org:587?from=coop@example.org (better in COOP_SMTP: it holds a password)")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "`URL` people reach the coop at, for the links of emails (default: the advertised HTTP URL)")
	fs.StringVar(&cfg.Timezone, "timezone", cfg.Timezone, "the coop's time `zone`, like Europe/Paris: pages show dates in it (default: $TZ, else Europe/Paris)")
	fs.StringVar(&cfg.TLSCA, "tls-ca", cfg.TLSCA, "PEM `file` of the cluster's CA: mutual TLS between nodes; only a node with a certificate from it can join")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies, "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: comma-separated `addresses or CIDR prefixes` (default: none)")
	fs.IntVar(&cfg.RequestsPerMinute, "requests-per-minute", cfg.RequestsPerMinute, "requests one client address may send to this node in a minute; 0 turns the limit off")
	fs.IntVar(&cfg.SignupsPerHour, "signups-per-hour", cfg.SignupsPerHour, "sign-ups one client address gets from this node in an hour (0: no limit)")
	return fs
}

// envName is the environment variable of a flag: --node-id is COOP_NODE_ID.
func envName(flagName string) string {
	return "COOP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseServeConfig reads the configuration of `coop serve` from its flags,
// then from the environment for each flag not given, then the defaults.
// The error is a sentence fit for the user; it does not validate values
// (see Validate).
func parseServeConfig(args []string, getenv func(string) string) (Config, *flag.FlagSet, error) {
	cfg := DefaultConfig()
	fs := cfg.flagSet()
	fs.SetOutput(io.Discard) // coop writes its own sentences
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		return cfg, fs, err
	}
	if fs.NArg() > 0 {
		return cfg, fs, fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// --cluster-key and --cluster-key-file are one setting: either flag
	// beats both variables.
	if given["cluster-key"] || given["cluster-key-file"] {
		given["cluster-key"], given["cluster-key-file"] = true, true
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q is not a valid value for --%s", name, v, f.Name))
			}
		}
	})
	if !given["timezone"] && getenv(envName("timezone")) == "" {
		cfg.Timezone = defaultTimezone(getenv("TZ"))
	}
	cfg.OperatorEmail = getenv("COOP_OPERATOR_EMAIL")
	cfg.OperatorPassword = getenv("COOP_OPERATOR_PASSWORD")
	return cfg, fs, errors.Join(errs...)
}

// Validate checks every field and reports all the problems it finds, one
// sentence each.
func (cfg Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if cfg.Data == "" {
		bad("--data is empty: coop needs a directory for its data")
	}
	if err := checkHostPort(cfg.HTTP); err != nil {
		bad("--http %q: %v", cfg.HTTP, err)
	} else if unspecifiedHost(cfg.HTTP) && cfg.AdvertiseHTTP == "" {
		bad("--http %q listens on every interface: give --advertise-http, the URL peers should use", cfg.HTTP)
	}
	if err := checkHostPort(cfg.Raft); err != nil {
		bad("--raft %q: %v", cfg.Raft, err)
	} else if unspecifiedHost(cfg.Raft) && cfg.AdvertiseRaft == "" {
		bad("--raft %q listens on every interface: give --advertise-raft, the address peers should dial", cfg.Raft)
	}
	if cfg.NodeID != "" && !validNodeID(cfg.NodeID) {
		bad("--node-id %q: use 1 to 64 letters, digits, dots, dashes or underscores", cfg.NodeID)
	}
	if cfg.Join != "" {
		if err := checkURL(cfg.Join, "http", "https"); err != nil {
			bad("--join %q: %v (the HTTP URL of a cluster member, like http://127.0.0.1:8080)", cfg.Join, err)
		}
	}
	if cfg.NATS != "" {
		for _, u := range strings.Split(cfg.NATS, ",") {
			if err := checkURL(strings.TrimSpace(u), "nats", "tls", "ws", "wss"); err != nil {
				bad("--nats %q: %v (like nats://127.0.0.1:4222)", cfg.NATS, err)
				break
			}
		}
		if cfg.NATSListen != "" {
			bad("--nats-listen is for the embedded NATS server, and --nats replaces it: give one or the other")
		}
	}
	if cfg.NATSListen != "" {
		if err := checkHostPort(cfg.NATSListen); err != nil {
			bad("--nats-listen %q: %v", cfg.NATSListen, err)
		}
	}
	errs = append(errs, cfg.validateClusterKey()...) // clusterkey.go
	if cfg.Rules != "" {
		if st, err := os.Stat(cfg.Rules); err != nil {
			bad("--rules %q: cannot read it (%v)", cfg.Rules, errors.Unwrap(err))
		} else if st.IsDir() {
			bad("--rules %q is a directory, not a rulebook file", cfg.Rules)
		}
	}
	if cfg.AdvertiseHTTP != "" {
		if err := checkURL(cfg.AdvertiseHTTP, "http", "https"); err != nil {
			bad("--advertise-http %q: %v (like http://10.0.0.5:8080)", cfg.AdvertiseHTTP, err)
		}
	}
	if cfg.AdvertiseRaft != "" {
		if err := checkHostPort(cfg.AdvertiseRaft); err != nil {
			bad("--advertise-raft %q: %v", cfg.AdvertiseRaft, err)
		} else if unspecifiedHost(cfg.AdvertiseRaft) {
			bad("--advertise-raft %q: peers cannot dial an unspecified address", cfg.AdvertiseRaft)
		}
	}
	if cfg.SnapshotThreshold != 0 && cfg.SnapshotThreshold < minSnapshotThreshold {
		bad("--snapshot-threshold %d is too small: use at least %d log entries", cfg.SnapshotThreshold, minSnapshotThreshold)
	}
	if cfg.SnapshotInterval < 0 || (cfg.SnapshotInterval > 0 && cfg.SnapshotInterval < minSnapshotInterval) {
		bad("--snapshot-interval %s is too short: use at least %s", cfg.SnapshotInterval, minSnapshotInterval)
	}
	if _, err := parseTrustedProxies(cfg.TrustedProxies); err != nil {
		bad("--trusted-proxies %q: %v", cfg.TrustedProxies, err)
	}
	if cfg.RequestsPerMinute < 0 {
		bad("--requests-per-minute %d: give a number of requests, or 0 for no limit", cfg.RequestsPerMinute)
	}
	if cfg.SignupsPerHour < 0 {
		bad("--signups-per-hour %d: use 0 (no limit) or a positive number", cfg.SignupsPerHour)
	}
	if cfg.SMTP != "" {
		if _, err := mail.Parse(cfg.SMTP); err != nil {
			bad("--smtp: %v", err) // the error never repeats the password
		}
	}
	if cfg.PublicURL != "" {
		if err := checkURL(cfg.PublicURL, "http", "https"); err != nil {
			bad("--public-url %q: %v (like https://coop.example.org)", cfg.PublicURL, err)
		}
	}
	if _, err := cfg.Location(); err != nil {
		bad("--timezone %q is not a time zone: use an IANA name like Europe/Paris or UTC", cfg.Timezone)
	}
	_, tlsErrs := readTLSFiles(cfg)
	errs = append(errs, tlsErrs...)
	if cfg.TLSCert != "" && strings.HasPrefix(cfg.AdvertiseHTTP, "http://") {
		bad("--advertise-http %q starts with http://, but --tls-cert makes the node serve HTTPS", cfg.AdvertiseHTTP)
	}
	if cfg.TLSCA != "" && strings.HasPrefix(cfg.Join, "http://") {
		bad("--join %q starts with http://, but a cluster that runs mutual TLS (--tls-ca) serves HTTPS: use https://", cfg.Join)
	}
	return errors.Join(errs...)
}

// parseTrustedProxies reads --trusted-proxies: addresses (one host) or
// CIDR prefixes, comma-separated.
func parseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix (like 10.0.0.0/8 or 127.0.0.1)", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// requestsPerMinute is --requests-per-minute as ui.Deps takes it: 0 there
// means the default, so no limit is ui.NoRequestLimit.
func requestsPerMinute(n int) int {
	if n == 0 {
		return ui.NoRequestLimit
	}
	return n
}

// Location is the coop's time zone (UTC when Timezone is empty).
func (cfg Config) Location() (*time.Location, error) {
	return time.LoadLocation(cfg.Timezone)
}

// DefaultTimezone is the coop's time zone when neither --timezone nor TZ
// names one.
const DefaultTimezone = "Europe/Paris"

// defaultTimezone is the zone TZ names (":Europe/Paris" too), when it is
// one Go knows, else DefaultTimezone.
func defaultTimezone(tz string) string {
	tz = strings.TrimPrefix(strings.TrimSpace(tz), ":")
	if tz == "" || strings.HasPrefix(tz, "/") {
		return DefaultTimezone
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return DefaultTimezone
	}
	return tz
}

// The smallest snapshot settings: below them a node would snapshot
// instead of serving.
const (
	minSnapshotThreshold = 16
	minSnapshotInterval  = 10 * time.Millisecond
)

// checkHostPort accepts host:port with a numeric port (0 picks a free one).
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, like 127.0.0.1:8080")
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return fmt.Errorf("%q is not a port", port)
	}
	return nil
}

func unspecifiedHost(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" {
				return errors.New("the URL has no host")
			}
			return nil
		}
	}
	return fmt.Errorf("the URL should start with %s://", strings.Join(schemes, ":// or "))
}

func validNodeID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r == '-' || r == '_' || r == '.' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
