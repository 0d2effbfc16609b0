package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"coop/raftdata/raftdatatest"
)

// TestNode_StopsWithConnectionsThatSendNothing: a client may open a
// connection and send nothing on it, or only part of a request (an HTTP
// client dials a spare connection it may never use; a slow client). The
// HTTP server reads such a connection under its ReadTimeout (15 s), longer
// than the node's shutdown grace (5 s): the node must still stop cleanly,
// without waiting for them (listener.go), over HTTP and over HTTPS (after
// the TLS handshake).
func TestNode_StopsWithConnectionsThatSendNothing(t *testing.T) {
	sends := []struct{ name, send string }{
		{"nothing sent", ""},
		{"headers begun", "GET /healthz HTTP/1.1\r\nHost: coop\r\n"},
		{"body begun", "POST /api/v1/login HTTP/1.1\r\nHost: coop\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":"},
		{"idle after a request", "GET /healthz HTTP/1.1\r\nHost: coop\r\n\r\n"},
	}
	ca := raftdatatest.NewCA(t, "coop test CA")
	for _, server := range []struct {
		name string
		cfg  func(t *testing.T) Config
		dial func(addr string) (net.Conn, error)
	}{
		{"HTTP", func(t *testing.T) Config { return testConfig(t, "n1") }, func(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }},
		{"HTTPS", func(t *testing.T) Config { return tlsConfig(t, "n1", ca) }, func(addr string) (net.Conn, error) {
			return tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
		}},
	} {
		t.Run(server.name, func(t *testing.T) {
			n := startNode(t, server.cfg(t))
			for _, s := range sends {
				conn, err := server.dial(n.ln.Addr().String())
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				defer conn.Close()
				if _, err := conn.Write([]byte(s.send)); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
			}
			waitFor(t, 10*time.Second, func() error {
				if open := n.app.Server().GetOpenConnectionsCount(); open < int32(len(sends)) {
					return fmt.Errorf("%d connections open on the server, want %d", open, len(sends))
				}
				return nil
			})
			if err := n.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		})
	}
}

// TestNode_StopFinishesARequestOnItsWay: a request whose last bytes
// arrive after the node began to stop (a write a follower forwards as the
// leader stops) is still read, handled and answered within the grace.
func TestNode_StopFinishesARequestOnItsWay(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	addr := n.ln.Addr().String()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: coop\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() error {
		if open := n.app.Server().GetOpenConnectionsCount(); open < 1 {
			return fmt.Errorf("the server has not taken the connection yet")
		}
		return nil
	})
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	waitFor(t, 10*time.Second, func() error { // the listener is closed: the node is stopping
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return fmt.Errorf("the node still accepts connections")
		}
		return nil
	})
	if _, err := conn.Write([]byte("\r\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("answer to the request on its way: %q, %v", status, err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}
