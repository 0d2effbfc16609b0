package main

import (
	"net"
	"sync"
	"time"
)

// stoppingListener is the HTTP listener of a node. Closing it (the first
// step of the HTTP server's Shutdown) also bounds the reads of every open
// connection: each has readGrace more to receive its request. A connection
// on which the client sent nothing yet, or part of a request, would
// otherwise hold the shutdown for the server's ReadTimeout (15 s, past the
// node's 5 s grace). fasthttp marks a new connection active before its
// first byte arrives, so its Shutdown waits for it; HTTP clients leave such
// connections open (a spare one dialed while another became free), and a
// node stopped then failed with "stop HTTP: context deadline exceeded".
//
// A request whose bytes are on their way (a write a follower forwards)
// is read within the grace, handled and answered; the server then closes
// the connection, as it closes the idle ones. A request still unread after
// the grace was never handled: the client gets an error answer or a closed
// connection and tries again.
type stoppingListener struct {
	net.Listener

	mu      sync.Mutex
	conns   map[*stoppingConn]struct{}
	stopped bool
}

// readGrace is how long, once the node stops, a connection has to send
// the rest of its request.
const readGrace = time.Second

func newStoppingListener(ln net.Listener) *stoppingListener {
	return &stoppingListener{Listener: ln, conns: map[*stoppingConn]struct{}{}}
}

func (l *stoppingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &stoppingConn{Conn: c, ln: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		sc.stopReads(time.Now().Add(readGrace))
	}
	l.conns[sc] = struct{}{}
	return sc, nil
}

// Close stops accepting and bounds every connection's reads.
func (l *stoppingListener) Close() error {
	err := l.Listener.Close()
	end := time.Now().Add(readGrace)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	for c := range l.conns {
		c.stopReads(end)
	}
	return err
}

// stoppingConn is a connection whose reads can be bounded for good: once
// stopped, no read deadline goes past the end it was given, whatever the
// server asks.
type stoppingConn struct {
	net.Conn
	ln *stoppingListener

	mu  sync.Mutex
	end time.Time // zero: not stopped
}

// stopReads makes the pending read, and every later one, fail at end.
func (c *stoppingConn) stopReads(end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.end = end
	c.Conn.SetReadDeadline(end)
}

func (c *stoppingConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.end.IsZero() && (t.IsZero() || t.After(c.end)) {
		t = c.end
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *stoppingConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *stoppingConn) Close() error {
	c.ln.mu.Lock()
	delete(c.ln.conns, c)
	c.ln.mu.Unlock()
	return c.Conn.Close()
}
