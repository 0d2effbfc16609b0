package members

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"coop/raftdata"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	bob := e.signUp(t, "Bob", "bob@example.org")
	ctx := ctxT(t)

	nt, err := e.svc.CreateToken(ctx, ann, TokenRequest{Name: "  backup script "})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(nt.Token, TokenPrefix) || nt.Name != "backup script" || nt.LastUsedAt != nil {
		t.Fatalf("new token %+v", nt)
	}
	_, err = e.svc.CreateToken(ctx, ann, TokenRequest{Name: ""})
	wantCode(t, err, raftdata.CodeInvalid)

	list, err := e.svc.Tokens(ctx, ann.ID)
	if err != nil || len(list) != 1 || list[0].ID != nt.ID || list[0].LastUsedAt != nil {
		t.Fatalf("list %+v %v", list, err)
	}
	if strings.Contains(asJSON(t, list), nt.Token) || strings.Contains(asJSON(t, list), hashSecret(nt.Token)) {
		t.Fatal("the list shows the secret")
	}

	e.clock.Advance(time.Hour)
	a, err := e.svc.Authenticate(ctx, nt.Token)
	if err != nil || a.ID != ann.ID {
		t.Fatalf("authenticate: %+v %v", a, err)
	}
	used := e.clock.Now()
	// A second use within the minute is not written.
	e.clock.Advance(10 * time.Second)
	if _, err := e.svc.Authenticate(ctx, nt.Token); err != nil {
		t.Fatal(err)
	}
	list, _ = e.svc.Tokens(ctx, ann.ID)
	if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(used) {
		t.Fatalf("last use %v, want %v", list[0].LastUsedAt, used)
	}

	// Only the owner revokes; someone else's token is not found.
	wantCode(t, e.svc.RevokeToken(ctx, bob, nt.ID), raftdata.CodeNotFound)
	if err := e.svc.RevokeToken(ctx, ann, nt.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, nt.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	if list, _ := e.svc.Tokens(ctx, ann.ID); len(list) != 0 {
		t.Fatalf("revoked token still listed: %+v", list)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_tokens WHERE hash = ? OR name = ?`, nt.Token, nt.Token); n != 0 {
		t.Fatal("a token is stored in clear")
	}
}

func TestTokenLimitPerAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	for i := range MaxTokensPerAccount {
		if _, err := e.svc.CreateToken(ctxT(t), ann, TokenRequest{Name: "t" + strings.Repeat("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.CreateToken(ctxT(t), ann, TokenRequest{Name: "one too many"})
	wantCode(t, err, raftdata.CodeConflict)
}

func TestTokenScopesAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	ctx := ctxT(t)

	// No scopes named: read only, for 90 days.
	nt, err := e.svc.CreateToken(ctx, ann, TokenRequest{Name: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nt.Scopes, []Scope{ScopeRead}) || !nt.ExpiresAt.Equal(e.clock.Now().AddDate(0, 0, DefaultTokenDays)) {
		t.Fatalf("default token %+v", nt)
	}
	voter, err := e.svc.CreateToken(ctx, ann, TokenRequest{Name: "voter", Scopes: []string{"vote", "read", "vote"}, ExpiresInDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.Access(ctx, voter.Token)
	if err != nil || acc.Session || acc.TokenID != voter.ID || !slices.Equal(acc.Scopes, []Scope{ScopeRead, ScopeVote}) ||
		!acc.Allows(ScopeVote) || acc.Allows(ScopeContribute) || !acc.ExpiresAt.Equal(e.clock.Now().AddDate(0, 0, 7)) {
		t.Fatalf("access of the voter token %+v %v", acc, err)
	}
	for _, bad := range []TokenRequest{
		{Name: "x", Scopes: []string{"admin"}},
		{Name: "x", Scopes: []string{}},
		{Name: "x", ExpiresInDays: MaxTokenDays + 1},
		{Name: "x", ExpiresInDays: -1},
	} {
		_, err := e.svc.CreateToken(ctx, ann, bad)
		wantCode(t, err, raftdata.CodeInvalid)
	}
	// The operate scope is for operators.
	_, err = e.svc.CreateToken(ctx, ann, TokenRequest{Name: "x", Scopes: []string{"operate"}})
	wantCode(t, err, raftdata.CodeForbidden)
	if _, err := e.svc.CreateToken(ctx, op, TokenRequest{Name: "ops", Scopes: []string{"operate", "read"}}); err != nil {
		t.Fatal(err)
	}
	// A session may do anything its account may.
	sess := e.login(t, "ann@example.org", goodPassword, "192.0.2.1")
	if acc, err := e.svc.Access(ctx, sess.Token); err != nil || !acc.Session || !acc.Allows(ScopeOperate) || acc.Account.ID != ann.ID {
		t.Fatalf("access of a session %+v %v", acc, err)
	}
	// Seven days later the voter token has expired: 401 with the date.
	e.clock.Advance(7 * 24 * time.Hour)
	_, err = e.svc.Access(ctx, voter.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	if !strings.Contains(raftdata.ErrorMessage(err), "expired on 2026-01-22") {
		t.Fatalf("message %q", raftdata.ErrorMessage(err))
	}
	if _, err := e.svc.Access(ctx, nt.Token); err != nil {
		t.Fatalf("the 90-day token after 7 days: %v", err)
	}
}

// A token minted before scopes (an older log's token_created, or a row of
// a data directory the upgrade brought up to date) keeps read, vote and
// contribute, and ends DefaultTokenDays after its first use since.
func TestTokenFromBeforeScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	ctx := ctxT(t)
	token, hash := newSecret(TokenPrefix)
	cmd, err := raftdata.NewCommand(CmdTokenCreated, map[string]any{"id": "old-token", "account": ann.ID, "name": "old script", "hash": hash}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.node.Store.ApplyCommand(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.Tokens(ctx, ann.ID)
	if err != nil || len(list) != 1 || list[0].ExpiresAt != nil || !slices.Equal(list[0].Scopes, []Scope{ScopeContribute, ScopeRead, ScopeVote}) {
		t.Fatalf("listed %+v %v", list, err)
	}
	e.clock.Advance(400 * 24 * time.Hour) // unused for more than a year: its first use dates it
	firstUse := e.clock.Now()
	acc, err := e.svc.Access(ctx, token)
	if err != nil || acc.Allows(ScopeOperate) || !acc.Allows(ScopeVote) || !acc.ExpiresAt.Equal(firstUse.AddDate(0, 0, DefaultTokenDays)) {
		t.Fatalf("first use %+v %v", acc, err)
	}
	e.clock.Advance(DefaultTokenDays*24*time.Hour - time.Second)
	if _, err := e.svc.Access(ctx, token); err != nil {
		t.Fatalf("a second before its end: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err = e.svc.Access(ctx, token)
	wantCode(t, err, raftdata.CodeUnauthorized)
}

// A data directory from before scoped tokens and per-(email, address)
// limits gains the columns, and a second run changes nothing.
func TestUpgradeCredentials(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE members_tokens (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, last_used_at INTEGER) WITHOUT ROWID;
		CREATE TABLE members_login_attempts (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, address_key TEXT NOT NULL,
		at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
		INSERT INTO members_tokens VALUES ('t1', 'a1', 'script', 'h1', 5, NULL);
		INSERT INTO members_login_attempts VALUES ('x1', 'a1', '192.0.2.1', 5, 10)`); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := upgradeCredentials(tx); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var scopes, emailKey string
		var expires int64
		if err := db.QueryRow(`SELECT scopes, expires_at FROM members_tokens WHERE id = 't1'`).Scan(&scopes, &expires); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := db.QueryRow(`SELECT email_key FROM members_login_attempts WHERE id = 'x1'`).Scan(&emailKey); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if scopes != "" || expires != 0 || emailKey != "" {
			t.Fatalf("run %d: %q %d %q", run, scopes, expires, emailKey)
		}
	}
}
