package members

import (
	"strings"
	"testing"
	"time"

	"coop/raftdata"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	bob := e.signUp(t, "Bob", "bob@example.org")
	ctx := ctxT(t)

	nt, err := e.svc.CreateToken(ctx, ann, "  backup script ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(nt.Token, TokenPrefix) || nt.Name != "backup script" || nt.LastUsedAt != nil {
		t.Fatalf("new token %+v", nt)
	}
	_, err = e.svc.CreateToken(ctx, ann, "")
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
		if _, err := e.svc.CreateToken(ctxT(t), ann, "t"+strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.svc.CreateToken(ctxT(t), ann, "one too many")
	wantCode(t, err, raftdata.CodeConflict)
}
