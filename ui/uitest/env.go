// Package uitest holds the fixtures the tests of ui/api, ui/web and
// ui/server share: a real one-node coop (Env, Coop) assembled by ui.New
// as coop serve does, in-memory requests (Call, Fetch), a cookie-keeping
// client that posts forms with their CSRF token (Browser), and a live
// feed on an embedded NATS server (Coop.WithLive). It is imported by
// tests only.
package uitest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/governance/governancetest"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
	"coop/ui"
	"coop/ui/server"
)

// Env is a real one-node coop: store, services, an operator.
type Env struct {
	Store    *raftdata.Store
	Deps     server.Deps
	Members  *members.Service
	operator members.Account
}

func RegisterAll(reg *raftdata.Registry) {
	members.Register(reg)
	governance.Register(reg)
	pooling.Register(reg)
	proposals.Register(reg)
}

// OpenEnv starts a real node with every service and the first operator;
// the bootstrap is NOT marked done (the readiness test marks it).
func OpenEnv(t testing.TB) *Env {
	t.Helper()
	return EnvOn(t, raftdatatest.Start(t, RegisterAll))
}

// EnvOn is OpenEnv on a node already started (the leader of a cluster).
func EnvOn(t testing.TB, n *raftdatatest.Node) *Env {
	t.Helper()
	return EnvOnRules(t, n, governancetest.Rules())
}

// EnvOnRules is EnvOn under another rulebook than the tests' own.
func EnvOnRules(t testing.TB, n *raftdatatest.Node, rules governance.Rulebook) *Env {
	t.Helper()
	ctx := context.Background()
	gov := governance.New(n.Store)
	if err := gov.Bootstrap(ctx, rules); err != nil {
		t.Fatal(err)
	}
	// The slow-down of an account under attack costs these tests no time
	// (coop's tests wait it out through real nodes).
	noPause := func(context.Context, time.Duration) error { return nil }
	e := &Env{Store: n.Store, Members: members.New(n.Store, members.Options{Rulebook: gov, Pause: noPause})}
	if _, err := e.Members.BootstrapOperator(ctx, "op@coop.test", Password); err != nil {
		t.Fatal(err)
	}
	e.Deps = server.Deps{Cluster: n.Store, Members: e.Members, Rules: gov, Pools: pooling.New(n.Store),
		Proposals: proposals.New(n.Store, proposals.Options{}), Backups: n.Store, Logger: Logger()}
	return e
}

const Password = "plum orchard lantern 42"

func Logger() *slog.Logger {
	if os.Getenv("COOP_TEST_LOG") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func WaitFor(t *testing.T, total time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(total)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition still false after %v", total)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Call runs one request through the app in memory. fiber's test
// connection comes from 0.0.0.0: not loopback.
func Call(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func DecodeError(t *testing.T, body string) raftdata.Error {
	t.Helper()
	var eb struct {
		Error *raftdata.Error `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Error == nil {
		t.Fatalf("not an error body: %q", body)
	}
	return *eb.Error
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func NewWithLogger(t *testing.T, l *slog.Logger) *fiber.App {
	d := OpenEnv(t).Deps
	d.Logger = l
	return ui.New(d)
}

// Bearer runs a JSON request with Authorization: Bearer token.
func Bearer(t *testing.T, w *Coop, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	req := JSONRequest(method, path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	return Call(t, w.App, req)
}

func JSONRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}
