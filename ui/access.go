package ui

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
	scope members.Scope
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
	"GET /governance/rules":              {scope: scopePublic},
	"GET /governance/custodians":         {scope: scopePublic},
	"POST /email/verify":                 {scope: scopePublic},
	"POST /password/reset":               {scope: scopePublic},
	"POST /password/reset/confirm":       {scope: scopePublic},
	"POST /signup":                       {scope: scopePublic},
	"POST /login":                        {scope: scopePublic},
	"GET /pools":                         {scope: scopePublic},
	"GET /pools/:pool":                   {scope: scopePublic},
	"GET /proposals":                     {scope: scopePublic},
	"GET /proposals/:id":                 {scope: scopePublic},
	"GET /proposals/:id/results":         {scope: scopePublic},
	"GET /proposals/:id/results.csv":     {scope: scopePublic},
	"GET /governance/turnout":            {scope: scopePublic},
	"POST /proposals/:id/secret-ballots": {scope: scopePublic, anonymous: true},

	"POST /logout":                    {scope: scopeSession},
	"DELETE /me":                      {scope: scopeSession},
	"POST /me/charter":                {scope: scopeSession},
	"POST /me/tokens":                 {scope: scopeSession},
	"DELETE /me/tokens/:id":           {scope: scopeSession},
	"POST /members/:id/roles":         {scope: scopeSession},
	"DELETE /members/:id/roles/:role": {scope: scopeSession},
	"DELETE /members/:id":             {scope: scopeSession},
	"POST /members/:id/admit":         {scope: scopeSession},
	"POST /members/:id/sponsor":       {scope: scopeSession},
	"PUT /me/custodian-key":           {scope: scopeSession},
	"PATCH /me":                       {scope: scopeSession},
	"POST /me/password":               {scope: scopeSession},
	"POST /me/email/verification":     {scope: scopeSession},
	"POST /members/:id/reset-link":    {scope: scopeSession},
	"PUT /members/:id/college":        {scope: scopeSession},

	"GET /me":                     {scope: members.ScopeRead},
	"GET /me/export":              {scope: members.ScopeRead},
	"GET /me/export/:file":        {scope: members.ScopeRead},
	"GET /me/journal":             {scope: members.ScopeRead},
	"GET /me/tokens":              {scope: members.ScopeRead},
	"GET /me/consents":            {scope: members.ScopeRead},
	"GET /me/records":             {scope: members.ScopeRead},
	"GET /me/proposals":           {scope: members.ScopeRead},
	"GET /members/applicants":     {scope: members.ScopeRead},
	"GET /members/journal":        {scope: members.ScopeRead},
	"GET /proposals/:id/ballots":  {scope: members.ScopeRead},
	"GET /proposals/:id/comments": {scope: members.ScopeRead},
	"GET /proposals/:id/preview":  {scope: members.ScopeRead},
	"POST /sandbox/:pool/queries": {scope: members.ScopeRead},
	"GET /proposals/:id/proxy":    {scope: members.ScopeRead},
	"GET /me/proxy":               {scope: members.ScopeRead},
	"GET /me/secret-votes":        {scope: members.ScopeRead},

	"POST /proposals":                  {scope: members.ScopeVote},
	"POST /proposals/:id/open":         {scope: members.ScopeVote},
	"POST /proposals/:id/ballots":      {scope: members.ScopeVote},
	"POST /proposals/:id/comments":     {scope: members.ScopeVote},
	"POST /proposals/:id/queries":      {scope: members.ScopeVote},
	"PUT /proposals/:id/proxy":         {scope: members.ScopeVote},
	"DELETE /proposals/:id/proxy":      {scope: members.ScopeVote},
	"PUT /me/proxy":                    {scope: members.ScopeVote},
	"DELETE /me/proxy":                 {scope: members.ScopeVote},
	"POST /proposals/:id/voting-token": {scope: members.ScopeVote},

	"PUT /pools/:pool/consent":     {scope: members.ScopeContribute},
	"POST /pools/:pool/records":    {scope: members.ScopeContribute, csv: true},
	"PUT /me/records/:id":          {scope: members.ScopeContribute},
	"DELETE /me/records/:id":       {scope: members.ScopeContribute},
	"PUT /proposals/:id/objection": {scope: members.ScopeContribute},

	"GET /cluster":                {scope: members.ScopeOperate},
	"DELETE /cluster/nodes/:id":   {scope: members.ScopeOperate},
	"POST /backup":                {scope: members.ScopeOperate},
	"GET /members":                {scope: members.ScopeOperate},
	"POST /members/:id/suspend":   {scope: members.ScopeOperate},
	"POST /members/:id/reinstate": {scope: members.ScopeOperate},
	"POST /retention/runs":        {scope: members.ScopeOperate},
	"GET /journal":                {scope: members.ScopeOperate},
	"POST /pools":                 {scope: members.ScopeOperate},
	"POST /guests":                {scope: members.ScopeOperate},
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

// lookup finds the route of method and path (under /api/v1, in any case,
// as fiber routes it); a static segment wins over a parameter.
func (t routeTable) lookup(method, path string) (apiRoute, bool) {
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
func (s *server) tokenMay(c *fiber.Ctx, acc members.Access) (bool, error) {
	if acc.Session {
		return true, nil
	}
	if _, ok := apiPath(c.Path()); !ok {
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_pages", "an API token works on the JSON API (/api/v1) only: log in to use the pages")
	}
	r, ok := s.routes.lookup(c.Method(), c.Path())
	switch {
	case !ok:
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_route", "API tokens cannot call this route")
	case r.scope == scopePublic:
		return acc.Allows(members.ScopeRead), nil
	case r.scope == scopeSession:
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_session_only",
			"an API token cannot mint or revoke tokens, change roles, sign a charter, log out or erase an account: log in with your password for this")
	case !acc.Allows(r.scope):
		return false, raftdata.Refuse(raftdata.CodeForbidden, "token_scope", "this API token lacks the %s scope: mint one that has it", r.scope).With("scope", r.scope)
	}
	return true, nil
}
