// Package ui is coop's HTTP face: the JSON API, the node-to-node API mount,
// health and metrics, the templ pages (web*.go, pages/, components/) and
// their live updates over Server-Sent Events (live*.go).
//
// ui declares the small interfaces it needs from the rest of coop; the
// composition root (package main) hands it the real implementations.
package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"coop/raftdata"
	"coop/ui/i18n"
)

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

// Limits of the HTTP server.
const (
	BodyLimit    = 4 << 20
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 120 * time.Second
)

// server holds the app's dependencies; its methods are the handlers.
type server struct {
	pages   *web // the web pages, for errors on page routes
	deps    Deps
	log     *slog.Logger
	metrics *metrics
	// stopping ends when the node stops (deps.Done): every request's
	// context, so a write still waiting for its commit answers 503 at
	// once instead of holding the server's shutdown.
	stopping context.Context
	proxies  proxies    // deps.TrustedProxies
	routes   routeTable // apiRoutes, to find a request's route before routing
	// signups limits sign-ups per client address, on the API and the page
	// alike (one count).
	signups fiber.Handler
	catalog *i18n.Catalog // the messages of pages and emails
	// mailSlots bounds the emails being sent at once (mailer.go).
	mailSlots chan struct{}
	// resetSlots bounds the reset requests being handled at once.
	resetSlots chan struct{}
}

// New builds the fiber app of one node. The caller serves it
// (app.Listener) and shuts it down (app.ShutdownWithTimeout).
func New(deps Deps) *fiber.App {
	s := &server{deps: deps, log: deps.Logger, metrics: newMetrics(), stopping: contextUntil(deps.Done),
		proxies: deps.TrustedProxies, routes: newRouteTable(apiRoutes),
		catalog: i18n.NewIn(deps.Location), mailSlots: make(chan struct{}, maxMailsInFlight),
		resetSlots: make(chan struct{}, maxMailsInFlight)}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.signups = s.signupLimit()
	app := fiber.New(fiber.Config{
		Immutable:             true,
		BodyLimit:             BodyLimit,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		IdleTimeout:           IdleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		// A body is parsed when a handler asks for it, never before the
		// middleware: a JSON route refuses a multipart body with 415.
		DisablePreParseMultipartForm: true,
		// c.Protocol() believes X-Forwarded-Proto from these peers only;
		// c.IP() is never used (see clientIP).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          s.proxies.strings(),
	})
	// One middleware route, so that observe can tell a request no route
	// matched (see routeLabel).
	app.Use(requestID, s.observe, s.bindContext, securityHeaders, s.edgeHeaders, s.markStale, s.rateLimit(), s.requireJSON, refuseCrossSite, s.authenticate)

	s.mountPages(app) // the web pages and their assets: web*.go
	app.Get("/healthz", healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metricsPage)
	api := app.Group("/api/v1")
	api.Get("/cluster", s.cluster)
	api.Delete("/cluster/nodes/:id", s.removeNode)
	api.Post("/backup", s.backup)
	api.Get("/governance/rules", s.rules)
	api.Get("/governance/custodians", s.custodians)
	api.Put("/me/custodian-key", s.setCustodianKey)
	api.Get("/governance/turnout", s.turnout)

	api.Post("/signup", s.signups, s.signup)
	api.Post("/login", s.login)
	api.Post("/logout", s.logout)
	api.Get("/me", s.me)
	api.Patch("/me", s.updateMe)
	api.Post("/me/password", s.changePassword)
	api.Post("/me/email/verification", s.resendVerification)
	api.Post("/email/verify", s.verifyEmail)
	api.Post("/password/reset", s.requestReset)
	api.Post("/password/reset/confirm", s.resetPassword)
	api.Post("/members/:id/reset-link", s.resetLink)
	api.Delete("/me", s.deleteMe)
	api.Get("/me/export", s.exportMe)
	api.Get("/me/export/:file", s.exportPoolCSV)
	api.Get("/me/journal", s.journalMe)
	api.Post("/me/charter", s.signCharter)
	api.Get("/me/tokens", s.listTokens)
	api.Post("/me/tokens", s.createToken)
	api.Delete("/me/tokens/:id", s.revokeToken)
	api.Get("/me/consents", s.myConsents)
	api.Get("/me/records", s.myRecords)
	api.Put("/me/records/:id", s.rectifyRecord)
	api.Delete("/me/records/:id", s.deleteRecord)
	api.Get("/me/proposals", s.myProposals)

	api.Get("/members", s.listMembers)
	api.Get("/members/applicants", s.listApplicants)
	api.Get("/members/journal", s.membershipJournal)
	api.Post("/members/:id/admit", s.admit)
	api.Post("/members/:id/sponsor", s.sponsor)
	api.Post("/members/:id/roles", s.grantRole)
	api.Delete("/members/:id/roles/:role", s.revokeRole)
	api.Post("/members/:id/suspend", s.setAccountStatus(true))
	api.Post("/members/:id/reinstate", s.setAccountStatus(false))
	api.Delete("/members/:id", s.deleteMember)
	api.Post("/retention/runs", s.runRetention)
	api.Get("/journal", s.accessJournal)

	api.Get("/pools", s.listPools)
	api.Post("/pools", s.createPool)
	api.Get("/pools/:pool", s.getPool)
	api.Put("/pools/:pool/consent", s.setConsent)
	api.Post("/pools/:pool/records", s.contribute)
	api.Post("/sandbox/:pool/queries", s.sandbox)

	api.Get("/proposals", s.listProposals)
	api.Post("/proposals", s.createProposal)
	api.Get("/proposals/:id", s.getProposal)
	api.Post("/proposals/:id/open", s.openProposal)
	api.Post("/proposals/:id/ballots", s.castBallot)
	api.Get("/proposals/:id/ballots", s.ballotList)
	api.Get("/proposals/:id/comments", s.comments)
	api.Post("/proposals/:id/comments", s.addComment)
	api.Put("/proposals/:id/objection", s.setObjection)
	api.Post("/proposals/:id/queries", s.runQuery)
	api.Get("/proposals/:id/results", s.results)
	api.Get("/proposals/:id/results.csv", s.resultsCSV)
	api.Get("/proposals/:id/preview", s.preview)
	api.Get("/proposals/:id/proxy", s.proxyOf)
	api.Put("/proposals/:id/proxy", s.giveProxy)
	api.Delete("/proposals/:id/proxy", s.takeBackProxy)
	api.Get("/me/proxy", s.standingProxy)
	api.Put("/me/proxy", s.setStandingProxy)
	api.Delete("/me/proxy", s.setStandingProxy)
	api.Get("/me/secret-votes", s.secretVotes)
	api.Post("/proposals/:id/voting-token", s.votingToken)
	api.Post("/proposals/:id/secret-ballots", s.castSecretBallot)
	api.Post("/guests", s.inviteGuest)
	api.Put("/members/:id/college", s.setCollege)
	app.All(raftdata.InternalPrefix+"*", adaptor.HTTPHandler(detachContext(deps.Cluster.Handler())))
	return app
}

// detachContext gives each request of h a context of its own, bounded by
// WriteTimeout. The adaptor's context is fasthttp's RequestCtx, whose Done
// channel fasthttp rewrites during Shutdown without a lock: a context
// derived from it races with a clean shutdown (seen with -race).
func detachContext(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), WriteTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
