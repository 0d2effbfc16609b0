package api_test

import (
	"os"
	"strings"
	"testing"

	"coop/ui"
	"coop/ui/uitest"
)

// docs/api.md lists every route of the JSON API: a route added without
// its line fails here.
func TestAPIDocListsEveryRoute(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	app := ui.New(uitest.OpenEnv(t).Deps)
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		path, ok := strings.CutPrefix(r.Path, "/api/v1")
		if !ok || r.Method == "HEAD" || path == "" || seen[r.Method+path] {
			continue
		}
		seen[r.Method+path] = true
		if !strings.Contains(string(doc), r.Method+" "+path+"`") {
			t.Errorf("docs/api.md does not list %s /api/v1%s", r.Method, path)
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d API routes found", len(seen))
	}
}
