package raftdata

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestInternalAPIRefusesOtherMachinesWithoutClusterKey(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true, func(c *Config) { c.ClusterKey = "s3cret-cluster-key" })
	defer n.stop()
	leaderOf(t, n)
	h := n.Handler()
	cases := []struct {
		name, remote, key string
		want              int
	}{
		{"loopback without key", "127.0.0.1:5000", "", http.StatusOK},
		{"ipv6 loopback", "[::1]:5000", "", http.StatusOK},
		{"remote without key", "192.0.2.7:5000", "", http.StatusForbidden},
		{"remote with wrong key", "192.0.2.7:5000", "guess", http.StatusForbidden},
		{"remote with key", "192.0.2.7:5000", "s3cret-cluster-key", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, pathStatus, nil)
			req.RemoteAddr = tc.remote
			if tc.key != "" {
				req.Header.Set(headerClusterKey, tc.key)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

func TestForwardedApplyRejectsGarbage(t *testing.T) {
	n := startNode(t, "n1", t.TempDir(), "", true)
	defer n.stop()
	leaderOf(t, n)
	for _, body := range []string{"", "{", `{"v":1}`, `{"v":99,"type":"test.add","id":"x"}`} {
		resp, err := http.Post(n.url+pathApply, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("body %q: status %d, want 400", body, resp.StatusCode)
		}
	}
}
