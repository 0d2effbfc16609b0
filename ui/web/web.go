// Package web is coop's pages: one file per page or form, the templ
// components they render in ui/pages and ui/components, the messages in
// ui/i18n, the assets in ui/static, and the live updates of pages over
// Server-Sent Events (live.go, live_me.go). Forms post to page routes that
// answer with a redirect (303) on success and re-render the form with its
// error and a 4xx status on failure.
//
// The pages call the same services as the JSON API (ui/api) through what
// package server shares, never through the API's handlers. Tests: the
// pages' tests (package web_test) start real nodes through ui/uitest; the
// browser tests (browser_*_test.go) drive Debian's chromium through the
// harness in browser_test.go.
package web

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/static"
)

// web serves the HTML pages. They call the same services as the JSON API;
// forms post to page routes that answer with a redirect (303) on success
// and re-render the form with the error and a 4xx status on failure.
type web struct {
	*server.Server
	cat    *i18n.Catalog
	assets *static.Assets
	cached pageCaches // what pages draw from the state alone, per applied index
}

// Mount adds the web pages and their assets to app.
func Mount(app *fiber.App, s *server.Server) {
	w := &web{Server: s, cat: s.Catalog, assets: static.Load()}
	s.PageError = w.errorPage
	app.Get(static.Prefix+":file", w.asset)
	app.Get("/lang/:lang", w.switchLang)
	app.Get("/", w.homePage)
	app.Get("/rules", w.rulesPage)
	app.Get("/pools", w.poolsPage)
	app.Get("/pools/:id", w.poolPage)
	app.Post("/pools/:id/consent", w.consentSubmit)
	app.Get("/proposals", w.proposalsPage)
	app.Get("/results", w.publishedPage)
	app.Get("/sandbox", w.sandboxPage)
	app.Get("/sandbox.csv", w.sandboxCSV)
	app.Get("/proposals/new", w.proposalNewPage)
	app.Post("/proposals/new", w.proposalNewSubmit)
	app.Get("/proposals/:id", w.proposalPage)
	app.Post("/proposals/:id/vote", w.voteSubmit)
	app.Post("/proposals/:id/receipt", w.receiptDownload)
	app.Post("/proposals/:id/run", w.runSubmit)
	app.Post("/proposals/:id/open", w.openSubmit)
	app.Get("/proposals/:id/filed", w.proposalFiledPage)
	app.Get("/proposals/:id/discussion", w.discussionPage)
	app.Post("/proposals/:id/discussion", w.commentSubmit)
	app.Get("/proposals/:id/ballots", w.ballotsPage)
	app.Post("/proposals/:id/ballots", w.receiptCheckSubmit)
	app.Get("/proposals/:id/objection", w.objectionPage)
	app.Post("/proposals/:id/objection", w.objectionSubmit)
	app.Get("/signup", w.signupPage)
	app.Post("/signup", w.Signups, w.signupSubmit)
	app.Get("/login", w.loginPage)
	app.Post("/login", w.loginSubmit)
	app.Post("/logout", w.logoutSubmit)
	app.Get("/password/forgot", w.forgotPage)
	app.Post("/password/forgot", w.forgotSubmit)
	app.Get("/password/reset", w.resetPage)
	app.Post("/password/reset", w.resetSubmit)
	app.Get("/email/verify", w.verifyPage)
	app.Post("/email/verify", w.verifySubmit)
	app.Get("/me", w.mePage)
	app.Get("/live/proposals/:id", w.liveProposal)
	app.Get("/live/me", w.liveMe)
	app.Get("/me/records", w.recordsPage)
	app.Post("/me/records/:id/delete", w.recordDeleteSubmit)
	app.Get("/me/records/:id/edit", w.rectifyPage)
	app.Post("/me/records/:id", w.rectifySubmit)
	app.Get("/me/proposals", w.myProposalsPage)
	app.Get("/me/account", w.settingsPage)
	app.Post("/me/tokens", w.tokenSubmit)
	app.Post("/me/profile", w.profileSubmit)
	app.Post("/me/password", w.passwordSubmit)
	app.Post("/me/email/verification", w.verifyResendSubmit)
	app.Post("/me/tokens/:id/revoke", w.tokenRevokeSubmit)
	app.Post("/me/delete", w.eraseSubmit)
	app.Get("/me/charter", w.chartersPage)
	app.Get("/me/custodian", w.custodianKeyPage)
	app.Post("/me/custodian", w.custodianKeySubmit)
	app.Get("/custodians/new", w.custodiansNewPage)
	app.Post("/custodians/new", w.custodiansNewSubmit)
	app.Post("/me/charter", w.charterSubmit)
	app.Post("/pools/:id/upload", w.uploadSubmit)
	app.Post("/pools/:id/records", w.readingSubmit)
	app.Get("/pools/:id/template.csv", w.templateCSV)
	app.Get("/ops", w.opsPage)
	app.Get("/ops/pools", w.opsPoolsPage)
	app.Post("/ops/pools", w.opsPoolSubmit)
	app.Get("/ops/members/:id", w.opsMemberPage)
	app.Post("/ops/members/:id/delete", w.opsDeleteSubmit)
	app.Post("/ops/retention", w.opsRetentionSubmit)
	app.Post("/ops/nodes/:id/remove", w.opsRemoveNodeSubmit)
	app.Post("/ops/members/:id/role", w.opsRoleSubmit)
	app.Post("/ops/members/:id/status", w.opsStatusSubmit)
	app.Post("/ops/applicants/:id/admit", w.opsAdmitSubmit)
	app.Post("/me/applicants/:id/sponsor", w.sponsorSubmit)
	app.Post("/ops/members/:id/reset-link", w.opsResetLinkSubmit)
	app.Post("/proposals/:id/proxy", w.proxySubmit)
	app.Post("/me/proxy", w.standingSubmit)
	app.Get("/amendments/new", w.amendmentPage)
	app.Post("/amendments/new", w.amendmentSubmit)
	app.Post("/ops/guests", w.opsGuestSubmit)
	app.Post("/ops/members/:id/college", w.opsCollegeSubmit)
}

