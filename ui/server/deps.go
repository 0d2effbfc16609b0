// Package server is what coop's two HTTP faces share: the JSON API
// (ui/api) and the pages (ui/web) both hang their handlers on Server. It
// holds the dependencies (Deps, and the small interfaces ui declares for
// coop's services), the middleware every request passes (request ids,
// metrics, security headers, trusted proxies, stale reads, rate limits,
// JSON only on the API, cross-site refusal, authentication), the access
// rules of API tokens (access.go), sessions and CSRF (auth.go), the one
// JSON error shape and the refusal-to-status mapping (errors.go), request
// decoding (decode.go), and the views both faces compute (views.go,
// csv.go, account.go).
//
// It imports neither ui/api nor ui/web; the root package ui assembles
// the app.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/i18n"
)

// Proposals is what ui needs from the proposals service.
type Proposals interface {
	Create(ctx context.Context, actor members.Account, d proposals.Draft) (proposals.Proposal, error)
	Open(ctx context.Context, actor members.Account, id string) (proposals.Proposal, error)
	Get(ctx context.Context, id string) (proposals.Proposal, error)
	List(ctx context.Context, status string, page int) ([]proposals.Proposal, bool, error)
	Summaries(ctx context.Context, status string, page int) ([]proposals.Summary, bool, error)
	ByRequester(ctx context.Context, accountID string) ([]proposals.Proposal, error)
	Vote(ctx context.Context, actor members.Account, id, choice string) (string, error)
	Ballots(ctx context.Context, id string) ([]proposals.PublishedBallot, error)
	Comment(ctx context.Context, actor members.Account, id, body string) error
	Comments(ctx context.Context, reader, id string) ([]proposals.Comment, error)
	Object(ctx context.Context, actor members.Account, id string, object bool) error
	Objecting(ctx context.Context, id, accountID string) (bool, error)
	RunQuery(ctx context.Context, actor members.Account, id string, q *pooling.Query) (proposals.Result, error)
	Results(ctx context.Context, actor members.Account, id string) ([]proposals.Result, error)
	Preview(ctx context.Context, actor members.Account, id string) (proposals.Preview, error)
	// Proxies, secret ballots and turnout (ui/api/ballots.go).
	Cast(ctx context.Context, actor members.Account, id, choice string) (proposals.Receipt, error)
	GiveProxy(ctx context.Context, actor members.Account, id, to string) (proposals.ProxyView, error)
	Proxies(ctx context.Context, actor members.Account, id string) (proposals.ProxyView, error)
	SetStandingProxy(ctx context.Context, actor members.Account, to string) (proposals.StandingProxy, error)
	Standing(ctx context.Context, actor members.Account) (proposals.StandingProxy, error)
	SecretVotes(ctx context.Context, actor members.Account) ([]proposals.SecretVote, error)
	IssueToken(ctx context.Context, actor members.Account, id string, blinded []byte) ([]byte, error)
	CastSecret(ctx context.Context, id string, b proposals.SecretBallot) (proposals.SecretReceipt, error)
	TokenKeys(ctx context.Context, id string) (proposals.SecretList, error)
	Turnout(ctx context.Context, since time.Time) (map[governance.Kind][]governance.Turnout, error)
	InElectorate(ctx context.Context, id, accountID string) (bool, error)
}

// Backups is what ui needs to take a backup (*raftdata.Store).
type Backups interface {
	// Backup copies the state after a linearizable sync.
	Backup(ctx context.Context) (*raftdata.Backup, error)
	// RecordBackup notes, for every node, that the backup taken at index
	// was sent in full; LastBackup reads the last one noted.
	RecordBackup(ctx context.Context, index uint64, sealedTo string) error
	LastBackup() (raftdata.BackupRecord, bool, error)
}

// Rules is what ui needs from governance.
type Rules interface {
	Current(ctx context.Context) (governance.Versioned, error)
	// Custodians says who holds the backups (ui/api/custodians.go).
	Custodians(ctx context.Context) (governance.CustodianStatus, error)
	RegisterCustodianKey(ctx context.Context, account, publicKey string) error
}

// Live is where ui listens to the events the FSM applied (NATS subjects
// coop.<noun>.<verb>): fn gets each message's subject and data until the
// returned function is called.
type Live interface {
	Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func(), err error)
}

// Pools is what ui needs from pooling.
type Pools interface {
	Pools(ctx context.Context) ([]pooling.Pool, error)
	Pool(ctx context.Context, id string) (pooling.Pool, error)
	CreatePool(ctx context.Context, p pooling.Pool) (pooling.Pool, error)
	SetConsent(ctx context.Context, accountID, pool string, granted bool) (pooling.Consent, error)
	Consents(ctx context.Context, accountID string) ([]pooling.Consent, []pooling.Consent, error)
	Contribute(ctx context.Context, accountID, pool string, rows []map[string]any, idemKey string) (pooling.Contribution, error)
	Records(ctx context.Context, accountID, pool string) ([]pooling.StoredRecord, error)
	Rectify(ctx context.Context, accountID, recordID string, values map[string]any) error
	DeleteRecord(ctx context.Context, accountID, recordID string) error
	Export(ctx context.Context, accountID string) (pooling.Export, error)
	WriteCSV(ctx context.Context, w io.Writer, accountID, poolID string) error
	AccessJournal(ctx context.Context, accountID string) ([]pooling.Access, error)
	AccessSummary(ctx context.Context, limit int) ([]pooling.AccessEvent, error)
	Ledger(ctx context.Context, accountID string, now time.Time) (pooling.Ledger, error)
	Sandbox(ctx context.Context, poolID string, q pooling.Query, o pooling.SandboxOptions) (pooling.SandboxAnswer, error)
}

