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

func testKey(t *testing.T, secret string) *clusterKey {
	t.Helper()
	k, err := deriveClusterKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyListener is a Raft listener that asks for key, as newStreamLayer
// makes it, reporting refused connections on the returned channel.
func keyListener(t *testing.T, key *clusterKey, timeout time.Duration) (handshakeBounded, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan error, 1)
	l := handshakeBounded{ln, timeout, func(ctx context.Context, c net.Conn) error {
		deadline, _ := ctx.Deadline()
		return key.acceptHandshake(c, deadline)
	}, func(_ net.Addr, err error) { refused <- err }}
	t.Cleanup(func() { l.Close() })
	return l, refused
}

// A peer that opens a connection to a Raft port and never says a word is
// dropped once the handshake time is up, and holds up no one else: under
// TLS and under the cluster key.
func TestSilentPeerIsDroppedAfterTheHandshakeTime(t *testing.T) {
	const timeout = 200 * time.Millisecond
	listeners := map[string]func() handshakeBounded{
		"TLS": func() handshakeBounded {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return handshakeBounded{tls.NewListener(ln, selfSignedTLS(t)), timeout, tlsHandshake, nil}
		},
		"cluster key": func() handshakeBounded {
			l, _ := keyListener(t, testKey(t, testClusterKey), timeout)
			return l
		},
	}
	for name, listen := range listeners {
		t.Run(name, func(t *testing.T) {
			bounded := listen()
			defer bounded.Close()
			silent, err := net.Dial("tcp", bounded.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			conn, err := bounded.Accept()
			if err != nil {
				t.Fatal(err)
			}
			read := make(chan error, 1)
			go func() {
				_, err := conn.Read(make([]byte, 1))
				read <- err
			}()
			select {
			case err := <-read:
				if err == nil {
					t.Fatal("a read from a peer that never shook hands succeeded")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the read from a silent peer is still waiting: the handshake has no time limit")
			}
		})
	}
}

// TestClusterKeyHandshakeProvesTheKeyBothWays: a Raft connection carries
// bytes only between two holders of the same key; a listener with another
// key is found out by the dialler, a dialler with another key (or none,
// speaking raft at once) by the listener, and each side says why.
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
			l, refused := keyListener(t, tt.listener, 5*time.Second)
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := l.Accept()
				if err == nil {
					accepted <- c
				}
			}()
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			server := <-accepted
			defer server.Close()
			echoed := make(chan string, 1)
			go func() { // raft's side: read what the peer sends once the handshake is through
				b := make([]byte, 5)
				_, err := io.ReadFull(server, b)
				if err != nil {
					echoed <- "error: " + err.Error()
					return
				}
				echoed <- string(b)
			}()
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
			got := <-echoed
			if tt.refusedWith == "" {
				if got != "hello" {
					t.Fatalf("the listener read %q, want hello", got)
				}
				return
			}
			if !strings.HasPrefix(got, "error: ") {
				t.Fatalf("raft read %q from a peer without the key", got)
			}
			select {
			case err := <-refused:
				if !strings.Contains(err.Error(), tt.refusedWith) {
					t.Fatalf("refused with %v, want %q", err, tt.refusedWith)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the refused connection was not reported")
			}
		})
	}
}
