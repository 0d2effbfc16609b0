package web_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui"
	"coop/ui/uitest"
)

// BenchmarkPages: requests per second and p99 latency of the proposals
// list (10,000 proposals in the store) and of a proposal page, with 64
// concurrent clients over real loopback HTTP, against a static fiber
// handler served by the same app in the same run; also the bytes of each
// answer and the CPU time per request.
func BenchmarkPages(b *testing.B) {
	env := uitest.OpenEnv(b)
	ctx := context.Background()
	lo, hi := 0.0, 100.0
	if _, err := env.Deps.Pools.CreatePool(ctx, pooling.Pool{ID: "energy", Title: "Energy",
		Fields:        []pooling.Field{{Name: "kwh", Type: "number", Min: &lo, Max: &hi}, {Name: "region", Type: "category", Values: []string{"north", "south"}}},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		b.Fatal(err)
	}
	login := func(email string) members.Account {
		s, err := env.Members.Login(ctx, members.LoginInput{Email: email, Password: uitest.Password, Address: "127.0.0.1"})
		if err != nil {
			b.Fatal(err)
		}
		a, _ := env.Members.Authenticate(ctx, s.Token)
		return a
	}
	op := login("op@coop.test")
	r, err := env.Members.SignUp(ctx, members.SignupInput{Name: "R", Email: "r@coop.test", Password: uitest.Password, AcceptCharter: true})
	if err != nil {
		b.Fatal(err)
	}
	env.Members.GrantRole(ctx, op, r.ID, "researcher")
	researcher := login("r@coop.test")
	const total = 10000
	var made atomic.Int64
	var last atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for made.Add(1) <= total {
				p, err := env.Deps.Proposals.Create(ctx, researcher, proposals.Draft{Title: "Proposal", Purpose: "A purpose in plain words.",
					Kind: "knowledge", Pool: "energy", Query: &pooling.Query{Aggregate: "mean", Field: "kwh", GroupBy: []string{"region"}},
					Privacy: &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5}, VotingMinutes: 43200, GrantDays: 30})
				if err != nil {
					b.Error(err)
					return
				}
				last.Store(p.ID)
			}
		}()
	}
	wg.Wait()
	env.Deps.RequestsPerMinute = 1 << 30 // the benchmark is one client address
	app := ui.New(env.Deps)
	app.Get("/bench-static", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go app.Listener(ln)
	defer app.ShutdownWithTimeout(time.Second)
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}

	measure := func(path string) (float64, time.Duration, int64, float64) {
		var next, bytes atomic.Int64
		lat := make([][]time.Duration, 64)
		var wg sync.WaitGroup
		cpu := processCPU(b)
		start := time.Now()
		for c := 0; c < 64; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					t0 := time.Now()
					resp, err := client.Get(base + path)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					bytes.Add(n)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("%s: %d", path, resp.StatusCode)
						return
					}
					lat[c] = append(lat[c], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		rate := float64(b.N) / time.Since(start).Seconds()
		cpuPerRequest := float64((processCPU(b) - cpu).Microseconds()) / float64(b.N)
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		return rate, all[len(all)*99/100], bytes.Load() / int64(b.N), cpuPerRequest
	}
	b.ResetTimer()
	staticRate, staticP99, _, staticCPU := measure("/bench-static")
	listRate, listP99, listBytes, listCPU := measure("/proposals")
	pageRate, pageP99, pageBytes, pageCPU := measure(fmt.Sprintf("/proposals/%s", last.Load()))
	b.StopTimer()
	// CPU time of this process (server and clients) per request: on a
	// machine shared with other work it moves less than the rates.
	b.ReportMetric(staticCPU, "static-cpu-us")
	b.ReportMetric(listCPU, "list-cpu-us")
	b.ReportMetric(pageCPU, "page-cpu-us")
	b.ReportMetric(float64(listBytes), "list-bytes")
	b.ReportMetric(float64(pageBytes), "page-bytes")
	b.ReportMetric(staticRate, "static-req/s")
	b.ReportMetric(listRate, "list-req/s")
	b.ReportMetric(pageRate, "page-req/s")
	b.ReportMetric(listRate/staticRate, "list/static")
	b.ReportMetric(pageRate/staticRate, "page/static")
	b.ReportMetric(float64(staticP99.Microseconds())/1000, "static-p99-ms")
	b.ReportMetric(float64(listP99.Microseconds())/1000, "list-p99-ms")
	b.ReportMetric(float64(pageP99.Microseconds())/1000, "page-p99-ms")
}

// processCPU is the CPU time this process has used (user and system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
