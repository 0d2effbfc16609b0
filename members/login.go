package members

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coop/raftdata"
)

// LoginInput is the body of POST /login, plus the client's address, which
// the ui takes from the connection (behind a reverse proxy, the forwarded
// address it trusts). Callers without an address share one counter of the
// per-address limit, so the ui should always give one.
type LoginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Address  string `json:"-"`
}

// Session is what a successful login gives: the token, shown this once
// (only its SHA-256 is stored), and when it ends.
type Session struct {
	Token     string    `json:"token"`
	AccountID string    `json:"account_id"`
	ExpiresAt time.Time `json:"expires_at"` // absolute end; it also ends after IdleTimeout unused
	// IdleTimeout is how long the session survives without use.
	IdleTimeout time.Duration `json:"-"`
	// CharterCurrent is false when a new charter version awaits the
	// member's signature: the ui shows it before anything else.
	CharterCurrent bool `json:"charter_current"`
}

// LoginAttempt is the payload of CmdLoginAttempted: it reserves one
// attempt against the limits before the password is checked. It names the
// email by a key (loginKey), the same whether an account uses it or not,
// so known and unknown emails are limited alike.
type LoginAttempt struct {
	Attempt    string      `json:"attempt"`
	EmailKey   string      `json:"email_key,omitempty"`
	AddressKey string      `json:"address_key"`
	Limits     LoginLimits `json:"limits"`
	// Account is set by older logs only (the account was read before the
	// attempt, "" for an unknown email); see applyLoginAttemptedV1.
	Account string `json:"account,omitempty"`
}

type attemptResult struct {
	Allowed bool   `json:"allowed"`
	RetryAt int64  `json:"retry_at,omitempty"`
	Scope   string `json:"scope,omitempty"`
	// Failures counts the failures of the email in the window, from every
	// address, before this attempt: the slow-down grows with it.
	Failures int `json:"failures,omitempty"`
}

// LoginFailed is the payload of CmdLoginFailed.
type LoginFailed struct {
	Attempt string `json:"attempt"`
	Account string `json:"account"`
	Address string `json:"address"`
	Outcome string `json:"outcome"`
}

// Login checks an email and password and opens a session. In order:
//  1. an attempt is reserved in the replicated state; the handler refuses
//     it (CodeTooMany, LimitError), before any hashing, when this email
//     has PerPair failures from this address, or the address PerAddress
//     failures whatever the emails, in the last 15 minutes;
//  2. the account is read from the local copy, which holds every write
//     applied before the attempt (no extra round trip for an unknown
//     email: both take the same path);
//  3. the password is verified (against a dummy hash for an unknown email,
//     so both take the same time);
//  4. an email with SlowAfter failures or more from any address answers
//     after a delay, right password or not, at most MaxDelay: a guesser
//     spread over many addresses slows down, the member still gets in;
//  5. success opens a session and un-counts the attempt; failure keeps it
//     counted. Both go to the account's connection journal.
//
// A wrong email or password is CodeUnauthorized, the same sentence for
// both; a suspended account that gives its right password is
// CodeForbidden.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return Session{}, err
	}
	switch {
	case in.Password == "":
		return Session{}, raftdata.Refuse(raftdata.CodeInvalid, "password_required", "a password is required").On("password")
	case len(in.Password) > MaxPasswordBytes:
		return Session{}, raftdata.Refuse(raftdata.CodeInvalid, "password_long", "the password is too long: at most %d bytes", MaxPasswordBytes).With("max", MaxPasswordBytes).On("password")
	}
	address, key := clientAddress(in.Address)
	emailKey := loginKey(email)

	// The local copy may lag, never lead: if it already shows the limit
	// reached, it is reached, and no write is needed to say so.
	q := s.local(ctx)
	now := s.now()
	if retry, scope, err := overLimit(q, emailKey, key, now.UnixNano(), s.opts.Limits); err != nil {
		return Session{}, err
	} else if retry != 0 {
		return Session{}, newLimitError(scope, time.Unix(0, retry), now)
	}
	attempt := LoginAttempt{Attempt: raftdata.NewID(), EmailKey: emailKey, AddressKey: key, Limits: s.opts.Limits}
	var res attemptResult
	if err := s.apply(ctx, CmdLoginAttempted, attempt, &res); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !res.Allowed {
		return Session{}, newLimitError(res.Scope, time.Unix(0, res.RetryAt), s.now())
	}

	row, err := accountByEmail(q, email)
	if errors.Is(err, errNoAccount) {
		row, err = accountRow{}, nil
	}
	if err != nil {
		return Session{}, err
	}
	ok, err := s.verify(ctx, in.Password, row.hash)
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if err := s.slowDown(ctx, res.Failures); err != nil {
		return Session{}, err
	}
	switch {
	case ok && row.status == StatusActive:
		return s.openSession(ctx, attempt.Attempt, row.id, address)
	case ok && row.status == StatusSuspended:
		if err := s.loginFailed(ctx, attempt.Attempt, row.id, address, OutcomeSuspended); err != nil {
			return Session{}, err
		}
		return Session{}, raftdata.Refuse(raftdata.CodeForbidden, "suspended", "this account is suspended: ask an operator to reinstate it")
	default:
		if err := s.loginFailed(ctx, attempt.Attempt, row.id, address, OutcomeWrongPassword); err != nil {
			return Session{}, err
		}
		return Session{}, raftdata.Refuse(raftdata.CodeUnauthorized, "login", "wrong email or password")
	}
}

