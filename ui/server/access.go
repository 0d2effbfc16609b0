package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
)

const apiPrefix = "/api/v1"

// What an API token needs, besides the scopes of members: nothing (a
// public route, where a token without the read scope counts as no
// credential at all), or a login session (no API token at all).
const (
	scopePublic  members.Scope = ""
	scopeSession members.Scope = "session"
)

// apiRoute is what a route of the JSON API asks of an API token, and
// whether it takes CSV besides JSON.
type apiRoute struct {
	Scope members.Scope
	csv   bool
	// anonymous routes refuse any credential, before looking it up: a
	// secret ballot must not be tied to whoever sends it.
	anonymous bool
}

// apiRoutes is every route of the JSON API (without /api/v1), with what an
// API token needs to call it. Sessions, the cookie's or the token POST
// /login returns, may call every route their account may. A route that is
// missing here refuses every API token (TestAPIRoutesAllHaveAScope fails
// too).
var apiRoutes = map[string]apiRoute{
	"GET /governance/rules":              {Scope: scopePublic},
	"GET /governance/custodians":         {Scope: scopePublic},
	"POST /email/verify":                 {Scope: scopePublic},
	"POST /password/reset":               {Scope: scopePublic},
	"POST /password/reset/confirm":       {Scope: scopePublic},
	"POST /signup":                       {Scope: scopePublic},
	"POST /login":                        {Scope: scopePublic},
	"GET /pools":                         {Scope: scopePublic},
	"GET /pools/:pool":                   {Scope: scopePublic},
	"GET /proposals":                     {Scope: scopePublic},
	"GET /proposals/:id":                 {Scope: scopePublic},
	"GET /proposals/:id/results":         {Scope: scopePublic},
	"GET /proposals/:id/results.csv":     {Scope: scopePublic},
	"GET /governance/turnout":            {Scope: scopePublic},
	"POST /proposals/:id/secret-ballots": {Scope: scopePublic, anonymous: true},

	"POST /logout":                    {Scope: scopeSession},
	"DELETE /me":                      {Scope: scopeSession},
	"POST /me/charter":                {Scope: scopeSession},
	"POST /me/tokens":                 {Scope: scopeSession},
	"DELETE /me/tokens/:id":           {Scope: scopeSession},
	"POST /members/:id/roles":         {Scope: scopeSession},
	"DELETE /members/:id/roles/:role": {Scope: scopeSession},
	"DELETE /members/:id":             {Scope: scopeSession},
	"POST /members/:id/admit":         {Scope: scopeSession},
	"POST /members/:id/sponsor":       {Scope: scopeSession},
	"PUT /me/custodian-key":           {Scope: scopeSession},
	"PATCH /me":                       {Scope: scopeSession},
	"POST /me/password":               {Scope: scopeSession},
	"POST /me/email/verification":     {Scope: scopeSession},
	"POST /members/:id/reset-link":    {Scope: scopeSession},
	"PUT /members/:id/college":        {Scope: scopeSession},

	"GET /me":                     {Scope: members.ScopeRead},
	"GET /me/export":              {Scope: members.ScopeRead},
	"GET /me/export/:file":        {Scope: members.ScopeRead},
	"GET /me/journal":             {Scope: members.ScopeRead},
	"GET /me/tokens":              {Scope: members.ScopeRead},
	"GET /me/consents":            {Scope: members.ScopeRead},
	"GET /me/records":             {Scope: members.ScopeRead},
	"GET /me/proposals":           {Scope: members.ScopeRead},
	"GET /members/applicants":     {Scope: members.ScopeRead},
	"GET /members/journal":        {Scope: members.ScopeRead},
	"GET /proposals/:id/ballots":  {Scope: members.ScopeRead},
	"GET /proposals/:id/comments": {Scope: members.ScopeRead},
	"GET /proposals/:id/preview":  {Scope: members.ScopeRead},
	"POST /sandbox/:pool/queries": {Scope: members.ScopeRead},
	"GET /proposals/:id/proxy":    {Scope: members.ScopeRead},
	"GET /me/proxy":               {Scope: members.ScopeRead},
	"GET /me/secret-votes":        {Scope: members.ScopeRead},

	"POST /proposals":                  {Scope: members.ScopeVote},
	"POST /proposals/:id/open":         {Scope: members.ScopeVote},
	"POST /proposals/:id/ballots":      {Scope: members.ScopeVote},
	"POST /proposals/:id/comments":     {Scope: members.ScopeVote},
	"POST /proposals/:id/queries":      {Scope: members.ScopeVote},
	"PUT /proposals/:id/proxy":         {Scope: members.ScopeVote},
	"DELETE /proposals/:id/proxy":      {Scope: members.ScopeVote},
	"PUT /me/proxy":                    {Scope: members.ScopeVote},
	"DELETE /me/proxy":                 {Scope: members.ScopeVote},
	"POST /proposals/:id/voting-token": {Scope: members.ScopeVote},

	"PUT /pools/:pool/consent":     {Scope: members.ScopeContribute},
	"POST /pools/:pool/records":    {Scope: members.ScopeContribute, csv: true},
	"PUT /me/records/:id":          {Scope: members.ScopeContribute},
	"DELETE /me/records/:id":       {Scope: members.ScopeContribute},
	"PUT /proposals/:id/objection": {Scope: members.ScopeContribute},

	"GET /cluster":                {Scope: members.ScopeOperate},
	"DELETE /cluster/nodes/:id":   {Scope: members.ScopeOperate},
	"POST /backup":                {Scope: members.ScopeOperate},
	"GET /members":                {Scope: members.ScopeOperate},
	"POST /members/:id/suspend":   {Scope: members.ScopeOperate},
	"POST /members/:id/reinstate": {Scope: members.ScopeOperate},
	"POST /retention/runs":        {Scope: members.ScopeOperate},
	"GET /journal":                {Scope: members.ScopeOperate},
	"POST /pools":                 {Scope: members.ScopeOperate},
	"POST /guests":                {Scope: members.ScopeOperate},
}

