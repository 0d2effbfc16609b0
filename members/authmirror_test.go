package members

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
	"coop/raftdata/raftdatatest/smalldisk"
)

// authCase changes, through the service, something that Access returns
// for a credential the mirror holds, and checks that the next Access sees
// it. Each case runs on a node of its own env (fresh accounts).
type authCase struct {
	cmd string
	run func(t *testing.T, e *env, op Account)
}

// authCases: one case per members command that drops something from the
// mirror (authEffects), each failing if its drop is removed.
var authCases = []authCase{
	{CmdSessionTouched, func(t *testing.T, e *env, _ Account) {
		// Idle expiry counts from the last use the touch wrote: without
		// the drop the mirror keeps the login's time and the session ends
		// 2 h after it, used or not.
		a, s := e.member(t, "Ann")
		e.cached(t, s.Token)
		e.clock.Advance(DefaultSessionIdle/2 + time.Minute)
		e.access(t, s.Token) // touches
		e.clock.Advance(DefaultSessionIdle/2 + time.Minute)
		if got := e.access(t, s.Token); got.Account.ID != a.ID {
			t.Fatalf("after a use within the idle time: %+v", got)
		}
	}},
	{CmdSessionEnded, func(t *testing.T, e *env, _ Account) {
		_, s := e.member(t, "Bea")
		e.cached(t, s.Token)
		if err := e.svc.Logout(ctxT(t), s.Token); err != nil {
			t.Fatal(err)
		}
		e.refused(t, s.Token)
	}},
	{CmdTokenTouched, func(t *testing.T, e *env, _ Account) {
		// The touch writes the last use once a minute; a mirror that
		// kept the older one would touch at every request.
		a, _ := e.member(t, "Cal")
		tok := e.token(t, a)
		e.cached(t, tok)
		e.clock.Advance(TouchInterval)
		e.access(t, tok) // touches
		e.clock.Advance(time.Second)
		before := e.node.AppliedIndex()
		e.access(t, tok)
		if after := e.node.AppliedIndex(); after != before {
			t.Fatalf("a request a second after the touch touched again (applied index %d -> %d)", before, after)
		}
	}},
	{CmdTokenDated, func(t *testing.T, e *env, _ Account) {
		// A token from before expiries, used once already: its first use
		// since dates it; later requests read that date.
		a, _ := e.member(t, "Dan")
		tok, hash := newSecret(TokenPrefix)
		id := raftdata.NewID()
		e.applyAt(t, CmdTokenCreated, TokenCreated{ID: id, Account: a.ID, Name: "old script", Hash: hash})
		e.applyAt(t, CmdTokenTouched, TokenRef{ID: id})
		e.clock.Advance(time.Second)
		first := e.access(t, tok) // dates it, no touch
		e.clock.Advance(time.Hour)
		if got := e.access(t, tok); !got.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("the token ends %s, then %s: its date moved", first.ExpiresAt, got.ExpiresAt)
		}
	}},
	{CmdTokenRevoked, func(t *testing.T, e *env, _ Account) {
		a, _ := e.member(t, "Eve")
		tok := e.token(t, a)
		e.cached(t, tok)
		list, err := e.svc.Tokens(ctxT(t), a.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens: %v %v", list, err)
		}
		if err := e.svc.RevokeToken(ctxT(t), a, list[0].ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok)
	}},
	{CmdPasswordChanged, func(t *testing.T, e *env, _ Account) {
		a, s := e.member(t, "Fay")
		e.cached(t, s.Token)
		if err := e.svc.ChangePassword(ctxT(t), a, goodPassword, "quiet meadow compass 77"); err != nil {
			t.Fatal(err)
		}
		e.refused(t, s.Token)
	}},
	{CmdProfileUpdated, func(t *testing.T, e *env, _ Account) {
		a, s := e.member(t, "Gus")
		e.cached(t, s.Token)
		if _, err := e.svc.UpdateProfile(ctxT(t), a, "Gustave", a.Email, goodPassword); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account.Name; got != "Gustave" {
			t.Fatalf("name after the update: %q", got)
		}
	}},
	{CmdRoleGranted, func(t *testing.T, e *env, op Account) {
		a, s := e.member(t, "Hal")
		e.cached(t, s.Token)
		if err := e.svc.GrantRole(ctxT(t), op, a.ID, string(RoleResearcher)); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account; !got.Has(RoleResearcher) {
			t.Fatalf("after the grant: %+v", got)
		}
	}},
	{CmdRoleRevoked, func(t *testing.T, e *env, op Account) {
		a, s := e.member(t, "Ida")
		if err := e.svc.GrantRole(ctxT(t), op, a.ID, string(RoleResearcher)); err != nil {
			t.Fatal(err)
		}
		e.cached(t, s.Token)
		if err := e.svc.RevokeRole(ctxT(t), op, a.ID, string(RoleResearcher)); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account; got.Has(RoleResearcher) {
			t.Fatalf("after the revocation: %+v", got)
		}
	}},
	{CmdAdmitted, func(t *testing.T, e *env, op Account) {
		a, s := e.member(t, "Jo")
		if e.cached(t, s.Token).Account.Admitted {
			t.Fatal("an applicant is admitted")
		}
		if err := e.svc.Admit(ctxT(t), op, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account; !got.Admitted || !got.Has(RoleMember) {
			t.Fatalf("after the admission: %+v", got)
		}
	}},
	{CmdSponsored, func(t *testing.T, e *env, op Account) {
		e.adopt(t, func(r *governance.Rulebook) {
			r.Membership = governance.Membership{Admission: governance.AdmitBySponsors, SponsorsRequired: 1}
		})
		founder, _ := e.member(t, "Kim")
		if err := e.svc.Admit(ctxT(t), op, founder.ID); err != nil {
			t.Fatal(err)
		}
		founder = e.get(t, founder.ID)
		a, s := e.member(t, "Lea")
		e.cached(t, s.Token)
		if _, err := e.svc.Sponsor(ctxT(t), founder, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account; !got.Admitted {
			t.Fatalf("after the sponsorship: %+v", got)
		}
	}},
	{CmdSuspended, func(t *testing.T, e *env, op Account) {
		a, s := e.member(t, "Max")
		tok := e.token(t, a)
		e.cached(t, s.Token)
		e.cached(t, tok)
		if err := e.svc.Suspend(ctxT(t), op, a.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, s.Token)
		e.refused(t, tok)
	}},
	{CmdDeleted, func(t *testing.T, e *env, _ Account) {
		a, s := e.member(t, "Ned")
		e.cached(t, s.Token)
		if err := e.svc.DeleteAccount(ctxT(t), a, a.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, s.Token)
	}},
	{CmdCharterSigned, func(t *testing.T, e *env, op Account) {
		a, s := e.member(t, "Ola")
		if err := e.svc.GrantRole(ctxT(t), op, a.ID, string(RoleOperator)); err != nil {
			t.Fatal(err)
		}
		if e.cached(t, s.Token).Account.CharterCurrent {
			t.Fatal("a new operator has signed the operator charter")
		}
		if err := e.svc.SignCharter(ctxT(t), e.access(t, s.Token).Account, CharterOperator, "en"); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account; !got.CharterCurrent {
			t.Fatalf("after signing: %+v", got)
		}
	}},
	{CmdCollegeSet, func(t *testing.T, e *env, op Account) {
		e.adopt(t, func(r *governance.Rulebook) {
			r.Colleges = []governance.College{{Name: "users", WeightPercent: 50}, {Name: "producers", WeightPercent: 50}}
		})
		a, s := e.member(t, "Quy")
		if got := e.cached(t, s.Token).Account.College; got != "" {
			t.Fatalf("a college before any was assigned: %q", got)
		}
		if err := e.svc.SetCollege(ctxT(t), op, a.ID, "producers"); err != nil {
			t.Fatal(err)
		}
		if got := e.access(t, s.Token).Account.College; got != "producers" {
			t.Fatalf("after the assignment: college %q", got)
		}
	}},
	{CmdPasswordReset, func(t *testing.T, e *env, _ Account) {
		a, s := e.member(t, "Pia")
		e.cached(t, s.Token)
		link, ok, err := e.svc.IssueReset(ctxT(t), a.Email)
		if err != nil || !ok {
			t.Fatalf("reset link: %v %v", ok, err)
		}
		if err := e.svc.ResetPassword(ctxT(t), link.Token, "quiet meadow compass 77"); err != nil {
			t.Fatal(err)
		}
		e.refused(t, s.Token)
	}},
}

// unobservableDrops are the commands that drop from the mirror although
// no credential the mirror can hold changes: the drop is a safety margin,
// and no test can fail without it.
var unobservableDrops = map[string]string{
	CmdReinstated:   "the suspension ended every session and token of the account: none is left to cache",
	CmdRetentionRun: "it purges deleted accounts (no credential left) and expired sessions (refused by the clock checks)",
}

// TestAccessSeesEveryChange: for each command that changes what Access
// returns, a credential authenticated (and kept in the mirror) before the
// command authenticates after it with the change, or not at all.
func TestAccessSeesEveryChange(t *testing.T) {
	t.Parallel()
	for _, c := range authCases {
		t.Run(c.cmd, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c.run(t, e, e.operator(t))
		})
	}
}

