package server

import (
	"mime"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
)

// The HTTP edge: who the client is behind a reverse proxy, and the headers
// every answer needs whatever route gave it.

// proxies are the reverse proxies a node believes (Deps.TrustedProxies).
type proxies []netip.Prefix

func (p proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, prefix := range p {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// Strings is the list in the form fiber's TrustedProxies takes. fiber
// reads the scheme (X-Forwarded-Proto) from these peers only, for
// c.Protocol(): Secure cookies and HSTS behind a proxy that ends TLS.
func (p proxies) Strings() []string {
	out := make([]string, len(p))
	for i, prefix := range p {
		out[i] = prefix.String()
	}
	return out
}

// ClientIP is the address of the client: the peer of the connection,
// unless that peer is a trusted proxy. Then X-Forwarded-For is read from
// the right, each proxy having appended the address it got the request
// from, and the first address that is not a trusted proxy is the client.
// Whatever a client writes in the header itself stays to the left of what
// its first proxy appended, so it is never taken (fiber's c.IP() takes the
// leftmost entry, which the client chooses: coop does not use it).
func (s *Server) ClientIP(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !s.Proxies.trusts(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	client := peer.String()
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			if ap, perr := netip.ParseAddrPort(hop); perr == nil {
				a, err = ap.Addr(), nil
			}
		}
		if err != nil {
			break // a broken chain: keep the last address a trusted proxy vouched for
		}
		client = a.Unmap().String()
		if !s.Proxies.trusts(a) {
			break
		}
	}
	return client
}

// EdgeHeaders sets what depends on the request rather than the route:
// HSTS on every answer given over HTTPS (served with --tls-cert, or by a
// trusted proxy that ended TLS), and Cache-Control: no-store on every
// personal answer (a request that carried a credential, anything under
// /api/v1/me, and the login's token), set after the handler so that no
// route can leave it out.
func (s *Server) EdgeHeaders(c *fiber.Ctx) error {
	if c.Protocol() == "https" {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
	err := c.Next()
	if personal(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return err
}

func personal(c *fiber.Ctx) bool {
	if _, ok := Actor(c); ok || c.Get(fiber.HeaderAuthorization) != "" {
		return true
	}
	rest, _ := apiPath(c.Path())
	return rest == "/me" || strings.HasPrefix(rest, "/me/") || rest == "/login"
}

// CodeUnsupportedMedia refuses a body that is not JSON (415): the JSON API
// takes application/json only, so that a form of another site, which can
// send text/plain, urlencoded or multipart bodies but not JSON, cannot
// call it.
const CodeUnsupportedMedia raftdata.Code = "unsupported_media_type"

// RequireJSON refuses API writes whose body is not JSON: any request
// under /api/v1 with a body or a Content-Type must say application/json
// (a charset parameter is fine), or text/csv on the routes that take CSV.
func (s *Server) RequireJSON(c *fiber.Ctx) error {
	if _, api := apiPath(c.Path()); !api || !unsafeMethod(c.Method()) {
		return c.Next()
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" && len(c.Request().Body()) == 0 {
		return c.Next()
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == fiber.MIMEApplicationJSON {
		return c.Next()
	}
	if r, _ := s.routes.Lookup(c.Method(), c.Path()); err == nil && mt == "text/csv" && r.csv {
		return c.Next()
	}
	if mt == "text/csv" {
		return raftdata.Refuse(CodeUnsupportedMedia, "json_only", "this route takes JSON only (Content-Type: application/json)")
	}
	return raftdata.Refuse(CodeUnsupportedMedia, "json_only", "the JSON API takes JSON only: send Content-Type: application/json")
}

// RefuseCrossSite refuses a form of another site posted to a page route,
// whatever cookies came with it: browsers say where a request comes from
// (Sec-Fetch-Site), and a page's own forms are same-origin. A sibling
// subdomain ("same-site") could have planted the pre-session form cookie,
// so it is refused too. Browsers that send no such header still meet the
// form's CSRF token (ui/web/forms.go). The JSON API needs no such check: it
// takes JSON only, which no form can send.
func RefuseCrossSite(c *fiber.Ctx) error {
	if !unsafeMethod(c.Method()) || !wantsPage(c) {
		return c.Next()
	}
	switch c.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return CSRFRefused()
	}
	return c.Next()
}