// routeTable is apiRoutes split into path segments, to find the route of
// a request before fiber routes it.
type routeTable []routePattern

type routePattern struct {
	method string
	segs   []string // ":name" matches any one segment
	route  apiRoute
}

func newRouteTable(routes map[string]apiRoute) routeTable {
	t := make(routeTable, 0, len(routes))
	for key, r := range routes {
		method, path, _ := strings.Cut(key, " ")
		t = append(t, routePattern{method: method, segs: strings.Split(strings.Trim(path, "/"), "/"), route: r})
	}
	return t
}

// Lookup finds the route of method and path (under /api/v1, in any case,
// as fiber routes it); a static segment wins over a parameter.
func (t routeTable) Lookup(method, path string) (apiRoute, bool) {
	rest, ok := apiPath(path)
	if !ok {
		return apiRoute{}, false
	}
	if method == fiber.MethodHead {
		method = fiber.MethodGet
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	best, bestStatic := apiRoute{}, -1
	for _, p := range t {
		if p.method != method || len(p.segs) != len(segs) {
			continue
		}
		static := 0
		for i, s := range p.segs {
			switch {
			case strings.HasPrefix(s, ":") && segs[i] != "":
			case s == segs[i]:
				static++
			default:
				static = -1
			}
			if static < 0 {
				break
			}
		}
		if static > bestStatic {
			best, bestStatic = p.route, static
		}
	}
	return best, bestStatic >= 0
}

// apiPath is the part of path after /api/v1, lower-cased as fiber matches
// routes, and whether path is under /api/v1 at all.
func apiPath(path string) (string, bool) {
	p := strings.ToLower(path)
	rest, ok := strings.CutPrefix(p, apiPrefix)
	if !ok || rest != "" && !strings.HasPrefix(rest, "/") {
		return "", false
	}
	return rest, true
}

// tokenMay decides what an API token may do with this request: go on as
// its account (true), go on as no one (false: a public route, and the
// token may not read), or be refused with a sentence. Login sessions may
// do whatever their account may.
func (s *Server) tokenMay(c *fiber.Ctx, acc members.Access) (bool, error) {
	if acc.Session {
		return true, nil
	}
	if _, ok := apiPath(c.Path()); !ok {
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_pages", "an API token works on the JSON API (/api/v1) only: log in to use the pages")
	}
	r, ok := s.routes.Lookup(c.Method(), c.Path())
	switch {
	case !ok:
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_route", "API tokens cannot call this route")
	case r.Scope == scopePublic:
		return acc.Allows(members.ScopeRead), nil
	case r.Scope == scopeSession:
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_session_only",
			"an API token cannot mint or revoke tokens, change roles, sign a charter, log out or erase an account: log in with your password for this")
	case !acc.Allows(r.Scope):
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_scope", "this API token lacks the %s scope: mint one that has it", r.Scope).With("scope", r.Scope)
	}
	return true, nil
}