// page is the frame of a page: language, account, CSRF token, assets, and
// the one-time notice left by the previous redirect.
func (w *web) page(c *fiber.Ctx, nav, titleKey string) components.Page {
	tr := w.cat.For(server.Lang(c))
	p := components.Page{
		Tr:     tr,
		Title:  tr.T(titleKey),
		Nav:    nav,
		Path:   c.OriginalURL(),
		CSRF:   w.formToken(c),
		CSS:    w.assets.URL("app.css"),
		Script: w.assets.URL("live.js"),
		Icon:   w.assets.URL("favicon.svg"),
	}
	if a, ok := server.Actor(c); ok {
		p.User = &components.Viewer{Name: a.Name, Researcher: a.Has(members.RoleResearcher), Operator: a.Has(members.RoleOperator)}
	}
	if f, ok := readFlash(c); ok {
		switch {
		case f.Notice != "" && tr.Has("notice."+f.Notice+".one"):
			p.Notice = tr.N("notice."+f.Notice, f.Count)
		case f.Notice != "" && tr.Has("notice."+f.Notice):
			p.Notice = tr.T("notice." + f.Notice)
		}
		clearFlash(c)
	}
	return p
}

// render writes a page with status, straight into the answer's body (a
// buffer fasthttp reuses between requests). Pages carry a CSRF token and
// may carry personal data: no cache keeps them.
func (w *web) render(c *fiber.Ctx, status int, page templ.Component) error {
	resp := c.Response()
	resp.ResetBody()
	if err := page.Render(c.UserContext(), resp.BodyWriter()); err != nil {
		resp.ResetBody()
		return fmt.Errorf("render %s: %w", c.Path(), err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	c.Type("html", "utf-8")
	c.Status(status)
	return nil
}

// seeOther ends a successful form: the browser loads location with a GET.
func seeOther(c *fiber.Ctx, location string) error {
	return c.Redirect(location, fiber.StatusSeeOther)
}

// toLogin sends an anonymous visitor to the login page, then back to next.
func toLogin(c *fiber.Ctx, next string) error {
	return seeOther(c, "/login?next="+url.QueryEscape(safeNext(next, "/me")))
}

// safeNext keeps a redirect inside this site: a path, never another host.
func safeNext(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || len(next) > 512 {
		return fallback
	}
	return next
}
