package ui

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"coop/raftdata"
)

// DefaultRequestsPerMinute is how many requests one client address may
// send to one node in a minute: plenty for a person or a script, and a
// client that floods gets 429 while the node keeps serving the others.
const DefaultRequestsPerMinute = 1200

// NoRequestLimit as Deps.RequestsPerMinute turns the limit off.
const NoRequestLimit = -1

// rateLimit bounds requests per client address (a sliding window, kept in
// this node's memory; the address is clientIP's, so visitors behind a
// trusted proxy count one by one). Probes, metrics and node-to-node calls
// are exempt.
func (s *server) rateLimit() fiber.Handler {
	max := s.deps.RequestsPerMinute
	switch {
	case max == NoRequestLimit:
		return func(c *fiber.Ctx) error { return c.Next() }
	case max <= 0:
		max = DefaultRequestsPerMinute
	}
	return limiter.New(limiter.Config{
		Max:               max,
		Expiration:        time.Minute,
		LimiterMiddleware: limiter.SlidingWindow{},
		KeyGenerator:      s.clientIP,
		Next: func(c *fiber.Ctx) bool {
			p := c.Path()
			return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, raftdata.InternalPrefix)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return raftdata.Errorf(raftdata.CodeTooMany, "too many requests from your address: wait a minute and try again")
		},
	})
}
