package raftdata

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkClusterKey measures what the cluster key adds: signing and
// checking one forwarded write (a 256-byte command; compare with
// BenchmarkCluster3Transport's forwarded write), and opening one Raft
// connection with the handshake against a plain loopback dial (once per
// connection: raft keeps them open).
func BenchmarkClusterKey(b *testing.B) {
	k, err := deriveClusterKey(testClusterKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sign+verify", func(b *testing.B) {
		body := []byte(strings.Repeat("x", 256))
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1"+pathApply, bytes.NewReader(body))
			now := time.Now()
			k.sign(req, body, now)
			if err := k.verify(req, body, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, mode := range []string{"plain-dial", "dial+handshake"} {
		b.Run(mode, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						if mode == "dial+handshake" {
							k.acceptHandshake(c, time.Now().Add(5*time.Second))
						}
						c.Close()
					}()
				}
			}()
			for b.Loop() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				if mode == "dial+handshake" {
					if err := k.dialHandshake(c, time.Now().Add(5*time.Second)); err != nil {
						b.Fatal(err)
					}
				}
				c.Close()
			}
		})
	}
}
