package server

// The names this package's external tests use.
const APIPrefix = apiPrefix
const ScopePublic = scopePublic
const ScopeSession = scopeSession

type Proxies = proxies

var APIRoutes = apiRoutes
var NewRouteTable = newRouteTable