// Cluster is what ui needs from the replicated store (*raftdata.Store).
type Cluster interface {
	// Status describes this node.
	Status() raftdata.NodeStatus
	// Cluster asks every node of the cluster for its status.
	Cluster(ctx context.Context) (raftdata.ClusterStatus, error)
	// Remove takes a node out of the cluster's configuration.
	Remove(ctx context.Context, id string) error
	// Ready tells whether the node knows its leader and has applied the log.
	Ready() bool
	// Bootstrapped tells whether the cluster's bootstrap is applied locally.
	Bootstrapped() bool
	// Handler serves the node-to-node API under raftdata.InternalPrefix.
	Handler() http.Handler
	// Counters are the FSM's running totals.
	Counters() raftdata.Counters
	// Stale tells whether the node's reads may be behind the cluster (a
	// follower cut off or without its leader's entries, a leader no quorum
	// answers).
	Stale() bool
	// AppliedIndex is the index of the last entry applied to the local
	// state: what pages keep from the state is kept for one index.
	AppliedIndex() uint64
	// Dir is the node's data directory (its disk's free space shows on
	// the operators' page).
	Dir() string
}

// EventStats counts the events a node handed to NATS and those it dropped.
type EventStats interface {
	EventCounts() (published, dropped uint64)
}

// Deps is everything the HTTP app depends on.
type Deps struct {
	Cluster   Cluster    // required
	Members   Members    // required
	Rules     Rules      // required
	Pools     Pools      // required
	Proposals Proposals  // required
	Events    EventStats // optional
	Live      Live       // optional: live updates of pages (SSE)
	Backups   Backups    // optional: POST /api/v1/backup answers 503 without it
	// Done, when closed, ends the open live streams (the node is stopping),
	// so that the HTTP server's shutdown does not wait for them.
	Done   <-chan struct{}
	Logger *slog.Logger // optional; nil discards
	// Mailer sends the emails of accounts (reset and verification links);
	// nil: no email, and an operator hands out reset links instead.
	Mailer Mailer
	// PublicURL is the address people reach the coop at, for the links
	// of emails (never taken from a request's Host header).
	PublicURL string
	// Location is the coop's time zone: pages write dates in it, with
	// the zone (nil: UTC). The API always answers in UTC (RFC 3339).
	Location *time.Location
	// RequestsPerMinute bounds each client address on this node (0: the
	// default, DefaultRequestsPerMinute; NoRequestLimit: none). Failed
	// logins have their own, cluster-wide limit in members.
	RequestsPerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto this node believes (none when empty): the client's
	// address and scheme come from those headers only when such a proxy
	// sent them (edge.go).
	TrustedProxies []netip.Prefix
	// SignupsPerHour bounds the sign-ups of each client address on this
	// node (0: no limit; coop serve's default is 20).
	SignupsPerHour int
}

// Server holds the app's dependencies; its methods are the handlers.
type Server struct {
	// PageError draws an error as a page, on page routes (the web
	// pages set it).
	PageError func(c *fiber.Ctx, err error) error
	Deps      Deps
	Log       *slog.Logger
	Metrics   *metrics
	// Stopping ends when the node stops (deps.Done): every request's
	// context, so a write still waiting for its commit answers 503 at
	// once instead of holding the server's shutdown.
	Stopping context.Context
	Proxies  proxies    // deps.TrustedProxies
	routes   routeTable // apiRoutes, to find a request's route before routing
	// Signups limits sign-ups per client address, on the API and the page
	// alike (one count).
	Signups fiber.Handler
	Catalog *i18n.Catalog // the messages of pages and emails
	// mailSlots bounds the emails being sent at once (mailer.go).
	mailSlots chan struct{}
	// resetSlots bounds the reset requests being handled at once.
	resetSlots chan struct{}
}

// Limits of the HTTP server.
const (
	BodyLimit    = 4 << 20
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 120 * time.Second
)

// New gathers what the API and the pages share for one node.
func New(deps Deps) *Server {
	s := &Server{Deps: deps, Log: deps.Logger, Metrics: newMetrics(), Stopping: contextUntil(deps.Done),
		Proxies: deps.TrustedProxies, routes: newRouteTable(apiRoutes),
		Catalog: i18n.NewIn(deps.Location), mailSlots: make(chan struct{}, maxMailsInFlight),
		resetSlots: make(chan struct{}, maxMailsInFlight)}
	if s.Log == nil {
		s.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.Signups = s.signupLimit()
	return s
}
