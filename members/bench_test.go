package members

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkArgon2idHash is the raw cost of one hash with the parameters in
// force: the floor under any login.
func BenchmarkArgon2idHash(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword(goodPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is a whole login through the service on one real node:
// account lookup, limit check, the attempt written through Raft, argon2id
// verification, the session written through Raft. Its ns/op against
// BenchmarkArgon2idHash's shows what coop adds to the hash; it also
// reports the hash cost measured right after its own loop (hash-ms) and
// the ratio (login/hash), so one line carries the comparison.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b)
	e.signUp(b, "Ann", "ann@example.org")
	ctx := ctxT(b)
	var total, worst time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if _, err := e.svc.Login(ctx, LoginInput{Email: "ann@example.org", Password: goodPassword, Address: "192.0.2.1"}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		total, worst, n = total+d, max(worst, d), n+1
	}
	const hashes = 10
	start := time.Now()
	for range hashes {
		if _, err := HashPassword(goodPassword); err != nil {
			b.Fatal(err)
		}
	}
	hash := time.Since(start) / hashes
	mean := total / time.Duration(n)
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(hash.Microseconds())/1000, "hash-ms")
	b.ReportMetric(float64(mean)/float64(hash), "login/hash")
}

// BenchmarkLoginParallel measures throughput with concurrent logins of
// distinct members: argon2id runs on GOMAXPROCS slots at most.
func BenchmarkLoginParallel(b *testing.B) {
	e := newEnv(b)
	const members = 8
	for i := range members {
		e.signUp(b, fmt.Sprintf("M%d", i), fmt.Sprintf("m%d@example.org", i))
	}
	ctx := ctxT(b)
	next := make(chan int, members)
	for i := range members {
		next <- i
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := <-next
		next <- i
		email := fmt.Sprintf("m%d@example.org", i)
		for pb.Next() {
			if _, err := e.svc.Login(ctx, LoginInput{Email: email, Password: goodPassword, Address: "192.0.2.1"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLoginWrongPasswordKnownVsUnknown times wrong-password logins
// for an email an account uses and for one none does, interleaved: the
// ratio (known/unknown) should be 1, since both take the same path
// (attempt written, account read locally, argon2id against the real or the
// dummy hash, failure written).
func BenchmarkLoginWrongPasswordKnownVsUnknown(b *testing.B) {
	e := newEnv(b)
	e.signUp(b, "Ann", "ann@example.org")
	ctx := ctxT(b)
	var took [2]time.Duration
	i := 0
	for b.Loop() {
		email := []string{"ann@example.org", "nobody@example.org"}[i%2]
		e.clock.Advance(DefaultFailureWindow) // no limit reached, no attempt left over
		start := time.Now()
		_, err := e.svc.Login(ctx, LoginInput{Email: email, Password: "not the password 1", Address: "192.0.2.1"})
		took[i%2] += time.Since(start)
		if err == nil {
			b.Fatal("a wrong password logged in")
		}
		i++
	}
	if i >= 2 {
		b.ReportMetric(float64(took[0])/float64(took[1]), "known/unknown")
	}
}
