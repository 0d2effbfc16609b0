package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
)

// SignedUp logs a new account in at once (page and API share it): a
// session for the browser's cookie and the token for scripts, and an
// email that verifies the address when email is configured.
func (s *Server) SignedUp(c *fiber.Ctx, in members.SignupInput, a members.Account) (members.Session, error) {
	sess, err := s.Deps.Members.Login(c.UserContext(), members.LoginInput{Email: in.Email, Password: in.Password, Address: s.ClientIP(c)})
	if err != nil {
		return members.Session{}, err
	}
	if err := s.SendVerification(c.UserContext(), a, in.Lang); err != nil {
		s.Log.Warn("verification email not issued", "account", a.ID, "error", err)
	}
	return sess, nil
}

// Relogin changes the password, then gives a browser a new session (the
// change ends every session).
func (s *Server) Relogin(c *fiber.Ctx, a members.Account, current, next string) error {
	if err := s.Deps.Members.ChangePassword(c.UserContext(), a, current, next); err != nil {
		return err
	}
	if _, ok := BrowserSession(c); !ok {
		return nil
	}
	sess, err := s.Deps.Members.Login(c.UserContext(), members.LoginInput{Email: a.Email, Password: next, Address: s.ClientIP(c)})
	if err != nil {
		return err
	}
	SetSessionCookie(c, sess.Token, sess.ExpiresAt)
	return nil
}

// IssueReset issues and mails a reset link in the background, so that the
// answer takes the same time for any address; what goes wrong is logged
// without the address.
func (s *Server) IssueReset(email, lang string) {
	select {
	case s.resetSlots <- struct{}{}:
	default:
		s.Log.Warn("reset request dropped: too many in flight")
		return
	}
	go func() {
		defer func() { <-s.resetSlots }()
		ctx, cancel := context.WithTimeout(s.Stopping, mailTimeout)
		defer cancel()
		link, ok, err := s.Deps.Members.IssueReset(ctx, email)
		switch {
		case err != nil:
			s.Log.Error("reset link not issued", "error", err)
		case ok:
			s.mailLink(lang, members.LinkReset, link, "/password/reset", members.ResetTTL)
		}
	}()
}

// ErrNoMail is the answer of an email route on a coop without --smtp.
func ErrNoMail() error {
	return raftdata.Refuse(raftdata.CodeUnavailable, "no_mail", "this coop sends no email (no --smtp): ask an operator for a reset link")
}

// Lang is the language the caller asked for: "fr" or "en".
func Lang(c *fiber.Ctx) string {
	if l := c.Cookies("lang"); l == "fr" || l == "en" {
		return l
	}
	switch c.AcceptsLanguages("fr", "en") {
	case "en":
		return "en"
	case "fr":
		return "fr"
	}
	return "en"
}

// BrowserSession is the session token of a visitor logged in by cookie.
func BrowserSession(c *fiber.Ctx) (string, bool) {
	if via, _ := c.Locals(localViaBrowser).(bool); !via {
		return "", false
	}
	tok, ok := c.Locals(LocalToken).(string)
	return tok, ok && tok != ""
}

// RequireContributor lets through an account that may consent,
// contribute and object to a use of its data: an applicant as well as an
// admitted member (only voting waits for admission).
func RequireContributor(c *fiber.Ctx) (members.Account, error) {
	a, err := RequireAccount(c)
	if err != nil {
		return a, err
	}
	if !a.Contributes() {
		return a, raftdata.Refuse(raftdata.CodeForbidden, "contributors_only", "this is for members and applicants: sign up to contribute your data")
	}
	return a, nil
}
