package raftdata

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// selfSignedTLS is a server certificate for 127.0.0.1.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func testKey(t testing.TB, secret string) *clusterKey {
	t.Helper()
	k, err := deriveClusterKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// handshakeListen is a Raft listener as newStreamLayer makes it, with
// handshake and timeout; refused connections are reported on the channel.
func handshakeListen(t *testing.T, wrap func(net.Listener) net.Listener, handshake func(context.Context, net.Conn) error, timeout time.Duration) (*handshakeListener, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan error, 8)
	l := newHandshakeListener(wrap(ln), timeout, handshake, func(_ net.Addr, err error) { refused <- err })
	t.Cleanup(func() { l.Close() })
	return l, refused
}

func keyHandshake(key *clusterKey) func(context.Context, net.Conn) error {
	return func(ctx context.Context, c net.Conn) error {
		deadline, _ := ctx.Deadline()
		return key.acceptHandshake(c, deadline)
	}
}

func noWrap(ln net.Listener) net.Listener { return ln }

// acceptOne returns the next connection the listener hands raft, or nil if
// none comes within wait.
func acceptOne(l *handshakeListener, wait time.Duration) net.Conn {
	got := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			c = nil
		}
		got <- c
	}()
	select {
	case c := <-got:
		return c
	case <-time.After(wait):
		return nil
	}
}

// A peer that opens a connection to a Raft port and never says a word is
// dropped once the handshake time is up, never reaches raft, and holds up
// no one else: under TLS and under the cluster key.
func TestSilentPeerIsDroppedAfterTheHandshakeTime(t *testing.T) {
	const timeout = 200 * time.Millisecond
	serverTLS := selfSignedTLS(t)
	key := testKey(t, testClusterKey)
	modes := []struct {
		name      string
		wrap      func(net.Listener) net.Listener
		handshake func(context.Context, net.Conn) error
		dial      func(addr string) (net.Conn, error) // a peer that does shake hands
	}{
		{"TLS", func(ln net.Listener) net.Listener { return tls.NewListener(ln, serverTLS) }, tlsHandshake,
			func(addr string) (net.Conn, error) {
				return tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
			}},
		{"cluster key", noWrap, keyHandshake(key), func(addr string) (net.Conn, error) {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				err = key.dialHandshake(c, time.Now().Add(5*time.Second))
			}
			return c, err
		}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			l, refused := handshakeListen(t, m.wrap, m.handshake, timeout)
			silent, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			good, err := m.dial(l.Addr().String()) // while the silent one waits
			if err != nil {
				t.Fatalf("a peer that shakes hands: %v", err)
			}
			defer good.Close()
			if c := acceptOne(l, 5*time.Second); c == nil {
				t.Fatal("the peer that shook hands was not handed to raft")
			} else {
				c.Close()
			}
			silent.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := silent.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
				t.Fatalf("the silent peer's connection was not closed: %v", err)
			}
			select {
			case <-refused:
			case <-time.After(5 * time.Second):
				t.Fatal("the silent peer was not reported")
			}
			if c := acceptOne(l, 100*time.Millisecond); c != nil {
				t.Fatal("the silent peer was handed to raft")
			}
		})
	}
}

// TestClusterKeyHandshakeProvesTheKeyBothWays: raft gets a Raft connection
// only between two holders of the same key; a listener with another key is
// found out by the dialler, a dialler with another key (or none, speaking
// raft at once) by the listener, and each side says why.
func TestClusterKeyHandshakeProvesTheKeyBothWays(t *testing.T) {
	right := testKey(t, testClusterKey)
	wrong := testKey(t, "another-clusters-key-0123456789abcdef")
	tests := []struct {
		name                 string
		listener, dialler    *clusterKey // nil dialler: raft's bytes with no handshake
		dialErr, refusedWith string      // "" for none
	}{
		{"same key", right, right, "", ""},
		{"listener with another key", wrong, right, "the peer did not prove the cluster key", "the peer did not prove the cluster key"},
		{"dialler with another key", right, wrong, "the peer did not prove the cluster key", "the peer did not prove the cluster key"},
		{"no handshake, raft at once", right, nil, "", "did not open with the cluster key handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, refused := handshakeListen(t, noWrap, keyHandshake(tt.listener), 5*time.Second)
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if tt.dialler == nil {
				conn.Write([]byte("\x00\x85\xa4Term\x05\xa6Leader")) // the start of an AppendEntries, as raft writes it
			} else {
				err = tt.dialler.dialHandshake(conn, time.Now().Add(5*time.Second))
				if tt.dialErr == "" && err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if tt.dialErr != "" && (err == nil || !strings.Contains(err.Error(), tt.dialErr)) {
					t.Fatalf("handshake: %v, want %q", err, tt.dialErr)
				}
				if err != nil {
					conn.Close() // as the stream layer does
				} else {
					conn.Write([]byte("hello"))
				}
			}
			if tt.refusedWith == "" {
				server := acceptOne(l, 5*time.Second)
				if server == nil {
					t.Fatal("the connection was not handed to raft")
				}
				defer server.Close()
				b := make([]byte, 5)
				if _, err := io.ReadFull(server, b); err != nil || string(b) != "hello" {
					t.Fatalf("raft read %q, %v; want hello", b, err)
				}
				return
			}
			select {
			case err := <-refused:
				if !strings.Contains(err.Error(), tt.refusedWith) {
					t.Fatalf("refused with %v, want %q", err, tt.refusedWith)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the refused connection was not reported")
			}
			if c := acceptOne(l, 100*time.Millisecond); c != nil {
				t.Fatal("a connection without the key was handed to raft")
			}
		})
	}
}
