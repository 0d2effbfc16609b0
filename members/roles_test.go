package members

import (
	"testing"

	"coop/raftdata"
)

func TestRolesAndSuspension(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	bob := e.signUp(t, "Bob", "bob@example.org")

	cases := []struct {
		name    string
		actor   Account
		target  string
		role    string
		code    raftdata.Code
		grant   bool
		wantHas bool
	}{
		{"operator grants researcher", op, ann.ID, "researcher", "", true, true},
		{"granting twice changes nothing", op, ann.ID, "Researcher", "", true, true},
		{"member cannot grant", bob, bob.ID, "operator", raftdata.CodeForbidden, true, false},
		{"unknown role", op, ann.ID, "admin", raftdata.CodeInvalid, true, false},
		{"member role is not granted", op, ann.ID, "member", raftdata.CodeInvalid, true, false},
		{"unknown account", op, "nobody", "researcher", raftdata.CodeNotFound, true, false},
		{"operator revokes researcher", op, ann.ID, "researcher", "", false, false},
		{"no one revokes their own role", op, op.ID, "operator", raftdata.CodeForbidden, false, true},
		{"no one grants themselves a role", op, op.ID, "researcher", raftdata.CodeForbidden, true, false},
		{"applicant role is not granted", op, ann.ID, "applicant", raftdata.CodeInvalid, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.grant {
				err = e.svc.GrantRole(ctx, c.actor, c.target, c.role)
			} else {
				err = e.svc.RevokeRole(ctx, c.actor, c.target, c.role)
			}
			wantCode(t, err, c.code)
			if c.code == raftdata.CodeNotFound || c.code == raftdata.CodeInvalid {
				return
			}
			got, err := e.svc.Get(ctx, c.target)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := ParseRole(c.role)
			if got.Has(r) != c.wantHas {
				t.Fatalf("roles %v", got.Roles)
			}
		})
	}

	// A second operator; an operator's stale Account is re-checked by the
	// handler: after losing the role, bob cannot act as operator.
	if err := e.svc.GrantRole(ctx, op, bob.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	bobNow, _ := e.svc.Get(ctx, bob.ID)
	if !bobNow.Has(RoleOperator) || bobNow.CharterCurrent {
		t.Fatalf("new operator %+v should have to sign the operator charter", bobNow)
	}
	if err := e.svc.SignCharter(ctx, bobNow, CharterOperator, "fr"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.svc.CharterCurrent(ctx, bob.ID); !ok {
		t.Fatal("charter not current after signing")
	}
	if err := e.svc.RevokeRole(ctx, op, bob.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.GrantRole(ctx, bobNow, ann.ID, "researcher"), raftdata.CodeForbidden)

	// Suspension: sessions and tokens stop at once; login is refused.
	s := e.login(t, "ann@example.org", goodPassword, "")
	tok, err := e.svc.CreateToken(ctx, ann, TokenRequest{Name: "script"})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.Suspend(ctx, ann, bob.ID), raftdata.CodeForbidden)
	wantCode(t, e.svc.Suspend(ctx, op, op.ID), raftdata.CodeConflict)
	if err := e.svc.Suspend(ctx, op, ann.ID); err != nil {
		t.Fatal(err)
	}
	for _, cred := range []string{s.Token, tok.Token} {
		_, err := e.svc.Authenticate(ctx, cred)
		wantCode(t, err, raftdata.CodeUnauthorized)
	}
	got, _ := e.svc.Get(ctx, ann.ID)
	if got.Status != StatusSuspended || got.Require() == nil || got.Require(RoleMember) == nil {
		t.Fatalf("suspended account %+v passes Require", got)
	}
	if err := e.svc.Reinstate(ctx, op, ann.ID); err != nil {
		t.Fatal(err)
	}
	s = e.login(t, "ann@example.org", goodPassword, "")
	if a, err := e.svc.Authenticate(ctx, s.Token); err != nil || a.Status != StatusActive {
		t.Fatalf("after reinstatement: %+v %v", a, err)
	}
}

func TestRequire(t *testing.T) {
	member := Account{ID: "a", Roles: []Role{RoleMember}, Status: StatusActive}
	wantCode(t, member.Require(), "")
	wantCode(t, member.Require(RoleMember), "")
	wantCode(t, member.Require(RoleResearcher, RoleMember), "")
	wantCode(t, member.Require(RoleOperator), raftdata.CodeForbidden)
	wantCode(t, Account{}.Require(), raftdata.CodeUnauthorized)
	member.Status = StatusSuspended
	wantCode(t, member.Require(RoleMember), raftdata.CodeForbidden)
}
