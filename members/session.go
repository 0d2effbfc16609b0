package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"coop/raftdata"
)

// SessionCreated is the payload of CmdSessionCreated: a successful login.
type SessionCreated struct {
	Attempt  string        `json:"attempt"`
	Account  string        `json:"account"`
	Hash     string        `json:"hash"` // SHA-256 of the token; the token itself never travels
	Address  string        `json:"address"`
	Idle     time.Duration `json:"idle"`
	Absolute time.Duration `json:"absolute"`
	// Charters are the current versions at the proposing node, to tell
	// the member whether a new one awaits their signature.
	Charters map[CharterKind]int `json:"charters"`
}

// SessionRef names a session by its hash: the payload of
// CmdSessionTouched and CmdSessionEnded.
type SessionRef struct {
	Hash string `json:"hash"`
}

// SessionInfo describes a session without its secret (exports).
type SessionInfo struct {
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// openSession draws a token, stores its hash and returns it.
func (s *Service) openSession(ctx context.Context, attempt, account, address string) (Session, error) {
	token, hash := newSecret(SessionPrefix)
	p := SessionCreated{
		Attempt: attempt, Account: account, Hash: hash, Address: address,
		Idle: s.opts.SessionIdle, Absolute: s.opts.SessionAbsolute, Charters: CharterVersions(),
	}
	var res struct {
		ExpiresAt int64 `json:"expires_at"`
		Current   bool  `json:"charter_current"`
	}
	if err := s.apply(ctx, CmdSessionCreated, p, &res); err != nil {
		return Session{}, fmt.Errorf("open session: %w", err)
	}
	return Session{
		Token: token, AccountID: account, ExpiresAt: time.Unix(0, res.ExpiresAt).UTC(),
		IdleTimeout: s.opts.SessionIdle, CharterCurrent: res.Current,
	}, nil
}

func applySessionCreated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p SessionCreated
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if len(p.Hash) != 64 || p.Idle <= 0 || p.Absolute <= 0 {
		return nil, raftdata.Malformed("a session needs a token hash and lifetimes")
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	now := nanos(cmd)
	expires := now + int64(p.Absolute)
	if row.expiresAt.Valid {
		// A guest's session ends with the guest's account.
		if now >= row.expiresAt.Int64 {
			return nil, errGuestEnded(time.Unix(0, row.expiresAt.Int64))
		}
		expires = min(expires, row.expiresAt.Int64)
	}
	if _, err := tx.Exec(`DELETE FROM members_login_attempts WHERE id = ?`, p.Attempt); err != nil {
		return nil, fmt.Errorf("un-count attempt: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO members_sessions(hash, account_id, created_at, last_used_at, expires_at, idle_ns) VALUES(?,?,?,?,?,?)`,
		p.Hash, p.Account, now, now, expires, int64(p.Idle)); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if err := journalIn(tx, p.Account, now, p.Address, OutcomeSuccess); err != nil {
		return nil, err
	}
	roles, err := rolesOf(tx, p.Account)
	if err != nil {
		return nil, err
	}
	current, err := chartersCurrent(tx, p.Account, roles, p.Charters)
	if err != nil {
		return nil, err
	}
	if err := emit(tx, "session_created", map[string]any{"id": p.Account}); err != nil {
		return nil, err
	}
	return map[string]any{"expires_at": expires, "charter_current": current}, nil
}

// Authenticate returns the account behind a session or API token: Access
// without the scopes, for callers that act as the account itself.
func (s *Service) Authenticate(ctx context.Context, token string) (Account, error) {
	a, err := s.Access(ctx, token)
	return a.Account, err
}

// Access tells what a session or API token (told apart by their prefix)
// lets a request do. The credential and its account come from the
// authentication mirror, or from the local copy (credential); the clock
// checks run at every request. An unknown, ended, expired or revoked
// credential, or one whose account is no longer active, is
// CodeUnauthorized. Last use is written at most once a minute.
func (s *Service) Access(ctx context.Context, token string) (Access, error) {
	prefix, ok := parseSecret(token)
	if !ok {
		return Access{}, raftdata.Refuse(raftdata.CodeUnauthorized, "not_a_credential", "this is not a coop session or API token")
	}
	if prefix == SessionPrefix {
		return s.authSession(ctx, hashSecret(token))
	}
	return s.authToken(ctx, hashSecret(token))
}

// credential is a session or token row.
type credential struct {
	id, account         string
	createdAt, lastUsed int64
	expiresAt           int64  // 0: an API token from before expiries
	idle                int64  // sessions only
	scopes              string // API tokens only
}

var errNoCredential = errors.New("no such credential")

// credential returns the session or API token of hash with its account:
// from the mirror, or read from the local copy and kept there. If this
// node does not know the hash yet (the client logged in through another
// node), it catches up with the leader once and looks again. A credential
// whose account is not active does not authenticate.
func (s *Service) credential(ctx context.Context, hash string, session bool) (authEntry, error) {
	if e, ok := s.auth.get(hash); ok && e.session == session {
		return e, nil
	}
	mark := s.auth.mark(s.store.AppliedIndex()) // before any read
	find, what := findToken, "token"
	if session {
		find, what = findSession, "session"
	}
	q := s.local(ctx)
	c, err := find(q, hash)
	if errors.Is(err, errNoCredential) {
		if err := s.sync(ctx); err != nil {
			return authEntry{}, err
		}
		c, err = find(q, hash)
	}
	if errors.Is(err, errNoCredential) {
		return authEntry{}, errUnknownCredential(session)
	}
	if err != nil {
		return authEntry{}, fmt.Errorf("read %s: %w", what, err)
	}
	a, err := s.activeAccount(ctx, c.account)
	if err != nil {
		return authEntry{}, err
	}
	e := authEntry{cred: c, session: session, access: Access{Account: a, Session: session}}
	if !session {
		e.access.TokenID, e.access.Scopes = c.id, slices.Clip(scopesOf(c.scopes))
	}
	s.auth.keep(mark, hash, e)
	return e, nil
}

// errUnknownCredential refuses a session or an API token no account holds.
func errUnknownCredential(session bool) error {
	if session {
		return raftdata.Refuse(raftdata.CodeUnauthorized, "session_ended", "this session has ended: log in again")
	}
	return raftdata.Refuse(raftdata.CodeUnauthorized, "token_unknown", "this API token is unknown or revoked")
}

func findSession(q querier, hash string) (credential, error) {
	var c credential
	err := q.QueryRow(`SELECT hash, account_id, created_at, last_used_at, expires_at, idle_ns FROM members_sessions WHERE hash = ?`, hash).
		Scan(&c.id, &c.account, &c.createdAt, &c.lastUsed, &c.expiresAt, &c.idle)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCredential
	}
	return c, err
}

func (s *Service) authSession(ctx context.Context, hash string) (Access, error) {
	e, err := s.credential(ctx, hash, true)
	if err != nil {
		return Access{}, err
	}
	c := e.cred
	now := s.now().UnixNano()
	switch {
	case now >= c.expiresAt:
		s.auth.forget(hash)
		return Access{}, raftdata.Refuse(raftdata.CodeUnauthorized, "session_expired", "this session has expired: log in again")
	case now >= c.lastUsed+c.idle:
		s.auth.forget(hash)
		return Access{}, raftdata.Refuse(raftdata.CodeUnauthorized, "session_idle", "this session has expired after a time without use: log in again")
	}
	if now-c.lastUsed >= int64(TouchInterval) {
		// The touch drops the entry: the next request reads the new
		// last use, which idle expiry counts from.
		s.touch(ctx, CmdSessionTouched, SessionRef{Hash: hash})
	}
	a := e.access
	a.ExpiresAt = time.Unix(0, c.expiresAt).UTC()
	return a, nil
}

// activeAccount loads the account a credential belongs to; a suspended or
// deleted one does not authenticate.
func (s *Service) activeAccount(ctx context.Context, id string) (Account, error) {
	q := s.local(ctx)
	row, err := accountByID(q, id)
	if errors.Is(err, errNoAccount) {
		return Account{}, raftdata.Refuse(raftdata.CodeUnauthorized, "account_gone", "this account no longer exists")
	}
	if err != nil {
		return Account{}, err
	}
	if row.status != StatusActive {
		return Account{}, raftdata.Refuse(raftdata.CodeUnauthorized, "account_"+string(row.status), "this account is %s", row.status)
	}
	if row.expiresAt.Valid && s.now().UnixNano() >= row.expiresAt.Int64 {
		return Account{}, errGuestEnded(time.Unix(0, row.expiresAt.Int64))
	}
	return loadAccount(q, row, CharterVersions())
}

// touch records a last use. A failure does not refuse the request that
// used the credential: it only delays idle expiry bookkeeping.
func (s *Service) touch(ctx context.Context, typ string, payload any) {
	if err := s.apply(ctx, typ, payload, nil); err != nil {
		s.log.Warn("could not record the last use of a credential", "command", typ, "error", err)
	}
}

func applySessionTouched(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p SessionRef
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	now := nanos(cmd)
	// A session that expired meanwhile stays expired.
	_, err := tx.Exec(`UPDATE members_sessions SET last_used_at = ?
		WHERE hash = ? AND last_used_at < ? AND last_used_at + idle_ns > ? AND expires_at > ?`, now, p.Hash, now, now, now)
	if err != nil {
		return nil, fmt.Errorf("touch session: %w", err)
	}
	return nil, nil
}

// Logout ends the session of token at once, on every node. Ending a
// session that does not exist is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	prefix, ok := parseSecret(token)
	if !ok || prefix != SessionPrefix {
		return raftdata.Refuse(raftdata.CodeInvalid, "not_a_session", "this is not a session token (API tokens are revoked, not logged out)")
	}
	if err := s.apply(ctx, CmdSessionEnded, SessionRef{Hash: hashSecret(token)}, nil); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

func applySessionEnded(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p SessionRef
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	var account string
	err := tx.QueryRow(`SELECT account_id FROM members_sessions WHERE hash = ?`, p.Hash).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("end session: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_sessions WHERE hash = ?`, p.Hash); err != nil {
		return nil, fmt.Errorf("end session: %w", err)
	}
	return nil, emit(tx, "session_ended", map[string]any{"id": account})
}

func sessionsOf(q querier, id string) ([]SessionInfo, error) {
	rows, err := q.Query(`SELECT created_at, last_used_at, expires_at FROM members_sessions WHERE account_id = ? ORDER BY created_at`, id)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	defer rows.Close()
	out := []SessionInfo{}
	for rows.Next() {
		var c, l, e int64
		if err := rows.Scan(&c, &l, &e); err != nil {
			return nil, fmt.Errorf("read sessions: %w", err)
		}
		out = append(out, SessionInfo{CreatedAt: time.Unix(0, c).UTC(), LastUsedAt: time.Unix(0, l).UTC(), ExpiresAt: time.Unix(0, e).UTC()})
	}
	return out, rows.Err()
}
