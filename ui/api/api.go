// Package api is coop's JSON API (/api/v1) with its health and metrics
// endpoints: one file per subject, each handler beside its helpers.
//
// What the API shares with the pages (package web) comes from package
// server: the dependencies, authentication, errors, request decoding,
// middleware, rate limits and access rules. The root package ui mounts
// both faces on one fiber app.
package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
)

// api holds the JSON handlers: its methods answer the API's routes.
type api struct {
	*server.Server
}

// Mount adds health, metrics and the JSON API under /api/v1 to app.
func Mount(app *fiber.App, s *server.Server) {
	(&api{Server: s}).mount(app)
}