// loginDelay is how long a login waits when its email has failures
// failed logins in the window: nothing below SlowAfter, then FirstDelay,
// doubling with each failure, at most MaxDelay.
func loginDelay(failures int, l LoginLimits) time.Duration {
	if failures < l.SlowAfter {
		return 0
	}
	d := l.FirstDelay
	for i := l.SlowAfter; i < failures && d < l.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.MaxDelay)
}

// slowDown waits loginDelay (Options.Pause).
func (s *Service) slowDown(ctx context.Context, failures int) error {
	if d := loginDelay(failures, s.opts.Limits); d > 0 {
		return s.opts.Pause(ctx, d)
	}
	return nil
}

// pause is the default Options.Pause: a timer, cut short by ctx.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return raftdata.Refuse(raftdata.CodeUnavailable, "login_cut_short", "the login was cut short: try again")
	}
}

func (s *Service) loginFailed(ctx context.Context, attempt, account, address, outcome string) error {
	p := LoginFailed{Attempt: attempt, Account: account, Address: address, Outcome: outcome}
	if err := s.apply(ctx, CmdLoginFailed, p, nil); err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return nil
}

func applyLoginAttempted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p LoginAttempt
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.EmailKey == "" {
		return applyLoginAttemptedV1(tx, cmd, p)
	}
	if p.Attempt == "" || p.AddressKey == "" || p.Limits.PerPair < 1 || p.Limits.PerAddress < 1 || p.Limits.Window <= 0 {
		return nil, raftdata.Malformed("a login attempt needs an id, an email key, an address and limits")
	}
	now := nanos(cmd)
	if err := forgetAttempts(tx, now); err != nil {
		return nil, err
	}
	retry, scope, err := overLimit(tx, p.EmailKey, p.AddressKey, now, p.Limits)
	if err != nil {
		return nil, err
	}
	failures, err := countAttempts(tx, `email_key = ?`, []any{p.EmailKey}, now)
	if err != nil {
		return nil, err
	}
	if retry != 0 {
		return attemptResult{RetryAt: retry, Scope: scope, Failures: failures}, nil
	}
	if _, err := tx.Exec(`INSERT INTO members_login_attempts(id, account_id, email_key, address_key, at, expires_at) VALUES(?,?,?,?,?,?)`,
		p.Attempt, "", p.EmailKey, p.AddressKey, now, now+int64(p.Limits.Window)); err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	return attemptResult{Allowed: true, Failures: failures}, nil
}

// applyLoginAttemptedV1 replays an attempt of an older log as it was
// decided then: per account (a lock-out) and per address.
func applyLoginAttemptedV1(tx *raftdata.Tx, cmd raftdata.Command, p LoginAttempt) (any, error) {
	if p.Attempt == "" || p.AddressKey == "" || p.Limits.PerAccount < 1 || p.Limits.PerAddress < 1 || p.Limits.Window <= 0 {
		return nil, raftdata.Malformed("a login attempt needs an id, an address and limits")
	}
	now := nanos(cmd)
	if err := forgetAttempts(tx, now); err != nil {
		return nil, err
	}
	var retry int64
	var scope string
	check := func(where string, args []any, limit int, name string) error {
		lifts, err := limitLifts(tx, where, args, limit, now)
		if lifts > retry {
			retry, scope = lifts, name
		}
		return err
	}
	if p.Account != "" {
		if err := check(`account_id = ?`, []any{p.Account}, p.Limits.PerAccount, scopeAccount); err != nil {
			return nil, err
		}
	}
	if err := check(`address_key = ?`, []any{p.AddressKey}, p.Limits.PerAddress, scopeAddress); err != nil {
		return nil, err
	}
	if retry != 0 {
		return attemptResult{RetryAt: retry, Scope: scope}, nil
	}
	if _, err := tx.Exec(`INSERT INTO members_login_attempts(id, account_id, address_key, at, expires_at) VALUES(?,?,?,?,?)`,
		p.Attempt, p.Account, p.AddressKey, now, now+int64(p.Limits.Window)); err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	return attemptResult{Allowed: true}, nil
}

func forgetAttempts(tx *raftdata.Tx, now int64) error {
	if _, err := tx.Exec(`DELETE FROM members_login_attempts WHERE expires_at <= ?`, now); err != nil {
		return fmt.Errorf("forget old attempts: %w", err)
	}
	return nil
}

func applyLoginFailed(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p LoginFailed
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Account != "" {
		// The failure stays counted under its account too, so that
		// erasing the account erases it.
		if _, err := tx.Exec(`UPDATE members_login_attempts SET account_id = ? WHERE id = ?`, p.Account, p.Attempt); err != nil {
			return nil, fmt.Errorf("record failed login: %w", err)
		}
		if err := journalIn(tx, p.Account, nanos(cmd), p.Address, p.Outcome); err != nil {
			return nil, err
		}
	}
	ev := map[string]any{"outcome": p.Outcome}
	if p.Account != "" {
		ev["id"] = p.Account
	}
	return nil, emit(tx, "login_failed", ev)
}
