package raftdata

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// TLS is a node's identity in a cluster that runs mutual TLS: its own
// certificate and the CA that signs every node's certificate. With it, Raft
// connections are TLS 1.3 both ways, each end verifying the other against
// the CA, and the node-to-node HTTP API answers only callers that present a
// certificate from the CA.
type TLS struct {
	Certificate tls.Certificate
	CA          *x509.CertPool

	verified sync.Map // peer certificates (DER) verified against CA -> their NotAfter
}

// raftServerConfig is what a node's Raft listener asks of a dialling peer:
// a certificate from the cluster's CA.
func (t *TLS) raftServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		ClientCAs:    t.CA,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
}

// clientConfig is how a node dials a peer, for Raft and for HTTP: it
// presents its certificate and verifies the peer's against the CA.
func (t *TLS) clientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{t.Certificate},
		RootCAs:      t.CA,
	}
}

// HTTPServerConfig is the TLS configuration of a node's HTTP server in a
// mutual TLS cluster: browsers and API clients connect without a
// certificate, peers present theirs (verified against the CA), and the
// node-to-node API checks it (see Handler).
func (t *TLS) HTTPServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{t.Certificate},
		ClientCAs:    t.CA,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
}

// verifyPeer tells whether a TLS connection state holds a client
// certificate signed by the cluster's CA.
func (t *TLS) verifyPeer(st *tls.ConnectionState) bool {
	if st == nil || len(st.PeerCertificates) == 0 {
		return false
	}
	leaf := st.PeerCertificates[0]
	// A chain check costs a signature verification: remember the peers'
	// certificates that passed, until they expire.
	if notAfter, ok := t.verified.Load(string(leaf.Raw)); ok && time.Now().Before(notAfter.(time.Time)) {
		return true
	}
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         t.CA,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return false
	}
	t.verified.Store(string(leaf.Raw), leaf.NotAfter)
	return true
}

// tlsHandshakeError tells whether err is a failed TLS handshake: a
// certificate one side does not trust. Retrying does not help.
func tlsHandshakeError(err error) bool {
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var op *net.OpError
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) ||
		errors.As(err, &invalid) ||
		(errors.As(err, &op) && op.Op == "remote error")
}

// streamLayer is the Raft transport's connections: TCP, or TLS over TCP
// when the cluster runs mutual TLS, through the fault tests' Network when
// one is set. Without TLS every connection opens with the cluster key
// handshake (clusterkey.go) both ways.
type streamLayer struct {
	net.Listener
	advertise net.Addr
	dial      func(ctx context.Context, addr string) (net.Conn, error)
}

var _ raft.StreamLayer = (*streamLayer)(nil)

// newStreamLayer listens on bind. The advertised address is the one peers
// dial; it defaults to the bound address, which must then be a real one.
// Peers prove themselves with clusterTLS when it is set, else with key.
// A connection whose handshake fails is reported to refused.
func newStreamLayer(bind string, advertise net.Addr, clusterTLS *TLS, key *clusterKey, dialTCP func(ctx context.Context, addr string) (net.Conn, error), refused func(net.Addr, error)) (*streamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	if tcp, ok := advertise.(*net.TCPAddr); !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("%s is not an address peers can dial: give an advertise address", advertise)
	}
	l := &streamLayer{Listener: ln, advertise: advertise}
	switch {
	case clusterTLS != nil:
		l.Listener = newHandshakeListener(tls.NewListener(ln, clusterTLS.raftServerConfig()), handshakeTimeout, tlsHandshake, refused)
		clientConfig := clusterTLS.clientConfig()
		l.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			conn, err := dialTCP(ctx, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(conn, withServerName(clientConfig, addr))
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
			}
			return tc, nil
		}
	case key != nil:
		l.Listener = newHandshakeListener(ln, handshakeTimeout, func(ctx context.Context, c net.Conn) error {
			deadline, _ := ctx.Deadline()
			return key.acceptHandshake(c, deadline)
		}, refused)
		l.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			conn, err := dialTCP(ctx, addr)
			if err != nil {
				return nil, err
			}
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(handshakeTimeout)
			}
			if err := key.dialHandshake(conn, deadline); err != nil {
				conn.Close()
				return nil, fmt.Errorf("raft connection to %s: %w", addr, err)
			}
			return conn, nil
		}
	default:
		ln.Close()
		return nil, errors.New("raft connections need the cluster key or mutual TLS")
	}
	return l, nil
}

// handshakeTimeout bounds the handshake of an accepted Raft connection
// (TLS, or the cluster key's): a peer that connects and says nothing is
// dropped.
const handshakeTimeout = 10 * time.Second

// handshakeListener hands raft only the connections whose handshake
// succeeded. Each accepted connection shakes hands on a goroutine of its
// own, within timeout, so a silent peer holds up no one else; a failed one
// is closed and reported to refused, and raft never sees a byte of it.
// Closing the listener ends the handshakes under way.
type handshakeListener struct {
	net.Listener
	timeout   time.Duration
	handshake func(ctx context.Context, conn net.Conn) error
	refused   func(remote net.Addr, err error)

	ready  chan net.Conn
	errs   chan error
	closed context.Context // done once Close is called
	close  context.CancelFunc
}

func newHandshakeListener(ln net.Listener, timeout time.Duration, handshake func(ctx context.Context, conn net.Conn) error, refused func(net.Addr, error)) *handshakeListener {
	l := &handshakeListener{Listener: ln, timeout: timeout, handshake: handshake, refused: refused,
		ready: make(chan net.Conn), errs: make(chan error)}
	l.closed, l.close = context.WithCancel(context.Background())
	go l.acceptLoop()
	return l
}

func (l *handshakeListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.closed.Done():
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.shakeHands(c)
	}
}

func (l *handshakeListener) shakeHands(c net.Conn) {
	ctx, cancel := context.WithTimeout(l.closed, l.timeout)
	defer cancel()
	// The time up or the listener closed: the connection closes, which
	// ends a handshake blocked on it.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := l.handshake(ctx, c)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		c.Close()
		if l.refused != nil && l.closed.Err() == nil {
			l.refused(c.RemoteAddr(), err)
		}
		return
	}
	select {
	case l.ready <- c:
	case <-l.closed.Done():
		c.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.closed.Done():
		return nil, net.ErrClosed
	}
}

func (l *handshakeListener) Close() error {
	l.close()
	return l.Listener.Close()
}

// tlsHandshake is the handshake of a connection from tls.NewListener.
func tlsHandshake(ctx context.Context, c net.Conn) error {
	return c.(*tls.Conn).HandshakeContext(ctx)
}

func withServerName(c *tls.Config, addr string) *tls.Config {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	c = c.Clone()
	c.ServerName = host
	return c
}

// Dial connects to a peer's Raft address.
func (l *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.dial(ctx, string(address))
}

// Addr is the address peers dial.
func (l *streamLayer) Addr() net.Addr { return l.advertise }

// dialTCP opens a plain TCP connection to a peer.
func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
