package server

// The names this package's external tests use.

const (
	APIPrefix    = apiPrefix
	ScopePublic  = scopePublic
	ScopeSession = scopeSession
)

type Proxies = proxies

var (
	APIRoutes     = apiRoutes
	NewRouteTable = newRouteTable
)
