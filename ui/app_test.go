package ui_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
	"coop/ui"
	"coop/ui/server"
	"coop/ui/uitest"
)

func TestErrors_OneShapeForEveryCode(t *testing.T) {
	var logs bytes.Buffer
	app := uitest.NewWithLogger(t, slog.New(slog.NewJSONHandler(&logs, nil)))
	errs := map[string]error{
		"invalid":  raftdata.Errorf(raftdata.CodeInvalid, "bad field"),
		"conflict": raftdata.Errorf(raftdata.CodeConflict, "already voted"),
		"wrapped":  errors.Join(errors.New("context"), raftdata.Errorf(raftdata.CodeTooMany, "slow down")),
		"internal": errors.New("disk on fire at /secret/path"),
		"fiber":    fiber.NewError(fiber.StatusForbidden, "Forbidden"),
	}
	app.Get("/api/v1/test-error/:name", func(c *fiber.Ctx) error { return errs[c.Params("name")] })

	tests := []struct {
		name, code, message string
		status              int
	}{
		{"invalid", "invalid", "bad field", 400},
		{"conflict", "conflict", "already voted", 409},
		{"wrapped", "too_many", "slow down", 429},
		{"internal", "internal", "internal error", 500},
		{"fiber", "forbidden", "Forbidden", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/api/v1/test-error/"+tt.name, nil))
			got := uitest.DecodeError(t, body)
			if resp.StatusCode != tt.status || string(got.Code) != tt.code || got.Message != tt.message {
				t.Fatalf("%d %s, want %d %s %q", resp.StatusCode, body, tt.status, tt.code, tt.message)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Fatalf("the internal error was not logged: %s", logs.String())
	}

	resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/api/v1/no/such/thing", nil))
	if got := uitest.DecodeError(t, body); resp.StatusCode != 404 || got.Code != raftdata.CodeNotFound {
		t.Fatalf("unknown route: %d %s", resp.StatusCode, body)
	}
}

func TestMiddleware_HeadersAndRequestID(t *testing.T) {
	app := ui.New(uitest.OpenEnv(t).Deps)
	for _, path := range []string{"/healthz", "/nope"} {
		resp, _ := uitest.Call(t, app, httptest.NewRequest("GET", path, nil))
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if id := resp.Header.Get("X-Request-ID"); !server.ValidRequestID(id) {
			t.Errorf("%s: request id %q", path, id)
		}
	}

	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "trace-42")
	if resp, _ := uitest.Call(t, app, req); resp.Header.Get("X-Request-ID") != "trace-42" {
		t.Fatalf("a valid request id was not kept: %q", resp.Header.Get("X-Request-ID"))
	}
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "<script>")
	if resp, _ := uitest.Call(t, app, req); resp.Header.Get("X-Request-ID") == "<script>" {
		t.Fatal("an invalid request id was echoed")
	}
}

func TestHealth_ReadyOnlyOnceBootstrapped(t *testing.T) {
	env := uitest.OpenEnv(t)
	st := env.Store
	app := ui.New(env.Deps)

	resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/healthz", nil))
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	resp, body = uitest.Call(t, app, httptest.NewRequest("GET", "/readyz", nil))
	if got := uitest.DecodeError(t, body); resp.StatusCode != 503 || !strings.Contains(got.Message, "bootstrap") {
		t.Fatalf("readyz before bootstrap: %d %s", resp.StatusCode, body)
	}
	if err := st.MarkBootstrapped(context.Background()); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, 5*time.Second, func() bool {
		resp, _ := uitest.Call(t, app, httptest.NewRequest("GET", "/readyz", nil))
		return resp.StatusCode == 200
	})
}

func TestMetrics_RaftFiguresAndRequests(t *testing.T) {
	app := ui.New(uitest.OpenEnv(t).Deps)
	uitest.Call(t, app, httptest.NewRequest("GET", "/healthz", nil))
	uitest.Call(t, app, httptest.NewRequest("GET", "/invented/path/123", nil))

	resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/metrics", nil))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`coop_raft_state{state="leader"} 1`,
		`coop_raft_state{state="follower"} 0`,
		"\ncoop_raft_term ",
		"\ncoop_raft_commit_index ",
		"\ncoop_raft_applied_index ",
		"\ncoop_raft_last_log_index ",
		"\ncoop_raft_last_snapshot_index ",
		`coop_http_requests_total{route="/healthz",method="GET",code="200"} 1`,
		`coop_http_requests_total{route="unmatched",method="GET",code="404"} 1`,
		`coop_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1`,
		`coop_http_request_duration_seconds_count{route="unmatched"} 1`,
		"# TYPE coop_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "invented") {
		t.Error("a path clients made up became a label")
	}
	if t.Failed() {
		t.Log(body)
	}
}

// TestServe_InternalAPI serves the app on a real loopback listener: the
// node-to-node API answers calls signed with the cluster key and refuses
// the others, loopback included.
func TestServe_InternalAPI(t *testing.T) {
	env := uitest.OpenEnv(t)
	app := ui.New(env.Deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(time.Second) })
	base := "http://" + ln.Addr().String()

	req, _ := http.NewRequest("GET", base+raftdata.InternalPrefix+"status", nil)
	if err := raftdata.SignRequest(req, raftdatatest.ClusterKey); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var self raftdata.NodeStatus
	json.NewDecoder(resp.Body).Decode(&self)
	resp.Body.Close()
	if resp.StatusCode != 200 || self.ID != "n1" || self.State != "leader" {
		t.Fatalf("internal status, signed: %d %+v", resp.StatusCode, self)
	}
	// Loopback gives no operator rights on the public API.
	resp, err = http.Get(base + "/api/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("cluster from loopback without credentials: %d", resp.StatusCode)
	}
	// Nor on the node-to-node API: an unsigned call is refused from
	// loopback as from anywhere.
	resp, err = http.Get(base + raftdata.InternalPrefix + "status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("internal API from loopback, unsigned: %d", resp.StatusCode)
	}
	r, body := uitest.Call(t, app, httptest.NewRequest("GET", raftdata.InternalPrefix+"status", nil))
	if r.StatusCode != 403 {
		t.Fatalf("internal API from a remote caller: %d %s", r.StatusCode, body)
	}
}

// TestServe_BodyLimit sends a body over the limit to a real server: the
// answer is the usual JSON error.
func TestServe_BodyLimit(t *testing.T) {
	app := ui.New(uitest.OpenEnv(t).Deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(time.Second) })

	// Announce the body and let the server answer before sending it, as a
	// client that honours an early answer does.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/cluster HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", server.BodyLimit+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if got := uitest.DecodeError(t, string(body)); resp.StatusCode != 400 || !strings.Contains(got.Message, "4 MiB") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
