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
// attempt against the limits before the password is checked.
type LoginAttempt struct {
	Attempt    string      `json:"attempt"`
	Account    string      `json:"account"` // "" for an unknown email
	AddressKey string      `json:"address_key"`
	Limits     LoginLimits `json:"limits"`
}

type attemptResult struct {
	Allowed bool   `json:"allowed"`
	RetryAt int64  `json:"retry_at,omitempty"`
	Scope   string `json:"scope,omitempty"`
}

// LoginFailed is the payload of CmdLoginFailed.
type LoginFailed struct {
	Attempt string `json:"attempt"`
	Account string `json:"account"`
	Address string `json:"address"`
	Outcome string `json:"outcome"`
}

// Login checks an email and password and opens a session. In order:
//  1. the account is looked up (catching up with the leader once if this
//     node does not know the email);
//  2. an attempt is reserved in the replicated state; the handler refuses
//     it (CodeTooMany, LimitError) when the account has 10 or the address
//     50 attempts counted in the last 15 minutes, before any hashing;
//  3. the password is verified (against a dummy hash for an unknown email,
//     so both take the same time);
//  4. success opens a session and un-counts the attempt; failure keeps it
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
		return Session{}, raftdata.Errorf(raftdata.CodeInvalid, "a password is required")
	case len(in.Password) > MaxPasswordBytes:
		return Session{}, raftdata.Errorf(raftdata.CodeInvalid, "the password is too long: at most %d bytes", MaxPasswordBytes)
	}
	address, key := clientAddress(in.Address)

	q := s.local(ctx)
	row, err := accountByEmail(q, email)
	if errors.Is(err, errNoAccount) {
		if err := s.sync(ctx); err != nil {
			return Session{}, err
		}
		row, err = accountByEmail(q, email)
	}
	if errors.Is(err, errNoAccount) {
		row, err = accountRow{}, nil
	}
	if err != nil {
		return Session{}, err
	}

	// The local copy may lag, never lead: if it already shows the limit
	// reached, it is reached, and no write is needed to say so.
	now := s.now()
	if retry, scope, err := overLimit(q, row.id, key, now.UnixNano(), s.opts.Limits); err != nil {
		return Session{}, err
	} else if retry != 0 {
		return Session{}, newLimitError(scope, time.Unix(0, retry), now)
	}
	attempt := LoginAttempt{Attempt: raftdata.NewID(), Account: row.id, AddressKey: key, Limits: s.opts.Limits}
	var res attemptResult
	if err := s.apply(ctx, CmdLoginAttempted, attempt, &res); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !res.Allowed {
		return Session{}, newLimitError(res.Scope, time.Unix(0, res.RetryAt), s.now())
	}

	ok, err := s.verify(ctx, in.Password, row.hash)
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	switch {
	case ok && row.status == StatusActive:
		return s.openSession(ctx, attempt.Attempt, row.id, address)
	case ok && row.status == StatusSuspended:
		if err := s.loginFailed(ctx, attempt.Attempt, row.id, address, OutcomeSuspended); err != nil {
			return Session{}, err
		}
		return Session{}, raftdata.Errorf(raftdata.CodeForbidden, "this account is suspended: ask an operator to reinstate it")
	default:
		if err := s.loginFailed(ctx, attempt.Attempt, row.id, address, OutcomeWrongPassword); err != nil {
			return Session{}, err
		}
		return Session{}, raftdata.Errorf(raftdata.CodeUnauthorized, "wrong email or password")
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
	if p.Attempt == "" || p.AddressKey == "" || p.Limits.PerAccount < 1 || p.Limits.PerAddress < 1 || p.Limits.Window <= 0 {
		return nil, raftdata.Errorf(raftdata.CodeInvalid, "a login attempt needs an id, an address and limits")
	}
	now := nanos(cmd)
	if _, err := tx.Exec(`DELETE FROM members_login_attempts WHERE expires_at <= ?`, now); err != nil {
		return nil, fmt.Errorf("forget old attempts: %w", err)
	}
	retry, scope, err := overLimit(tx, p.Account, p.AddressKey, now, p.Limits)
	if err != nil {
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

func applyLoginFailed(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p LoginFailed
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Account != "" {
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
