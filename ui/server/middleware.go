package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
)

const headerRequestID = "X-Request-ID"

// RequestID gives every request an id, kept from the caller when it looks
// like one (so a request can be followed across nodes and proxies), and
// sends it back in the answer.
func RequestID(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !ValidRequestID(id) {
		id = newRequestID()
	}
	c.Locals(headerRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

func ValidRequestID(id string) bool {
	if id == "" || len(id) > 64 {
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

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func RequestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(headerRequestID).(string)
	return id
}

// contextUntil is a context that ends when done is closed (never, for a
// nil channel).
func contextUntil(done <-chan struct{}) context.Context {
	if done == nil {
		return context.Background()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-done
		cancel()
	}()
	return ctx
}

// BindContext gives the request the server's context, which ends when the
// node stops.
func (s *Server) BindContext(c *fiber.Ctx) error {
	c.SetUserContext(s.Stopping)
	return c.Next()
}

// SecurityHeaders sets the headers every answer carries, errors included.
func SecurityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	return c.Next()
}

// HeaderRead marks an answer read from a node that may be behind the
// cluster: its value is ReadStale when the node is (raftdata's Stale): a
// follower cut off by a partition, during an election, or whose leader's
// entries stopped reaching it; a leader that no quorum has answered within
// its lease (paused, cut off). A node cut off for longer refuses writes
// with 503.
const (
	HeaderRead = "X-Coop-Read"
	ReadStale  = "stale"
)

// MarkStale sets HeaderRead on every answer of a node whose reads may be
// stale, pages and API alike.
func (s *Server) MarkStale(c *fiber.Ctx) error {
	if s.Deps.Cluster.Stale() {
		c.Set(HeaderRead, ReadStale)
	}
	return c.Next()
}

// Observe counts and logs every request once it is answered. It writes an
// error answer itself (through the app's ErrorHandler) so that the status
// it records is the one the caller gets. The log line holds the method,
// route, status, duration and request id: never a body, header or query.
func (s *Server) Observe(c *fiber.Ctx) error {
	start := time.Now()
	c.Locals(localMiddlewareRoute, c.Route())
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			s.Log.Error("write error answer", "request_id", RequestIDOf(c), "error", herr)
			c.Status(fiber.StatusInternalServerError)
		}
	}
	took := time.Since(start)
	route, method, status := RouteLabel(c), methodLabel(c.Method()), c.Response().StatusCode()
	s.Metrics.observe(route, method, status, took)

	level := slog.LevelInfo
	if quietRoute(route) {
		level = slog.LevelDebug
	}
	s.Log.LogAttrs(c.UserContext(), level, "http request",
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("request_id", RequestIDOf(c)))
	return nil
}

// RouteLabel is the route pattern that answered (/api/v1/cluster, not the
// path with its ids), or "unmatched": metrics and logs stay bounded
// whatever paths clients invent.
func RouteLabel(c *fiber.Ctx) string {
	r := c.Route()
	// The route is still the middleware's own: no route matched.
	if mw, _ := c.Locals(localMiddlewareRoute).(*fiber.Route); r == mw || len(r.Handlers) == 0 {
		return "unmatched"
	}
	return r.Path
}

// localMiddlewareRoute keeps the route of the middleware chain, which
// c.Route() still returns after c.Next() when no route matched.
const localMiddlewareRoute = "ui.middleware_route"

// methodLabel keeps the standard methods and folds any other into OTHER.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions:
		return m
	}
	return "OTHER"
}

// quietRoute tells the routes logged only at debug level: probes, scrapes
// and node-to-node traffic, which would drown the rest.
func quietRoute(route string) bool {
	return route == "/healthz" || route == "/readyz" || route == "/metrics" ||
		strings.HasPrefix(route, raftdata.InternalPrefix)
}
