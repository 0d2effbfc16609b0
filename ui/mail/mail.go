// Package mail sends the few emails coop writes to people (a password
// reset link, an email verification link) through an SMTP server named
// by a URL: smtp://[user:password@]host[:port][?from=ADDRESS] (STARTTLS
// when the server offers it, port 587 by default) or smtps://… (TLS from
// the first byte, port 465 by default). The password never appears in a
// log or an error.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Sender sends email through one SMTP server.
type Sender struct {
	host, port  string
	user, pass  string
	from        string
	implicitTLS bool
	tls         *tls.Config
	helo        string
	dialTimeout time.Duration
	redactedURL string
}

// Parse reads an SMTP URL. The error never repeats the password.
func Parse(raw string) (*Sender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL (like smtp://user:password@mail.example.org:587?from=coop@example.org)")
	}
	s := &Sender{host: u.Hostname(), port: u.Port(), dialTimeout: 10 * time.Second, helo: "localhost"}
	switch u.Scheme {
	case "smtp":
		if s.port == "" {
			s.port = "587"
		}
	case "smtps":
		s.implicitTLS = true
		if s.port == "" {
			s.port = "465"
		}
	default:
		return nil, errors.New("the URL should start with smtp:// or smtps://")
	}
	if s.host == "" {
		return nil, errors.New("the URL has no host")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.from = u.Query().Get("from")
	if s.from == "" {
		s.from = "coop@" + s.host
		if strings.Contains(s.user, "@") {
			s.from = s.user
		}
	}
	if _, err := mail.ParseAddress(s.from); err != nil {
		return nil, fmt.Errorf("from=%q is not an email address", s.from)
	}
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	r := *u
	if s.pass != "" {
		r.User = url.UserPassword(s.user, "REDACTED")
	}
	s.redactedURL = r.String()
	return s, nil
}

// String is the URL without its password, fit for a log.
func (s *Sender) String() string { return s.redactedURL }

// WithTLSConfig uses cfg for TLS (a test's own CA); nil keeps the default.
func (s *Sender) WithTLSConfig(cfg *tls.Config) *Sender {
	if cfg != nil {
		c := *s
		c.tls = cfg
		return &c
	}
	return s
}

// Message is one email, text only.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Send delivers m, within ctx's deadline.
func (s *Sender) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("send mail: %q is not an email address", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("send mail: a subject is one line")
	}
	msg, err := s.compose(to.Address, m)
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: s.dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.host, s.port))
	if err != nil {
		return fmt.Errorf("send mail: reach %s: %w", net.JoinHostPort(s.host, s.port), err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	if s.implicitTLS {
		conn = tls.Client(conn, s.tls)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("send mail: greet %s: %w", s.host, err)
	}
	defer c.Close()
	if err := c.Hello(s.helo); err != nil {
		return fmt.Errorf("send mail: hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("send mail: STARTTLS: %w", err)
		}
	}
	if s.user != "" {
		// net/smtp's PlainAuth refuses to send a password in clear to
		// anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("send mail: authenticate as %s: %w", s.user, err)
		}
	}
	if err := c.Mail(s.from); err != nil {
		return fmt.Errorf("send mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("send mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("send mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send mail: the server refused the message: %w", err)
	}
	return c.Quit()
}

// compose writes the message: UTF-8 text, quoted-printable, the subject
// encoded as RFC 2047 asks.
func (s *Sender) compose(to string, m Message) ([]byte, error) {
	var id [12]byte
	rand.Read(id[:])
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", s.from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id[:]), s.host)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
