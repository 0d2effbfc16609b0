package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
	"coop/ui/static"
)

// Members is what ui needs from the members service.
type Members interface {
	Authenticate(ctx context.Context, token string) (members.Account, error)
	Access(ctx context.Context, token string) (members.Access, error)
	SignUp(ctx context.Context, in members.SignupInput) (members.Account, error)
	Login(ctx context.Context, in members.LoginInput) (members.Session, error)
	Logout(ctx context.Context, token string) error
	Export(ctx context.Context, accountID string) (members.Export, error)
	Journal(ctx context.Context, accountID string) ([]members.JournalEntry, error)
	DeleteAccount(ctx context.Context, actor members.Account, accountID string) error
	CreateToken(ctx context.Context, actor members.Account, in members.TokenRequest) (members.NewToken, error)
	Tokens(ctx context.Context, accountID string) ([]members.TokenInfo, error)
	RevokeToken(ctx context.Context, actor members.Account, tokenID string) error
	GrantRole(ctx context.Context, actor members.Account, accountID, role string) error
	RevokeRole(ctx context.Context, actor members.Account, accountID, role string) error
	Suspend(ctx context.Context, actor members.Account, accountID string) error
	Reinstate(ctx context.Context, actor members.Account, accountID string) error
	SignCharter(ctx context.Context, actor members.Account, kind members.CharterKind, lang string) error
	RunRetention(ctx context.Context) (members.RetentionReport, error)
	Get(ctx context.Context, id string) (members.Account, error)
	MemberByEmail(ctx context.Context, actor members.Account, email string) (members.Account, error)
	Admit(ctx context.Context, actor members.Account, accountID string) error
	Sponsor(ctx context.Context, actor members.Account, accountID string) (members.Sponsorship, error)
	Applicants(ctx context.Context, actor members.Account) ([]members.Applicant, error)
	MembershipJournal(ctx context.Context, actor members.Account, page int) (members.MembershipJournal, error)
	MonthlyCounts(ctx context.Context) ([]members.MonthCount, error)
	UpdateProfile(ctx context.Context, actor members.Account, name, email, currentPassword string) (members.Account, error)
	ChangePassword(ctx context.Context, actor members.Account, current, next string) error
	IssueReset(ctx context.Context, email string) (members.Link, bool, error)
	IssueResetFor(ctx context.Context, actor members.Account, accountID string) (members.Link, error)
	ResetPassword(ctx context.Context, token, password string) error
	IssueVerification(ctx context.Context, actor members.Account) (members.Link, error)
	VerifyEmail(ctx context.Context, token string) error
	EmailVerified(ctx context.Context, a members.Account) (bool, error)
	InviteGuest(ctx context.Context, actor members.Account, in members.GuestInput) (members.NewGuest, error)
	SetCollege(ctx context.Context, actor members.Account, accountID, college string) error
	MemberSince(ctx context.Context, id string) (time.Time, bool, error)
	AccountsPage(ctx context.Context, actor members.Account, query string, page int) (members.AccountPage, error)
}

const (
	SessionCookie   = "coop_session"
	csrfHeader      = "X-CSRF-Token"
	CSRFField       = "_csrf"
	localAccount    = "account"
	localAccess     = "access"
	LocalToken      = "token"
	localViaBrowser = "cookie"
)

