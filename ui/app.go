// Package ui is coop's HTTP face, assembled: New mounts on one fiber app
// the shared middleware, the pages (ui/web), the JSON API with health and
// metrics (ui/api) and the node-to-node API.
//
// The layers, each importing only those below it:
//
//	ui          the assembly: New and the route order (this file)
//	ui/web      the pages: handlers, forms, live updates (templ in ui/pages,
//	            widgets in ui/components)
//	ui/api      the JSON handlers under /api/v1, health and metrics
//	ui/server   what both faces share: the dependencies (Deps and the small
//	            interfaces ui needs from coop's services), authentication,
//	            CSRF, the error shape and refusal-to-status mapping, request
//	            decoding, middleware, rate limits and access rules
//
// ui/web and ui/api never import each other. ui/uitest holds the test
// fixtures both faces' tests start nodes with.
package ui

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"coop/raftdata"
	"coop/ui/api"
	"coop/ui/server"
	"coop/ui/web"
)

// The names the composition root (package main) uses, declared in
// ui/server.
type (
	// Deps is everything the HTTP app depends on.
	Deps = server.Deps
	// Mailer sends the emails of accounts.
	Mailer = server.Mailer
	// Activity is the figures of a node's activity /metrics shows.
	Activity = server.Activity
)

// Limits and headers the composition root and its tests name.
const (
	DefaultRequestsPerMinute = server.DefaultRequestsPerMinute
	NoRequestLimit           = server.NoRequestLimit
	HeaderRead               = server.HeaderRead
	ReadStale                = server.ReadStale
)

// New builds the fiber app of one node. The caller serves it
// (app.Listener) and shuts it down (app.ShutdownWithTimeout).
func New(deps Deps) *fiber.App {
	s := server.New(deps)
	app := fiber.New(fiber.Config{
		Immutable:             true,
		BodyLimit:             server.BodyLimit,
		ReadTimeout:           server.ReadTimeout,
		WriteTimeout:          server.WriteTimeout,
		IdleTimeout:           server.IdleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          s.HandleError,
		// A body is parsed when a handler asks for it, never before the
		// middleware: a JSON route refuses a multipart body with 415.
		DisablePreParseMultipartForm: true,
		// c.Protocol() believes X-Forwarded-Proto from these peers only;
		// c.IP() is never used (see server.ClientIP).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          s.Proxies.Strings(),
	})
	// One middleware route, so that Observe can tell a request no route
	// matched (see server.RouteLabel).
	app.Use(server.RequestID, s.Observe, s.BindContext, server.SecurityHeaders, s.EdgeHeaders, s.MarkStale, s.RateLimit(), s.RequireJSON, server.RefuseCrossSite, s.Authenticate)

	web.Mount(app, s) // the pages and their assets: ui/web
	api.Mount(app, s) // health, metrics and the JSON API: ui/api
	app.All(raftdata.InternalPrefix+"*", adaptor.HTTPHandler(detachContext(deps.Cluster.Handler())))
	return app
}

// detachContext gives each request of h a context of its own, bounded by
// WriteTimeout. The adaptor's context is fasthttp's RequestCtx, whose Done
// channel fasthttp rewrites during Shutdown without a lock: a context
// derived from it races with a clean shutdown (seen with -race).
func detachContext(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), server.WriteTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
