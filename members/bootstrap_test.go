package members

import (
	"testing"

	"coop/raftdata"
)

func TestBootstrapOperator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	_, err := e.svc.BootstrapOperator(ctx, "root@coop.example", "password")
	wantCode(t, err, raftdata.CodeInvalid)

	pw := GeneratePassword()
	created, err := e.svc.BootstrapOperator(ctx, " Root@Coop.example", pw)
	if err != nil || !created {
		t.Fatalf("first bootstrap: %v %v", created, err)
	}
	for _, email := range []string{"root@coop.example", "other@coop.example"} {
		created, err := e.svc.BootstrapOperator(ctx, email, GeneratePassword())
		if err != nil || created {
			t.Fatalf("second bootstrap with %s: %v %v", email, created, err)
		}
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts`); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	s := e.login(t, "root@coop.example", pw, "127.0.0.1")
	op, err := e.svc.Authenticate(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Roles) != 1 || op.Roles[0] != RoleOperator || !op.CharterCurrent {
		t.Fatalf("operator %+v: operator role only, operator charter signed", op)
	}
	var charter string
	e.node.DB().QueryRow(`SELECT charter FROM members_charter_signatures WHERE account_id = ?`, op.ID).Scan(&charter)
	if charter != string(CharterOperator) {
		t.Fatalf("signed %q", charter)
	}
	// The handler decides too: a bootstrap racing past the local check
	// changes nothing.
	p := SignedUp{ID: raftdata.NewID(), Name: "X", Email: "x@coop.example", PasswordHash: "h", Role: RoleOperator, Charter: CharterOperator, CharterVersion: 1, Lang: "fr"}
	var res struct{ Created bool }
	if err := e.svc.apply(ctx, CmdOperatorBootstrapped, p, &res); err != nil || res.Created {
		t.Fatalf("raced bootstrap: %+v %v", res, err)
	}
}

func TestCharters(t *testing.T) {
	for _, kind := range []CharterKind{CharterMember, CharterOperator} {
		if CharterVersion(kind) < 1 {
			t.Fatalf("no %s charter", kind)
		}
		for _, lang := range []string{"fr", "en"} {
			c, err := CurrentCharter(kind, lang)
			if err != nil || c.Lang != lang || len(c.Text) < 500 {
				t.Fatalf("%s %s: %+v %v", kind, lang, c.Lang, err)
			}
		}
		if c, _ := CurrentCharter(kind, "de"); c.Lang != DefaultLang {
			t.Fatalf("fallback %q", c.Lang)
		}
	}
	if CharterVersion("nope") != 0 {
		t.Fatal("unknown kind has a version")
	}
}
