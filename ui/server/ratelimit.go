package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"coop/members"
	"coop/raftdata"
)

// DefaultRequestsPerMinute is how many requests one client address may
// send to one node in a minute: plenty for a person or a script, and a
// client that floods gets 429 while the node keeps serving the others.
const DefaultRequestsPerMinute = 1200

// NoRequestLimit as Deps.RequestsPerMinute turns the limit off.
const NoRequestLimit = -1

// RateLimit bounds requests per client address (a sliding window, kept in
// this node's memory; the address is ClientIP's, so visitors behind a
// trusted proxy count one by one). Probes, metrics and node-to-node calls
// are exempt.
func (s *Server) RateLimit() fiber.Handler {
	max := s.Deps.RequestsPerMinute
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
		KeyGenerator:      s.ClientIP,
		Next: func(c *fiber.Ctx) bool {
			p := c.Path()
			return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, raftdata.InternalPrefix)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return raftdata.Refuse(raftdata.CodeTooMany, "too_many_requests", "too many requests from your address: wait a minute and try again")
		},
	})
}

// signupLimit bounds the sign-up answers one client address gets from this
// node: SignupsPerHour in a sliding hour (0: no limit). Every answer
// counts, refusals included ("this email is taken" is an answer worth
// hiding from a script), whether the API or the page asked. The count is
// this node's, in memory: a sign-up is a replicated write, but a refused
// one is not, and counting refusals cluster-wide would make every probe a
// write. A client spreading its sign-ups over N nodes gets N times the
// limit; admission, not this limit, is what keeps voters real.
func (s *Server) signupLimit() fiber.Handler {
	per := s.Deps.SignupsPerHour
	if per <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:               per,
		Expiration:        time.Hour,
		LimiterMiddleware: limiter.SlidingWindow{},
		KeyGenerator:      func(c *fiber.Ctx) string { return members.AddressKey(s.ClientIP(c)) },
		LimitReached: func(c *fiber.Ctx) error {
			return raftdata.Refuse(raftdata.CodeTooMany, "too_many_signups", "too many sign-ups from your address: at most %d an hour; try again later", per).With("max", per)
		},
	})
}
