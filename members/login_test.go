package members

import (
	"fmt"
	"strings"
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

func TestLoginLimitPerAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	start := e.clock.Now()
	for i := range DefaultPerAccount {
		// Spread over addresses and over the window: the account counts.
		e.clock.Set(start.Add(time.Duration(i) * time.Minute))
		_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password here", Address: fmt.Sprintf("198.51.100.%d", i)})
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	// Successes do not count: another account is untouched.
	// The 11th attempt is refused before the password is checked, even
	// the right one, with a sentence saying when to retry.
	_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword, Address: "203.0.113.9"})
	wantCode(t, err, raftdata.CodeTooMany)
	le, ok := isLimit(err)
	if !ok || !le.RetryAt.Equal(start.Add(DefaultFailureWindow)) {
		t.Fatalf("limit error %#v", err)
	}
	if msg := raftdata.ErrorMessage(err); !strings.Contains(msg, "this account") || !strings.Contains(msg, "try again after 10:15 UTC") {
		t.Fatalf("message %q", msg)
	}
	// One second before the first failure leaves the window: still refused.
	e.clock.Set(start.Add(DefaultFailureWindow - time.Second))
	_, err = e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: goodPassword})
	wantCode(t, err, raftdata.CodeTooMany)
	// Once it has left, one attempt is free again.
	e.clock.Set(start.Add(DefaultFailureWindow))
	e.login(t, "ann@example.org", goodPassword, "203.0.113.9")
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
	const n = 2 * DefaultPerAccount
	codes := make(chan raftdata.Code, n)
	for i := range n {
		go func() {
			_, err := e.svc.Login(ctxT(t), LoginInput{Email: "ann@example.org", Password: "wrong password here", Address: fmt.Sprintf("198.51.100.%d", i)})
			codes <- raftdata.ErrorCode(err)
		}()
	}
	got := map[raftdata.Code]int{}
	for range n {
		got[<-codes]++
	}
	if got[raftdata.CodeUnauthorized] != DefaultPerAccount || got[raftdata.CodeTooMany] != n-DefaultPerAccount {
		t.Fatalf("outcomes %v", got)
	}
}
