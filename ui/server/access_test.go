package server_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"coop/members"
	"coop/ui"
	"coop/ui/server"
	"coop/ui/uitest"
)

// Every route of the JSON API says what an API token needs to call it; a
// route missing from apiRoutes refuses every token and fails here, and so
// does an entry no route answers.
func TestAPIRoutesAllHaveAScope(t *testing.T) {
	app := ui.New(uitest.OpenEnv(t).Deps)
	table := server.NewRouteTable(server.APIRoutes)
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		path, ok := strings.CutPrefix(r.Path, server.APIPrefix)
		if !ok || r.Method == "HEAD" || path == "" {
			continue
		}
		key := r.Method + " " + path
		seen[key] = true
		if _, ok := server.APIRoutes[key]; !ok {
			t.Errorf("%s /api/v1%s is missing from apiRoutes (ui/access.go): give it the scope an API token needs", r.Method, path)
			continue
		}
		// The table finds the route from a request's path, parameters filled in.
		concrete := strings.NewReplacer(":pool", "energy", ":id", "x1", ":file", "energy.csv", ":role", "researcher").Replace(r.Path)
		if got, ok := table.Lookup(r.Method, strings.ToUpper(concrete[:8])+concrete[8:]); !ok || got != server.APIRoutes[key] {
			t.Errorf("lookup %s %s: %+v %v, want %+v", r.Method, concrete, got, ok, server.APIRoutes[key])
		}
	}
	for key := range server.APIRoutes {
		if !seen[key] {
			t.Errorf("apiRoutes lists %q, which no route answers", key)
		}
	}
}

// docs/api.md's table of scopes says what apiRoutes says.
func TestAPIDocScopesMatchTheTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## API tokens and their scopes")
	if !ok {
		t.Fatal("docs/api.md has no section on API tokens and their scopes")
	}
	names := map[string]members.Scope{"nothing": server.ScopePublic, "`read`": members.ScopeRead, "`vote`": members.ScopeVote,
		"`contribute`": members.ScopeContribute, "`operate`": members.ScopeOperate, "a login session": server.ScopeSession}
	route := regexp.MustCompile("`((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)`")
	listed := map[string]members.Scope{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for prefix, scope := range names {
			if strings.HasPrefix(strings.TrimSpace(cells[1]), prefix) {
				for _, m := range route.FindAllStringSubmatch(cells[2], -1) {
					listed[m[1]] = scope
				}
			}
		}
	}
	for key, r := range server.APIRoutes {
		if got, ok := listed[key]; !ok || got != r.Scope {
			t.Errorf("docs/api.md puts %q under %q, apiRoutes under %q", key, got, r.Scope)
		}
	}
	if len(listed) != len(server.APIRoutes) {
		t.Errorf("docs/api.md lists %d routes in its scope table, apiRoutes %d", len(listed), len(server.APIRoutes))
	}
}
