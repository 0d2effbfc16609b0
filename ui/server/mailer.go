package server

import (
	"context"
	"net/url"
	"strings"
	"time"

	"coop/members"
	"coop/ui/mail"
)

// Mailer is what ui needs to send an email (*mail.Sender).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// mailTimeout bounds the sending of one email; maxMailsInFlight how many
// are sent at once (more are dropped, and logged).
const (
	mailTimeout      = 30 * time.Second
	maxMailsInFlight = 8
)

// LinkURL is the link of an email: the coop's public URL, path, and the
// token as a query parameter.
func (s *Server) LinkURL(path, token string) string {
	return strings.TrimRight(s.Deps.PublicURL, "/") + path + "?token=" + url.QueryEscape(token)
}

// mailLink sends a one-time link to the account's address, in lang, on
// its own goroutine: the answer to the request does not wait for the
// SMTP server, and takes the same time whether an email left or not. The
// link is a secret: never logged.
func (s *Server) mailLink(lang, purpose string, link members.Link, path string, ttl time.Duration) {
	if s.Deps.Mailer == nil {
		return
	}
	tr := s.Catalog.For(lang)
	msg := mail.Message{
		To:      link.Account.Email,
		Subject: tr.T("mail." + purpose + ".subject"),
		Body:    tr.F("mail."+purpose+".body", link.Account.Name, s.LinkURL(path, link.Token), tr.Int(int(ttl.Minutes()))),
	}
	select {
	case s.mailSlots <- struct{}{}:
	default:
		s.Log.Warn("email dropped: too many in flight", "purpose", purpose, "account", link.Account.ID)
		return
	}
	go func() {
		defer func() { <-s.mailSlots }()
		ctx, cancel := context.WithTimeout(s.Stopping, mailTimeout)
		defer cancel()
		if err := s.Deps.Mailer.Send(ctx, msg); err != nil {
			s.Log.Error("email not sent", "purpose", purpose, "account", link.Account.ID, "error", err)
		}
	}()
}

// SendVerification sends the actor a link that verifies their address,
// when email is configured.
func (s *Server) SendVerification(ctx context.Context, a members.Account, lang string) error {
	if s.Deps.Mailer == nil {
		return nil
	}
	link, err := s.Deps.Members.IssueVerification(ctx, a)
	if err != nil {
		return err
	}
	s.mailLink(lang, members.LinkVerify, link, "/email/verify", members.VerifyTTL)
	return nil
}
