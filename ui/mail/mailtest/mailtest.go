// Package mailtest runs a real SMTP server (emersion/go-smtp) on loopback
// for tests: it keeps every message it receives, decoded.
package mailtest

import (
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message as the server got it.
type Received struct {
	From, To string
	Subject  string
	Body     string // decoded text
}

// Server is an SMTP server on 127.0.0.1 that accepts any message.
type Server struct {
	Addr string // host:port
	mu   sync.Mutex
	msgs []Received
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the --smtp URL of the server.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?from=coop@coop.test" }

// Messages lists what arrived so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// WaitFor waits (polling) for the n-th message to to (1 for the first) and
// returns it; the test fails after 10 s.
func (s *Server) WaitFor(t testing.TB, to string, n int) Received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var seen int
		for _, m := range s.Messages() {
			if m.To == to {
				seen++
				if seen == n {
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %d to %s after 10 s (%d messages in all)", n, to, len(s.Messages()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s        *Server
	from, to string
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error { se.from = from; return nil }
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error   { se.to = to; return nil }
func (se *session) Reset()                                      {}
func (se *session) Logout() error                               { return nil }

func (se *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(decodeBody(m))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, Received{From: se.from, To: se.to, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	se.s.mu.Unlock()
	return nil
}
