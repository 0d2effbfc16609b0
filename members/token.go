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

// API token limits.
const (
	MaxTokensPerAccount = 20
	MaxTokenNameChars   = 64

	// DefaultTokenDays is the lifetime of a token whose request names
	// none, and the lifetime a token from before expiries gets at its
	// first use; MaxTokenDays the longest a token may be asked for.
	DefaultTokenDays = 90
	MaxTokenDays     = 365
)

// TokenRequest is the body of POST /me/tokens: a name the owner will
// recognise, the scopes (default: read only) and the lifetime in days
// (default DefaultTokenDays, at most MaxTokenDays).
type TokenRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays int      `json:"expires_in_days"`
}

// TokenInfo describes an API token without its secret.
type TokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []Scope    `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`   // nil: a token from before expiries, not used since (it gets DefaultTokenDays at its first use)
	LastUsedAt *time.Time `json:"last_used_at"` // nil: never used
}

// NewToken is a token just created: Token is shown this once.
type NewToken struct {
	TokenInfo
	Token string `json:"token"`
}

// TokenCreated is the payload of CmdTokenCreated. Scopes and Lifetime
// came with scoped tokens: an entry without them (an older log) makes a
// token of legacyScopes, dated at its first use, as the upgrade of the
// table does.
type TokenCreated struct {
	ID       string        `json:"id"`
	Account  string        `json:"account"`
	Name     string        `json:"name"`
	Hash     string        `json:"hash"`
	Scopes   string        `json:"scopes,omitempty"`
	Lifetime time.Duration `json:"lifetime,omitempty"`
}

// TokenDated is the payload of CmdTokenDated: a token from before
// expiries, used for the first time since, ends Lifetime after that use.
type TokenDated struct {
	ID       string        `json:"id"`
	Lifetime time.Duration `json:"lifetime"`
}

// TokenRef names a token: the payload of CmdTokenTouched and
// CmdTokenRevoked (Account is the owner, for revocation).
type TokenRef struct {
	ID      string `json:"id"`
	Account string `json:"account,omitempty"`
}

// CreateToken creates an API token for scripts, named so that its owner
// recognises it in the list, with the scopes and lifetime asked for. The
// token is returned once; only its SHA-256 is stored. Only a login
// session may mint a token: the ui refuses the route to API tokens.
func (s *Service) CreateToken(ctx context.Context, actor Account, in TokenRequest) (NewToken, error) {
	if err := actor.Require(); err != nil {
		return NewToken{}, err
	}
	name, err := CheckName(in.Name)
	if err != nil {
		e := raftdata.Refuse(raftdata.CodeInvalid, "token_name", "token name: %s", raftdata.ErrorMessage(err)).On("name")
		e.Reason = "token_" + raftdata.ErrorReason(err) // token_name_required, token_name_long...
		return NewToken{}, e
	}
	if len([]rune(name)) > MaxTokenNameChars {
		return NewToken{}, raftdata.Refuse(raftdata.CodeInvalid, "token_name_long", "the token name is too long: at most %d characters", MaxTokenNameChars).
			With("max", MaxTokenNameChars).On("name")
	}
	if in.Scopes == nil {
		in.Scopes = []string{string(ScopeRead)}
	}
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		return NewToken{}, err
	}
	if slices.Contains(scopes, ScopeOperate) && !actor.Has(RoleOperator) {
		return NewToken{}, errOperateScope()
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = DefaultTokenDays
	}
	if days < 1 || days > MaxTokenDays {
		return NewToken{}, errTokenDays()
	}
	token, hash := newSecret(TokenPrefix)
	p := TokenCreated{ID: raftdata.NewID(), Account: actor.ID, Name: name, Hash: hash,
		Scopes: scopesText(scopes), Lifetime: time.Duration(days) * 24 * time.Hour}
	var res struct {
		CreatedAt int64 `json:"created_at"`
		ExpiresAt int64 `json:"expires_at"`
	}
	if err := s.apply(ctx, CmdTokenCreated, p, &res); err != nil {
		return NewToken{}, fmt.Errorf("create token: %w", err)
	}
	expires := time.Unix(0, res.ExpiresAt).UTC()
	return NewToken{TokenInfo: TokenInfo{ID: p.ID, Name: name, Scopes: scopes,
		CreatedAt: time.Unix(0, res.CreatedAt).UTC(), ExpiresAt: &expires}, Token: token}, nil
}

