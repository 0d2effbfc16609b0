package raftdata

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
)

// Network is a hook for fault tests: the links between the nodes that share
// it, which a test cuts and heals while the nodes run. A node joins it
// through Config.Network; every connection it dials, for Raft and for the
// node-to-node HTTP API, then goes through it. A cut link refuses new
// connections and closes the open ones, both ways. Production nodes have
// no Network.
type Network struct {
	mu    sync.Mutex
	owner map[string]string      // a listening address -> the node id behind it
	cut   map[[2]string]bool     // node id pairs, both orders
	conns map[*linkConn]struct{} // open connections
}

// NewNetwork is a network where every link is up.
func NewNetwork() *Network {
	return &Network{owner: map[string]string{}, cut: map[[2]string]bool{}, conns: map[*linkConn]struct{}{}}
}

// Partition cuts every link between nodes (by id) of different groups, on
// top of the links already cut. Nodes in no group keep their links.
func (n *Network) Partition(groups ...[]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, a := range groups {
		for _, b := range groups[i+1:] {
			for _, x := range a {
				for _, y := range b {
					n.cut[[2]string{x, y}] = true
					n.cut[[2]string{y, x}] = true
				}
			}
		}
	}
	for c := range n.conns {
		if n.cut[[2]string{c.from, c.to}] {
			c.Conn.Close() // Close on the wrapper would take the lock again
			delete(n.conns, c)
		}
	}
}

// Heal brings every link back up.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cut)
}

// register says which node listens on addrs (host:port).
func (n *Network) register(id string, addrs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		n.owner[a] = id
	}
}

// dialer is how node from dials through the network: dial does the real
// dialling when the link is up.
func (n *Network) dialer(from string, dial func(ctx context.Context, addr string) (net.Conn, error)) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		n.mu.Lock()
		to, known := n.owner[addr]
		isCut := known && n.cut[[2]string{from, to}]
		n.mu.Unlock()
		if isCut {
			return nil, fmt.Errorf("dial %s: the link %s -> %s is cut", addr, from, to)
		}
		conn, err := dial(ctx, addr)
		if err != nil || !known {
			return conn, err
		}
		c := &linkConn{Conn: conn, net: n, from: from, to: to}
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.cut[[2]string{from, to}] { // cut while dialling
			conn.Close()
			return nil, fmt.Errorf("dial %s: the link %s -> %s is cut", addr, from, to)
		}
		n.conns[c] = struct{}{}
		return c, nil
	}
}

// linkConn is a connection between two nodes of a Network.
type linkConn struct {
	net.Conn
	net      *Network
	from, to string
}

func (c *linkConn) Close() error {
	c.net.mu.Lock()
	delete(c.net.conns, c)
	c.net.mu.Unlock()
	return c.Conn.Close()
}

// hostPort is the host:port a client dials for an http(s) URL.
func hostPort(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
