// Package ui is coop's HTTP face: the JSON API, the node-to-node API mount,
// health and metrics, the templ pages (web*.go, pages/, components/) and
// their live updates over Server-Sent Events (live*.go).
//
// ui declares the small interfaces it needs from the rest of coop; the
// composition root (package main) hands it the real implementations.
package ui

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"coop/raftdata"
)

// New builds the fiber app of one node. The caller serves it
// (app.Listener) and shuts it down (app.ShutdownWithTimeout).
func New(deps Deps) *fiber.App {
	s := newServer(deps)
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

	mountPages(app, s) // the web pages and their assets: web*.go
	s.mountAPI(app)    // health, metrics and the JSON API: api*.go
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
