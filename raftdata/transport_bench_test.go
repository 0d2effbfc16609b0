package raftdata_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// BenchmarkCluster3Transport compares committed writes per second on three
// nodes over plain TCP and over mutual TLS (16 clients writing through a
// follower, so that node-to-node HTTP is measured too). Report the ratio.
func BenchmarkCluster3Transport(b *testing.B) {
	for _, mode := range []string{"plain", "mtls"} {
		b.Run(mode, func(b *testing.B) {
			opts := raftdatatest.Options{}
			if mode == "mtls" {
				ca := raftdatatest.NewCA(b, "bench CA")
				opts.TLS = func(id string) *raftdata.TLS { return ca.NodeTLS(b, id) }
			}
			nodes := raftdatatest.Cluster(b, 3, registerCounters, opts)
			var follower *raftdatatest.Node
			for _, n := range nodes {
				if !n.IsLeader() {
					follower = n
				}
			}
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if _, err := follower.Apply(ctx, "counter.add", map[string]string{"name": fmt.Sprintf("k%d", i)}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
