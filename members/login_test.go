package members

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/raftdata"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	cases := []struct {
		name, email, password string
		code                  raftdata.Code
	}{
		{"success", "ann@example.org", goodPassword, ""},
		{"email in another case", "  ANN@example.org", goodPassword, ""},
		{"wrong password", "ann@example.org", goodPassword + "!", raftdata.CodeUnauthorized},
		{"unknown email", "nobody@example.org", goodPassword, raftdata.CodeUnauthorized},
		{"missing password", "ann@example.org", "", raftdata.CodeInvalid},
		{"malformed email", "ann", goodPassword, raftdata.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := e.svc.Login(ctxT(t), LoginInput{Email: c.email, Password: c.password, Address: "192.0.2.7:51234"})
			if c.code != "" {
				wantCode(t, err, c.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s.Token, SessionPrefix) || s.AccountID != ann.ID || !s.CharterCurrent ||
				!s.ExpiresAt.Equal(e.clock.Now().Add(DefaultSessionAbsolute)) {
				t.Fatalf("session %+v", s)
			}
			a, err := e.svc.Authenticate(ctxT(t), s.Token)
			if err != nil || a.ID != ann.ID {
				t.Fatalf("authenticate: %+v %v", a, err)
			}
		})
	}
	// Wrong and unknown both answer the same sentence.
	_, err1 := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "nope nope nope"})
	_, err2 := e.svc.Login(ctxT(t), LoginInput{Email: "zed@example.org", Password: "nope nope nope"})
	if raftdata.ErrorMessage(err1) != raftdata.ErrorMessage(err2) {
		t.Fatalf("%q vs %q", raftdata.ErrorMessage(err1), raftdata.ErrorMessage(err2))
	}

	journal, err := e.svc.Journal(ctxT(t), ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, j := range journal {
		outcomes = append(outcomes, j.Outcome)
		if j.Address != "192.0.2.7" && j.Address != "unknown" {
			t.Errorf("journal address %q", j.Address)
		}
	}
	// Newest first: the wrong password above, then the table's attempts.
	want := "wrong_password wrong_password success success"
	if got := strings.Join(outcomes, " "); got != want {
		t.Fatalf("journal %q, want %q", got, want)
	}
	// Unknown emails leave no journal, only the per-address counter.
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_journal WHERE account_id = ''`); n != 0 {
		t.Fatalf("%d journal entries without an account", n)
	}
}

func TestLoginLimitPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	start := e.clock.Now()
	const guesser = "198.51.100.7"
	for i := range DefaultPerPair {
		// Spread over the window: the pair (account, address) counts.
		e.clock.Set(start.Add(time.Duration(i) * time.Minute))
		_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password here", Address: guesser})
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	// The 11th attempt from that address is refused before the password is
	// checked, even the right one, with a sentence saying when to retry.
	_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword, Address: guesser})
	wantCode(t, err, raftdata.CodeTooMany)
	le, ok := isLimit(err)
	if !ok || !le.RetryAt.Equal(start.Add(DefaultFailureWindow)) {
		t.Fatalf("limit error %#v", err)
	}
	if msg := raftdata.ErrorMessage(err); !strings.Contains(msg, "this account from your network address") || !strings.Contains(msg, "try again after 10:15 UTC") {
		t.Fatalf("message %q", msg)
	}
	// Another address, which has not failed, is never refused for it: a
	// wrong password there is a 401, the right one logs in.
	_, err = e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password again", Address: "203.0.113.9"})
	wantCode(t, err, raftdata.CodeUnauthorized)
	e.login(t, "ann@example.org", goodPassword, "203.0.113.9")
	// One second before the first failure leaves the window: still refused.
	e.clock.Set(start.Add(DefaultFailureWindow - time.Second))
	_, err = e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword, Address: guesser})
	wantCode(t, err, raftdata.CodeTooMany)
	// Once it has left, one attempt is free again.
	e.clock.Set(start.Add(DefaultFailureWindow))
	e.login(t, "ann@example.org", goodPassword, guesser)
}

// An account under attack from many addresses slows down for everyone,
// the member too, by a growing delay of at most 2 s; an unknown email
// slows down the same way, and the member still logs in.
func TestLoginSlowsDownAnAccountUnderAttack(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	e := newEnv(t, Options{Pause: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}})
	e.signUp(t, "Ann", "ann@example.org")
	delays := func(email string) []time.Duration {
		mu.Lock()
		waits = nil
		mu.Unlock()
		var out []time.Duration
		for i := range 12 {
			_, err := e.svc.Login(ctxT(t), LoginInput{Email: email, Password: "wrong password here", Address: fmt.Sprintf("198.51.100.%d", i)})
			wantCode(t, err, raftdata.CodeUnauthorized)
			mu.Lock()
			var d time.Duration
			if len(waits) > 0 {
				d = waits[len(waits)-1]
			}
			waits = nil
			mu.Unlock()
			out = append(out, d)
		}
		return out
	}
	ms := time.Millisecond
	want := []time.Duration{0, 0, 0, 0, 0, 125 * ms, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 2000 * ms, 2000 * ms}
	if got := delays("ann@example.org"); !slices.Equal(got, want) {
		t.Fatalf("delays for a known email %v, want %v", got, want)
	}
	if got := delays("nobody@example.org"); !slices.Equal(got, want) {
		t.Fatalf("delays for an unknown email %v, want %v (the same as a known one)", got, want)
	}
	e.login(t, "ann@example.org", goodPassword, "203.0.113.9")
	if len(waits) != 1 || waits[0] != DefaultMaxDelay {
		t.Fatalf("the member's own login waited %v, want one wait of %v", waits, DefaultMaxDelay)
	}
}

// An attempt from an older log (before the limits counted per account and
// address) is replayed as it was decided then: per account, whatever the
// address.
func TestLoginAttemptOfAnOlderLogReplaysItsRule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	old := LoginLimits{PerAccount: 3, PerAddress: 50, Window: DefaultFailureWindow}
	apply := func(i int) attemptResult {
		t.Helper()
		cmd, err := raftdata.NewCommand(CmdLoginAttempted, map[string]any{"attempt": fmt.Sprintf("old-%d", i), "account": ann.ID,
			"address_key": fmt.Sprintf("198.51.100.%d", i), "limits": old}, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := e.node.Store.ApplyCommand(ctxT(t), cmd)
		if err != nil {
			t.Fatal(err)
		}
		var res attemptResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i := range 3 {
		if res := apply(i); !res.Allowed {
			t.Fatalf("old attempt %d refused: %+v", i, res)
		}
	}
	if res := apply(3); res.Allowed || res.Scope != scopeAccount {
		t.Fatalf("the 4th old attempt on the account: %+v, want refused per account", res)
	}
}

func TestLoginLimitPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	const addr = "2001:db8:1:2::17"
	for i := range DefaultPerAddress {
		// Unknown emails count only against the address; neighbours in
		// the same IPv6 /64 share the count.
		a := addr
		if i%2 == 1 {
			a = "[2001:db8:1:2::99]:443"
		}
		_, err := e.svc.Login(ctxT(t), LoginInput{Email: fmt.Sprintf("guess%d@example.org", i), Password: "wrong password here", Address: a})
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword, Address: "2001:db8:1:2::1"})
	wantCode(t, err, raftdata.CodeTooMany)
	if !strings.Contains(raftdata.ErrorMessage(err), "your network address") {
		t.Fatalf("message %q", raftdata.ErrorMessage(err))
	}
	// Another address logs in; the account itself is not limited.
	e.login(t, "ann@example.org", goodPassword, "2001:db8:9::1")
	// After 15 minutes the address is free again.
	e.clock.Advance(DefaultFailureWindow + time.Second)
	e.login(t, "ann@example.org", goodPassword, addr)
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_journal`); n != 2 {
		t.Fatalf("%d journal entries, want the 2 logins of ann", n)
	}
}

func TestLoginSuspendedAndDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	if err := e.svc.Suspend(ctxT(t), op, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword})
	wantCode(t, err, raftdata.CodeForbidden)
	_, err = e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password here"})
	wantCode(t, err, raftdata.CodeUnauthorized)
	if err := e.svc.Reinstate(ctxT(t), op, ann.ID); err != nil {
		t.Fatal(err)
	}
	e.login(t, "ann@example.org", goodPassword, "")
	if err := e.svc.DeleteAccount(ctxT(t), op, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword})
	wantCode(t, err, raftdata.CodeUnauthorized)
	// The email is free again for a new account.
	e.signUp(t, "Ann again", "ann@example.org")
}

func TestClientAddress(t *testing.T) {
	cases := []struct{ in, display, key string }{
		{"192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:8080", "192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1", "2001:db8::/64"},
		{"[2001:db8::1]:443", "2001:db8::1", "2001:db8::/64"},
		{"fe80::1%eth0", "fe80::1", "fe80::/64"},
		{"", "unknown", "other:unknown"},
		{"proxy\x00name", "proxyname", "other:proxyname"},
	}
	for _, c := range cases {
		d, k := clientAddress(c.in)
		if d != c.display || k != c.key {
			t.Errorf("%q: %q %q, want %q %q", c.in, d, k, c.display, c.key)
		}
	}
}

func TestLoginLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	// Twice the limit of guesses at once: the attempt is reserved in the
	// replicated state before the hash is checked, so exactly the limit
	// gets through to a password check.
	const n = 2 * DefaultPerPair
	codes := make(chan raftdata.Code, n)
	for range n {
		go func() {
			_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password here", Address: "198.51.100.7"})
			codes <- raftdata.ErrorCode(err)
		}()
	}
	got := map[raftdata.Code]int{}
	for range n {
		got[<-codes]++
	}
	if got[raftdata.CodeUnauthorized] != DefaultPerPair || got[raftdata.CodeTooMany] != n-DefaultPerPair {
		t.Fatalf("outcomes %v", got)
	}
}
