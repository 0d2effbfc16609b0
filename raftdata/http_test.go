package raftdata

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestJoinFailsClearlyOnBadAddresses(t *testing.T) {
	n := startNode(t, "n2", t.TempDir(), "", false, func(c *Config) {})
	defer n.stop()

	notCoop := httptest.NewServer(http.NotFoundHandler())
	defer notCoop.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		name, url, want string
		within          time.Duration
	}{
		{"not a URL", "127.0.0.1:8080", "wants the HTTP URL", time.Second},
		{"not coop", notCoop.URL, "did not answer like a coop node", 2 * time.Second},
		{"unreachable", "http://" + deadAddr, "gave up after", 30 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.within)
			defer cancel()
			err := n.JoinCluster(ctx, tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestInternalAPIAnswersOnlyCallsSignedWithTheKey: whatever the caller's
// address, the node-to-node API answers a call only when it is signed with
// the cluster key, over this very method, path and body, within the
// freshness window.
func TestInternalAPIAnswersOnlyCallsSignedWithTheKey(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	leaderOf(t, n)
	h := n.Handler()
	right, err := deriveClusterKey(testClusterKey)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := deriveClusterKey("another-clusters-key-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	join := `{"id":"n1","raft_addr":"` + n.RaftAddr() + `","http_url":"` + n.url + `"}`
	cases := []struct {
		name, remote, method, path, body string
		sign                             func(*http.Request)
		want                             int
		says                             string
	}{
		{"loopback, no signature", "127.0.0.1:5000", "GET", pathStatus, "", nil, 403, "carries no signature"},
		{"ipv6 loopback, no signature", "[::1]:5000", "GET", pathStatus, "", nil, 403, "carries no signature"},
		{"remote, no signature", "192.0.2.7:5000", "GET", pathStatus, "", nil, 403, "carries no signature"},
		{"the raw key in a header", "127.0.0.1:5000", "GET", pathStatus, "", func(r *http.Request) {
			r.Header.Set("X-Coop-Cluster-Key", testClusterKey)
		}, 403, "carries no signature"},
		{"malformed signature", "127.0.0.1:5000", "GET", pathStatus, "", func(r *http.Request) {
			r.Header.Set(headerClusterAuth, authScheme+" yesterday 00")
		}, 403, "malformed"},
		{"another cluster's key", "127.0.0.1:5000", "GET", pathStatus, "", func(r *http.Request) {
			wrong.sign(r, nil, time.Now())
		}, 403, "another cluster key"},
		{"signed two minutes ago", "127.0.0.1:5000", "GET", pathStatus, "", func(r *http.Request) {
			right.sign(r, nil, time.Now().Add(-2*time.Minute))
		}, 403, "set the nodes' clocks"},
		{"signed for another path", "127.0.0.1:5000", "GET", pathHash, "", func(r *http.Request) {
			r.URL.Path = pathStatus
			right.sign(r, nil, time.Now())
			r.URL.Path = pathHash
		}, 403, "another cluster key"},
		{"signed for another body", "127.0.0.1:5000", "POST", pathJoin, join, func(r *http.Request) {
			right.sign(r, []byte(`{"id":"n1"}`), time.Now())
		}, 403, "another cluster key"},
		{"signed, remote", "192.0.2.7:5000", "GET", pathStatus, "", func(r *http.Request) {
			right.sign(r, nil, time.Now())
		}, 200, `"id":"n1"`},
		{"signed, with a body", "127.0.0.1:5000", "POST", pathJoin, join, func(r *http.Request) {
			right.sign(r, []byte(join), time.Now())
		}, 200, `"joined":true`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.RemoteAddr = tc.remote
			if tc.sign != nil {
				tc.sign(req)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.says) {
				t.Fatalf("status %d %s, want %d saying %q", rec.Code, rec.Body, tc.want, tc.says)
			}
		})
	}
}

func TestForwardedApplyRejectsGarbage(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	leaderOf(t, n)
	for _, body := range []string{"", "{", `{"v":1}`, `{"v":99,"type":"test.add","id":"x"}`} {
		req, _ := http.NewRequest(http.MethodPost, n.url+pathApply, strings.NewReader(body))
		if err := SignRequest(req, testClusterKey); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("body %q: status %d, want 400", body, resp.StatusCode)
		}
	}
}

// TestRefusedCallsAreLoggedWithoutFlooding: a caller without the key is
// logged (its address and why), but a flood of them makes one line per
// ten seconds, saying how many more there were.
func TestRefusedCallsAreLoggedWithoutFlooding(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	n := startNode(t, "n1", t.TempDir(), "", true, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	})
	defer n.stop()
	leaderOf(t, n)
	for range 50 {
		req := httptest.NewRequest(http.MethodGet, pathStatus, nil)
		req.RemoteAddr = "192.0.2.7:5000"
		n.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Count(logs.String(), "node-to-node call refused"); got != 1 {
		t.Fatalf("%d log lines for 50 refused calls, want 1:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "192.0.2.7:5000") || strings.Contains(logs.String(), testClusterKey) {
		t.Fatalf("the line does not name the caller, or holds the key:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A peer's answer that is not a coop error says what to do with the call:
// 503 (a node busy, or stopping while it read the request) is tried
// again, 404 (a path an older node does not serve) is told apart, any
// other is not a coop node.
func TestCallReadsAnswersThatAreNotCoopErrors(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	cases := []struct {
		status    int
		retryable bool
		notFound  bool
	}{
		{http.StatusServiceUnavailable, true, false},
		{http.StatusNotFound, false, true},
		{http.StatusInternalServerError, false, false},
	}
	for _, c := range cases {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(c.status)
			w.Write([]byte("<html>not a coop answer</html>"))
		}))
		var out any
		err := n.call(context.Background(), http.MethodPost, peer.URL+pathApply, []byte("{}"), &out)
		peer.Close()
		var nf notFoundError
		if err == nil || retryable(err) != c.retryable || errors.As(err, &nf) != c.notFound {
			t.Errorf("HTTP %d: %v (retryable %v, not found %v)", c.status, err, retryable(err), errors.As(err, &nf))
		}
	}
}
