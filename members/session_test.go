package members

import (
	"testing"
	"time"

	"coop/raftdata"
)

func lastUsed(t *testing.T, e *env, token string) time.Time {
	t.Helper()
	var at int64
	if err := e.node.DB().QueryRow(`SELECT last_used_at FROM members_sessions WHERE hash = ?`, hashSecret(token)).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return time.Unix(0, at).UTC()
}

func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	s := e.login(t, "ann@example.org", goodPassword, "")
	start := e.clock.Now()

	// Used within the minute: last use is not rewritten.
	e.clock.Advance(30 * time.Second)
	if _, err := e.svc.Authenticate(ctxT(t), s.Token); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(t, e, s.Token); !got.Equal(start) {
		t.Fatalf("last use %v rewritten within the minute", got)
	}
	// After a minute it is.
	e.clock.Advance(31 * time.Second)
	if _, err := e.svc.Authenticate(ctxT(t), s.Token); err != nil {
		t.Fatal(err)
	}
	touched := e.clock.Now()
	if got := lastUsed(t, e, s.Token); !got.Equal(touched) {
		t.Fatalf("last use %v, want %v", got, touched)
	}
	// One second before the idle limit: still valid (and touched again).
	e.clock.Set(touched.Add(DefaultSessionIdle - time.Second))
	if _, err := e.svc.Authenticate(ctxT(t), s.Token); err != nil {
		t.Fatal(err)
	}
	// Then unused for the whole idle period: expired.
	e.clock.Advance(DefaultSessionIdle)
	_, err := e.svc.Authenticate(ctxT(t), s.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	s := e.login(t, "ann@example.org", goodPassword, "")
	start := e.clock.Now()
	// Used every hour: idle expiry never comes, the absolute one does.
	for h := 1; h < 12; h++ {
		e.clock.Set(start.Add(time.Duration(h) * time.Hour))
		if _, err := e.svc.Authenticate(ctxT(t), s.Token); err != nil {
			t.Fatalf("hour %d: %v", h, err)
		}
	}
	e.clock.Set(start.Add(DefaultSessionAbsolute - time.Second))
	if _, err := e.svc.Authenticate(ctxT(t), s.Token); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(DefaultSessionAbsolute))
	_, err := e.svc.Authenticate(ctxT(t), s.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	// The retention run clears expired sessions from the state.
	if _, err := e.svc.RunRetention(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_sessions`); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

func TestLogoutAndRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	s1 := e.login(t, "ann@example.org", goodPassword, "")
	s2 := e.login(t, "ann@example.org", goodPassword, "")
	if s1.Token == s2.Token {
		t.Fatal("two logins gave the same token")
	}
	if err := e.svc.Logout(ctxT(t), s1.Token); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Authenticate(ctxT(t), s1.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	if _, err := e.svc.Authenticate(ctxT(t), s2.Token); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctxT(t), s1.Token); err != nil {
		t.Fatalf("a second logout: %v", err)
	}
	// The stored form is the hash, never the token.
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_sessions WHERE hash = ?`, s2.Token); n != 0 {
		t.Fatal("a token is stored in clear")
	}
}

func TestAuthenticateRefusesMalformedTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tok := range []string{"", "coop_s_", "coop_x_AAAA", "Bearer coop_s_abc", SessionPrefix + "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
		_, err := e.svc.Authenticate(ctxT(t), tok)
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	// Well-formed but unknown: the node catches up, then says 401.
	tok, _ := newSecret(SessionPrefix)
	_, err := e.svc.Authenticate(ctxT(t), tok)
	wantCode(t, err, raftdata.CodeUnauthorized)
}