// TestAuthEffectsCoverEveryCommand: every command type this package
// declares says what it does to the mirror, and every drop is tested
// (authCases) or said to be unobservable.
func TestAuthEffectsCoverEveryCommand(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range pkgs["members"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, "Cmd") || i >= len(spec.Values) {
					continue
				}
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					declared = append(declared, v)
				}
			}
			return true
		})
	}
	if len(declared) < len(authEffects) {
		t.Fatalf("found %d command constants, fewer than the %d classified", len(declared), len(authEffects))
	}
	tested := map[string]bool{}
	for _, c := range authCases {
		tested[c.cmd] = true
	}
	for _, typ := range declared {
		effect, ok := authEffects[typ]
		switch {
		case !ok:
			t.Errorf("%s is not in authEffects: say what it changes in authentication", typ)
		case effect != authNone && !tested[typ] && unobservableDrops[typ] == "":
			t.Errorf("%s drops from the mirror but no authCase shows it", typ)
		case effect == authNone && tested[typ]:
			t.Errorf("%s has a case but drops nothing", typ)
		}
	}
}

// member signs up an account with a session.
func (e *env) member(t *testing.T, name string) (Account, Session) {
	t.Helper()
	email := strings.ToLower(name) + "@example.org"
	a := e.signUp(t, name, email)
	return a, e.login(t, email, goodPassword, "192.0.2.1")
}