func applyTokenCreated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p TokenCreated
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.ID == "" || p.Name == "" || len(p.Hash) != 64 {
		return nil, raftdata.Malformed("a token needs an id, a name and a hash")
	}
	if (p.Scopes == "") != (p.Lifetime == 0) || p.Lifetime < 0 || p.Lifetime > MaxTokenDays*24*time.Hour {
		return nil, raftdata.Malformed("a token needs scopes and a lifetime of 1 to %d days", MaxTokenDays)
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	if slices.Contains(scopesOf(p.Scopes), ScopeOperate) {
		roles, err := rolesOf(tx, p.Account)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(roles, RoleOperator) {
			return nil, errOperateScope()
		}
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM members_tokens WHERE account_id = ?`, p.Account).Scan(&n); err != nil {
		return nil, fmt.Errorf("count tokens: %w", err)
	}
	if n >= MaxTokensPerAccount {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "tokens_full", "an account holds at most %d API tokens: revoke one first", MaxTokensPerAccount).
			With("max", MaxTokensPerAccount)
	}
	now := nanos(cmd)
	var expires int64 // 0: from an older log, dated at its first use
	if p.Lifetime > 0 {
		expires = now + int64(p.Lifetime)
	}
	if _, err := tx.Exec(`INSERT INTO members_tokens(id, account_id, name, hash, created_at, scopes, expires_at) VALUES(?,?,?,?,?,?,?)`,
		p.ID, p.Account, p.Name, p.Hash, now, p.Scopes, expires); err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	if err := emit(tx, "token_created", map[string]any{"id": p.Account, "token": p.ID}); err != nil {
		return nil, err
	}
	return map[string]int64{"created_at": now, "expires_at": expires}, nil
}

func findToken(q querier, hash string) (credential, error) {
	var c credential
	var last sql.NullInt64
	err := q.QueryRow(`SELECT id, account_id, created_at, last_used_at, scopes, expires_at FROM members_tokens WHERE hash = ?`, hash).
		Scan(&c.id, &c.account, &c.createdAt, &last, &c.scopes, &c.expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCredential
	}
	c.lastUsed = last.Int64 // 0 when never used
	return c, err
}

func (s *Service) authToken(ctx context.Context, hash string) (Access, error) {
	e, err := s.credential(ctx, hash, false)
	if err != nil {
		return Access{}, err
	}
	c := e.cred
	now := s.now()
	if c.expiresAt != 0 && now.UnixNano() >= c.expiresAt {
		s.auth.forget(hash)
		end := time.Unix(0, c.expiresAt).UTC()
		return Access{}, raftdata.Refuse(raftdata.CodeUnauthorized, "token_expired", "this API token expired on %s: mint a new one",
			end.Format(time.DateOnly)).With("date", end)
	}
	if c.expiresAt == 0 {
		// A token from before expiries: its first use dates it.
		lifetime := DefaultTokenDays * 24 * time.Hour
		if err := s.apply(ctx, CmdTokenDated, TokenDated{ID: c.id, Lifetime: lifetime}, nil); err != nil {
			return Access{}, fmt.Errorf("date token: %w", err)
		}
		c.expiresAt = now.Add(lifetime).UnixNano()
	}
	if now.UnixNano()-c.lastUsed >= int64(TouchInterval) {
		s.touch(ctx, CmdTokenTouched, TokenRef{ID: c.id}) // drops the entry, as the dating did
	}
	a := e.access
	a.ExpiresAt = time.Unix(0, c.expiresAt).UTC()
	return a, nil
}

func applyTokenDated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p TokenDated
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Lifetime <= 0 || p.Lifetime > MaxTokenDays*24*time.Hour {
		return nil, errTokenDays()
	}
	_, err := tx.Exec(`UPDATE members_tokens SET expires_at = ? WHERE id = ? AND expires_at = 0`, nanos(cmd)+int64(p.Lifetime), p.ID)
	if err != nil {
		return nil, fmt.Errorf("date token: %w", err)
	}
	return nil, nil
}

func applyTokenTouched(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p TokenRef
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	now := nanos(cmd)
	_, err := tx.Exec(`UPDATE members_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, now, p.ID, now)
	if err != nil {
		return nil, fmt.Errorf("touch token: %w", err)
	}
	return nil, nil
}

// Tokens lists an account's API tokens with their last use, oldest first.
func (s *Service) Tokens(ctx context.Context, accountID string) ([]TokenInfo, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return tokensOf(s.local(ctx), accountID)
}

func tokensOf(q querier, id string) ([]TokenInfo, error) {
	rows, err := q.Query(`SELECT id, name, scopes, created_at, expires_at, last_used_at FROM members_tokens WHERE account_id = ? ORDER BY created_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var t TokenInfo
		var scopes string
		var created, expires int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &scopes, &created, &expires, &last); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.Scopes = scopesOf(scopes)
		t.CreatedAt = time.Unix(0, created).UTC()
		if expires != 0 {
			at := time.Unix(0, expires).UTC()
			t.ExpiresAt = &at
		}
		if last.Valid {
			at := time.Unix(0, last.Int64).UTC()
			t.LastUsedAt = &at
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes one of the actor's API tokens: it stops working at
// once on every node. Another account's token is not found.
func (s *Service) RevokeToken(ctx context.Context, actor Account, tokenID string) error {
	if err := actor.Require(); err != nil {
		return err
	}
	if err := s.apply(ctx, CmdTokenRevoked, TokenRef{ID: tokenID, Account: actor.ID}, nil); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

func applyTokenRevoked(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p TokenRef
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	res, err := tx.Exec(`DELETE FROM members_tokens WHERE id = ? AND account_id = ?`, p.ID, p.Account)
	if err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, raftdata.Refuse(raftdata.CodeNotFound, "no_token", "no token %q among yours", p.ID)
	}
	return nil, emit(tx, "token_revoked", map[string]any{"id": p.Account, "token": p.ID})
}

func errOperateScope() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "operate_scope", "only an operator may mint a token with the operate scope").On("scopes")
}

func errTokenDays() error {
	return raftdata.Refuse(raftdata.CodeInvalid, "token_days", "a token lasts 1 to %d days", MaxTokenDays).With("max", MaxTokenDays).On("expires_in_days")
}
