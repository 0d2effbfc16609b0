package server_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
	"coop/ui/uitest"
)

// ClientIP believes X-Forwarded-For only from a trusted proxy, and reads
// it from the right: the first hop no trusted proxy holds is the client.
// fiber's test connections come from 0.0.0.0.
func TestClientIP(t *testing.T) {
	trusted := server.Proxies{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name    string
		proxies server.Proxies
		xff     []string
		want    string
	}{
		{"no proxy trusted", nil, []string{"198.51.100.1"}, "0.0.0.0"},
		{"trusted, no header", trusted, nil, "0.0.0.0"},
		{"one hop", trusted, []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged first hop", trusted, []string{"203.0.113.66, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", trusted, []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"headers repeated", trusted, []string{"203.0.113.66", "198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"IPv6 with spaces", trusted, []string{" 2001:db8::7 , fd00::1 "}, "2001:db8::7"},
		{"mapped IPv4", trusted, []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"with a port", trusted, []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"garbage past a trusted hop", trusted, []string{"nonsense, 10.1.2.3"}, "10.1.2.3"},
		{"only trusted hops", trusted, []string{"10.9.9.9, 10.1.2.3"}, "10.9.9.9"},
	}
	for _, tc := range cases {
		s := &server.Server{Proxies: tc.proxies}
		app := fiber.New()
		app.Get("/", func(c *fiber.Ctx) error { return c.SendString(s.ClientIP(c)) })
		req := httptest.NewRequest("GET", "/", nil)
		for _, h := range tc.xff {
			req.Header.Add("X-Forwarded-For", h)
		}
		if _, got := uitest.Call(t, app, req); got != tc.want {
			t.Errorf("%s: client %q, want %q", tc.name, got, tc.want)
		}
	}
}