// Authenticate identifies the caller, once per request: a Bearer token
// (scripts) or the session cookie (browsers). A credential that does not
// Authenticate is a 401 for a Bearer call; a stale cookie is dropped and
// the visitor continues anonymous. An API token may call only the routes
// of the JSON API its scopes allow (apiRoutes). Cookie calls that change
// something must carry the CSRF token of their session. Assets, probes
// and node-to-node calls carry no account.
func (s *Server) Authenticate(c *fiber.Ctx) error {
	if !needsAccount(c.Path()) {
		return c.Next()
	}
	if s.anonymousRoute(c) {
		if hasCredential(c) {
			return errCredentialOnSecretBallot()
		}
		return c.Next()
	}
	if bearer, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
		bearer = strings.TrimSpace(bearer)
		acc, err := s.Deps.Members.Access(c.UserContext(), bearer)
		if err != nil {
			return err
		}
		as, err := s.tokenMay(c, acc)
		if err != nil {
			return err
		}
		if as {
			setAccess(c, acc, bearer)
		}
		return c.Next()
	}
	if cookie := c.Cookies(SessionCookie); cookie != "" {
		acc, err := s.Deps.Members.Access(c.UserContext(), cookie)
		if err != nil && raftdata.ErrorCode(err) != raftdata.CodeUnauthorized {
			return err
		}
		if err != nil || !acc.Session { // the cookie holds sessions only
			c.ClearCookie(SessionCookie)
			return c.Next()
		}
		setAccess(c, acc, cookie)
		c.Locals(localViaBrowser, true)
		if unsafeMethod(c.Method()) && !s.validCSRF(c, cookie) {
			return CSRFRefused()
		}
	}
	return c.Next()
}

func setAccess(c *fiber.Ctx, acc members.Access, token string) {
	c.Locals(localAccount, acc.Account)
	c.Locals(localAccess, acc)
	c.Locals(LocalToken, token)
}

// needsAccount tells the paths that may act as an account: not the
// assets, probes, metrics or the node-to-node API.
func needsAccount(path string) bool {
	return !strings.HasPrefix(path, raftdata.InternalPrefix) && !strings.HasPrefix(path, static.Prefix) &&
		path != "/healthz" && path != "/readyz" && path != "/metrics"
}

// CSRFRefused is the error of a form or call posted without its token.
func CSRFRefused() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "csrf", "the form's security token is missing or stale: reload the page and try again")
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

// CSRFToken is derived from the session token, so it needs no storage and
// changes with every login; only a page of this site can read it.
func CSRFToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("coop csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) validCSRF(c *fiber.Ctx, session string) bool {
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(CSRFField)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(CSRFToken(session))) == 1
}

// Actor is the authenticated caller, if any.
func Actor(c *fiber.Ctx) (members.Account, bool) {
	a, ok := c.Locals(localAccount).(members.Account)
	return a, ok
}

// RequireAccount answers 401 to anonymous callers, 403 to suspended ones.
func RequireAccount(c *fiber.Ctx) (members.Account, error) {
	a, ok := Actor(c)
	if !ok {
		return a, raftdata.Refuse(raftdata.CodeUnauthorized, "log_in_first", "log in first (a session cookie or an Authorization: Bearer token)")
	}
	if !a.Active() {
		return a, members.ErrAccountInactive(a.Status)
	}
	return a, nil
}

// RequireRole is RequireAccount plus a role.
func RequireRole(c *fiber.Ctx, role members.Role) (members.Account, error) {
	a, err := RequireAccount(c)
	if err != nil {
		return a, err
	}
	if !a.Has(role) {
		return a, raftdata.Refuse(raftdata.CodeForbidden, "role_needed", "this is for accounts with the %s role", role).With("role", role)
	}
	return a, nil
}

// SetSessionCookie hands a browser its session: HttpOnly, SameSite=Lax,
// Secure under TLS, expiring with the session.
func SetSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
}

// errCredentialOnSecretBallot refuses a secret ballot sent with a
// credential.
func errCredentialOnSecretBallot() error {
	return Invalid("secret_ballot_credential", "send a secret ballot without any credential (no cookie, no Authorization header): it is cast by its voting token, and must not be tied to you")
}

// anonymousRoute tells whether the request is for a route that refuses
// any credential (apiRoutes' anonymous): only secret ballots, so the
// route table is read for their path only.
func (s *Server) anonymousRoute(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost || !strings.HasSuffix(strings.ToLower(c.Path()), "/secret-ballots") {
		return false
	}
	r, ok := s.routes.Lookup(c.Method(), c.Path())
	return ok && r.anonymous
}

// hasCredential tells whether a request carries a session cookie or an
// Authorization header.
func hasCredential(c *fiber.Ctx) bool {
	return c.Get(fiber.HeaderAuthorization) != "" || c.Cookies(SessionCookie) != ""
}