// token mints an API token of every member scope for a.
func (e *env) token(t *testing.T, a Account) string {
	t.Helper()
	tok, err := e.svc.CreateToken(ctxT(t), a, TokenRequest{Name: "script", Scopes: []string{"read", "vote"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func (e *env) access(t *testing.T, secret string) Access {
	t.Helper()
	a, err := e.svc.Access(ctxT(t), secret)
	if err != nil {
		t.Fatalf("access: %v", err)
	}
	return a
}

// cached authenticates secret until the mirror holds it (a first use
// touches the credential, which drops it) and returns what Access said.
func (e *env) cached(t *testing.T, secret string) Access {
	t.Helper()
	for range 3 {
		a := e.access(t, secret)
		if _, ok := e.svc.auth.get(hashSecret(secret)); ok {
			return a
		}
	}
	t.Fatal("the mirror does not keep the credential")
	return Access{}
}

func (e *env) refused(t *testing.T, secret string) {
	t.Helper()
	_, err := e.svc.Access(ctxT(t), secret)
	wantCode(t, err, raftdata.CodeUnauthorized)
}

// applyAt applies a command stamped with the env's clock.
func (e *env) applyAt(t *testing.T, typ string, payload any) {
	t.Helper()
	if err := e.svc.apply(ctxT(t), typ, payload, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCluster3_FollowerRefusesARevokedTokenOnceApplied: a token kept in a
// follower's mirror is refused there as soon as the follower has applied
// its revocation, made through the other follower, while requests with
// that token keep loading and keeping it on the follower meanwhile.
func TestCluster3_FollowerRefusesARevokedTokenOnceApplied(t *testing.T) {
	t.Parallel()
	envs := cluster3(t)
	ctx := ctxT(t)
	leader, f1, f2 := envs[0], envs[1], envs[2]
	a, _ := leader.member(t, "Ann")
	tok := leader.token(t, a)
	f1.cached(t, tok)
	list, err := f2.svc.Tokens(ctx, a.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens: %v %v", list, err)
	}
	// Requests race the revocation: each miss loads from a state that
	// the revocation may be changing (the mirror must not keep it).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f1.svc.auth.forget(hashSecret(tok))
				f1.svc.Access(ctx, tok)
			}
		}()
	}
	err = f2.svc.RevokeToken(ctx, a, list[0].ID)
	revoked := f2.node.AppliedIndex() // f2 returns once it holds the revocation
	raftdatatest.WaitFor(t, 10*time.Second, func() error {
		if got := f1.node.AppliedIndex(); got < revoked {
			return fmt.Errorf("follower at %d, the revocation at %d", got, revoked)
		}
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	f1.refused(t, tok)
}

// TestCluster3_SuspensionRefusedAtOnceOnEveryNode: a member's session and
// token, kept in the mirror of every node, are refused on each node as
// soon as it has applied the suspension.
func TestCluster3_SuspensionRefusedAtOnceOnEveryNode(t *testing.T) {
	t.Parallel()
	envs := cluster3(t)
	op := envs[0].operator(t)
	a, s := envs[0].member(t, "Ann")
	tok := envs[0].token(t, a)
	for _, e := range envs {
		e.cached(t, s.Token)
		e.cached(t, tok)
	}
	if err := envs[1].svc.Suspend(ctxT(t), op, a.ID); err != nil {
		t.Fatal(err)
	}
	suspended := envs[1].node.AppliedIndex()
	for _, e := range envs {
		raftdatatest.WaitFor(t, 10*time.Second, func() error {
			if got := e.node.AppliedIndex(); got < suspended {
				return fmt.Errorf("node %s at %d, the suspension at %d", e.node.NodeID(), got, suspended)
			}
			return nil
		})
		e.refused(t, s.Token)
		e.refused(t, tok)
	}
}

// TestFullDiskRollbackEmptiesTheAuthMirror: when the FSM rolls a batch
// back (its state database is on a disk that fills), the authentication
// mirror is emptied, as every memory mirror (Registry.Mirror); once space
// returns the batch commits and credentials are kept again.
func TestFullDiskRollbackEmptiesTheAuthMirror(t *testing.T) {
	disk := smalldisk.Mount(t, "16m")
	parent := t.TempDir()
	if err := os.MkdirAll(filepath.Join(parent, "n1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(disk, "state.db"), filepath.Join(parent, "n1", "state.db")); err != nil {
		t.Fatal(err)
	}
	n := raftdatatest.Start(t, func(reg *raftdata.Registry) {
		register(reg)
		reg.Schema("test blobs", `CREATE TABLE IF NOT EXISTS test_blobs (id TEXT PRIMARY KEY, v BLOB)`)
		reg.Handle("test.grow", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
			_, err := tx.Exec(`INSERT INTO test_blobs(id, v) VALUES(?, zeroblob(?))`, cmd.ID, 256<<10)
			return nil, err
		})
	}, raftdatatest.Options{Dir: func(string) string { return parent }})
	e := attach(n, newClock())
	_, s := e.member(t, "Ann")
	e.cached(t, s.Token)

	filler := smalldisk.Fill(t, disk)
	grown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for {
			if _, err := n.Apply(ctx, "test.grow", nil); err != nil {
				grown <- err
				return
			}
			if n.Counters().RolledBackBatches > 0 {
				grown <- nil
				return
			}
		}
	}()
	raftdatatest.WaitFor(t, 30*time.Second, func() error {
		if n.Counters().RolledBackBatches == 0 {
			return fmt.Errorf("no batch rolled back yet (storage: %q)", n.Status().StorageError)
		}
		return nil
	})
	if got := e.svc.auth.size(); got != 0 {
		t.Fatalf("the mirror holds %d credentials after a rolled-back batch", got)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := <-grown; err != nil {
		t.Fatal(err)
	}
	e.cached(t, s.Token)
}
