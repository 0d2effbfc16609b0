package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coop/raftdata"
)

// API token limits.
const (
	MaxTokensPerAccount = 20
	MaxTokenNameChars   = 64
)

// TokenInfo describes an API token without its secret.
type TokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // nil: never used
}

// NewToken is a token just created: Token is shown this once.
type NewToken struct {
	TokenInfo
	Token string `json:"token"`
}

// TokenCreated is the payload of CmdTokenCreated.
type TokenCreated struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	Name    string `json:"name"`
	Hash    string `json:"hash"`
}

// TokenRef names a token: the payload of CmdTokenTouched and
// CmdTokenRevoked (Account is the owner, for revocation).
type TokenRef struct {
	ID      string `json:"id"`
	Account string `json:"account,omitempty"`
}

// CreateToken creates an API token for scripts, named so that its owner
// recognises it in the list. The token is returned once; only its SHA-256
// is stored.
func (s *Service) CreateToken(ctx context.Context, actor Account, name string) (NewToken, error) {
	if err := actor.Require(); err != nil {
		return NewToken{}, err
	}
	name, err := CheckName(name)
	if err != nil {
		return NewToken{}, raftdata.Errorf(raftdata.CodeInvalid, "token name: %s", raftdata.ErrorMessage(err))
	}
	if len([]rune(name)) > MaxTokenNameChars {
		return NewToken{}, raftdata.Errorf(raftdata.CodeInvalid, "the token name is too long: at most %d characters", MaxTokenNameChars)
	}
	token, hash := newSecret(TokenPrefix)
	p := TokenCreated{ID: raftdata.NewID(), Account: actor.ID, Name: name, Hash: hash}
	var res struct {
		CreatedAt int64 `json:"created_at"`
	}
	if err := s.apply(ctx, CmdTokenCreated, p, &res); err != nil {
		return NewToken{}, fmt.Errorf("create token: %w", err)
	}
	return NewToken{TokenInfo: TokenInfo{ID: p.ID, Name: name, CreatedAt: time.Unix(0, res.CreatedAt).UTC()}, Token: token}, nil
}

func applyTokenCreated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p TokenCreated
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.ID == "" || p.Name == "" || len(p.Hash) != 64 {
		return nil, raftdata.Errorf(raftdata.CodeInvalid, "a token needs an id, a name and a hash")
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, raftdata.Errorf(raftdata.CodeForbidden, "this account is %s", row.status)
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM members_tokens WHERE account_id = ?`, p.Account).Scan(&n); err != nil {
		return nil, fmt.Errorf("count tokens: %w", err)
	}
	if n >= MaxTokensPerAccount {
		return nil, raftdata.Errorf(raftdata.CodeConflict, "an account holds at most %d API tokens: revoke one first", MaxTokensPerAccount)
	}
	now := nanos(cmd)
	if _, err := tx.Exec(`INSERT INTO members_tokens(id, account_id, name, hash, created_at) VALUES(?,?,?,?,?)`,
		p.ID, p.Account, p.Name, p.Hash, now); err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	if err := emit(tx, "token_created", map[string]any{"id": p.Account, "token": p.ID}); err != nil {
		return nil, err
	}
	return map[string]int64{"created_at": now}, nil
}

func (s *Service) authToken(ctx context.Context, hash string) (Account, error) {
	c, err := s.lookupCredential(ctx, func(q querier) (credential, error) {
		var c credential
		var last sql.NullInt64
		err := q.QueryRow(`SELECT id, account_id, created_at, last_used_at FROM members_tokens WHERE hash = ?`, hash).
			Scan(&c.id, &c.account, &c.createdAt, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return c, errNoCredential
		}
		c.lastUsed = last.Int64 // 0 when never used
		return c, err
	})
	if errors.Is(err, errNoCredential) {
		return Account{}, raftdata.Errorf(raftdata.CodeUnauthorized, "this API token is unknown or revoked")
	}
	if err != nil {
		return Account{}, fmt.Errorf("read token: %w", err)
	}
	a, err := s.activeAccount(ctx, c.account)
	if err != nil {
		return Account{}, err
	}
	if s.now().UnixNano()-c.lastUsed >= int64(TouchInterval) {
		s.touch(ctx, CmdTokenTouched, TokenRef{ID: c.id})
	}
	return a, nil
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
	rows, err := q.Query(`SELECT id, name, created_at, last_used_at FROM members_tokens WHERE account_id = ? ORDER BY created_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var t TokenInfo
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &created, &last); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.CreatedAt = time.Unix(0, created).UTC()
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
		return nil, raftdata.Errorf(raftdata.CodeNotFound, "no token %q among yours", p.ID)
	}
	return nil, emit(tx, "token_revoked", map[string]any{"id": p.Account, "token": p.ID})
}
