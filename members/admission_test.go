package members

import (
	"testing"

	"coop/governance"
	"coop/raftdata"
)

// adopt makes rules the rulebook of e's cooperative.
func (e *env) adopt(t *testing.T, change func(*governance.Rulebook)) {
	t.Helper()
	r := governance.Default().Clone()
	change(&r)
	if err := governance.New(e.node.Store).Bootstrap(ctxT(t), r); err != nil {
		t.Fatal(err)
	}
}

func (e *env) get(t *testing.T, id string) Account {
	t.Helper()
	a, err := e.svc.Get(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAdmissionByOperator: under the default rulebook a sign-up is an
// applicant until an operator admits them; nobody else admits, nobody
// admits themselves, and the journal says who admitted whom.
func TestAdmissionByOperator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	bob := e.signUp(t, "Bob", "bob@example.org")
	if ann.Admitted || !ann.Has(RoleApplicant) || ann.Has(RoleMember) {
		t.Fatalf("a sign-up: %+v", ann)
	}
	cases := []struct {
		name   string
		actor  Account
		target string
		code   raftdata.Code
	}{
		{"an applicant admits nobody", bob, ann.ID, raftdata.CodeForbidden},
		{"no one admits themselves", op, op.ID, raftdata.CodeForbidden},
		{"an unknown account", op, "nobody", raftdata.CodeNotFound},
		{"an operator admits", op, ann.ID, ""},
		{"admitting twice changes nothing", op, ann.ID, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, e.svc.Admit(ctx, c.actor, c.target), c.code) })
	}
	if got := e.get(t, ann.ID); !got.Admitted || !got.Has(RoleMember) || got.Has(RoleApplicant) || !got.CharterCurrent {
		t.Fatalf("after admission: %+v", got)
	}
	// A second operator who never applied cannot be admitted.
	if err := e.svc.GrantRole(ctx, op, bob.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.Admit(ctx, op, op.ID), raftdata.CodeForbidden)
	// Sponsorship is not how this cooperative admits.
	_, err := e.svc.Sponsor(ctx, e.get(t, ann.ID), bob.ID)
	wantCode(t, err, raftdata.CodeConflict)

	_, err = e.svc.MembershipJournal(ctx, e.signUp(t, "Cal", "cal@example.org"), 1)
	wantCode(t, err, raftdata.CodeForbidden)
	j, err := e.svc.MembershipJournal(ctx, e.get(t, ann.ID), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ change, account, actor string }{
		{ChangeRoleGranted, bob.ID, op.ID}, {ChangeAdmitted, ann.ID, op.ID}, {ChangeRoleGranted, op.ID, ""},
	}
	if len(j.Entries) != len(want) {
		t.Fatalf("journal %+v", j.Entries)
	}
	for i, w := range want {
		if e := j.Entries[i]; e.Change != w.change || e.Account != w.account || e.Actor != w.actor {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	if j.Entries[1].AccountName != "Ann" || j.Entries[1].ActorName != BootstrapOperatorName || j.Entries[1].Via != governance.AdmitByOperator {
		t.Errorf("admission entry: %+v", j.Entries[1])
	}
	if len(j.Months) != 1 || j.Months[0] != (MonthCount{Month: "2026-01", Admitted: 1, RoleChanges: 2}) {
		t.Errorf("months: %+v", j.Months)
	}
}

// TestAdmissionOpen: under open admission a sign-up votes at once, and
// the journal counts it.
func TestAdmissionOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.adopt(t, func(r *governance.Rulebook) { r.Membership.Admission = governance.AdmitOpen })
	ann := e.signUp(t, "Ann", "ann@example.org")
	if got := e.get(t, ann.ID); !ann.Admitted || !got.Admitted || got.Has(RoleApplicant) {
		t.Fatalf("sign-up under open admission: %+v / %+v", ann, got)
	}
	months, err := e.svc.MonthlyCounts(ctxT(t))
	if err != nil || len(months) != 1 || months[0].Admitted != 1 {
		t.Fatalf("months %+v, %v", months, err)
	}
}

// TestAdmissionBySponsors: with two sponsors required, an operator admits
// the founders only; one sponsor is not enough, the same sponsor twice
// counts once, an applicant sponsors no one, and a sponsor erased before
// the admission no longer counts.
func TestAdmissionBySponsors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.adopt(t, func(r *governance.Rulebook) {
		r.Membership = governance.Membership{Admission: governance.AdmitBySponsors, SponsorsRequired: 2}
	})
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	bob := e.signUp(t, "Bob", "bob@example.org")
	cal := e.signUp(t, "Cal", "cal@example.org")
	dee := e.signUp(t, "Dee", "dee@example.org")
	for _, a := range []Account{ann, bob} {
		if err := e.svc.Admit(ctx, op, a.ID); err != nil {
			t.Fatalf("founder %s: %v", a.Name, err)
		}
	}
	wantCode(t, e.svc.Admit(ctx, op, cal.ID), raftdata.CodeConflict)
	ann, bob = e.get(t, ann.ID), e.get(t, bob.ID)

	for range 2 {
		got, err := e.svc.Sponsor(ctx, ann, cal.ID)
		if err != nil || got != (Sponsorship{Sponsors: 1, Required: 2}) {
			t.Fatalf("first sponsor: %+v, %v", got, err)
		}
	}
	if e.get(t, cal.ID).Admitted {
		t.Fatal("one sponsor admitted Cal")
	}
	_, err := e.svc.Sponsor(ctx, cal, dee.ID)
	wantCode(t, err, raftdata.CodeForbidden)
	_, err = e.svc.Sponsor(ctx, cal, cal.ID)
	wantCode(t, err, raftdata.CodeForbidden)

	calAs := func(viewer Account) Applicant {
		t.Helper()
		list, err := e.svc.Applicants(ctx, viewer)
		if err != nil || len(list) != 2 {
			t.Fatalf("applicants as %s: %+v, %v", viewer.Name, list, err)
		}
		for _, a := range list {
			if a.ID == cal.ID {
				return a
			}
		}
		t.Fatalf("Cal is not listed to %s: %+v", viewer.Name, list)
		return Applicant{}
	}
	if a := calAs(bob); a.Sponsors != 1 || a.SponsoredByYou || a.Email != "" || a.Name != "Cal" {
		t.Fatalf("Cal as Bob sees it: %+v", a)
	}
	if a := calAs(ann); !a.SponsoredByYou {
		t.Fatalf("Cal as Ann sees it: %+v", a)
	}
	if a := calAs(op); a.Email != "cal@example.org" {
		t.Fatalf("Cal as the operator sees it: %+v", a)
	}
	_, err = e.svc.Applicants(ctx, cal)
	wantCode(t, err, raftdata.CodeForbidden)

	// Dee gets Ann's word, then Ann leaves: Bob's alone is not enough.
	if _, err := e.svc.Sponsor(ctx, ann, dee.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Sponsor(ctx, bob, cal.ID)
	if err != nil || !got.Admitted || !e.get(t, cal.ID).Admitted {
		t.Fatalf("second sponsor: %+v, %v", got, err)
	}
	if err := e.svc.DeleteAccount(ctx, ann, ann.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Sponsor(ctx, bob, dee.ID); err != nil || got.Admitted || got.Sponsors != 1 {
		t.Fatalf("after the first sponsor left: %+v, %v", got, err)
	}
}

// TestSeparationOfDuties: no account holds operator and researcher
// together, whichever comes first, and the handler refuses it even when
// the service's check is skipped.
func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	rex := e.signUp(t, "Rex", "rex@example.org")
	ops := e.signUp(t, "Ops", "ops@example.org")
	for _, step := range []struct {
		account, role string
		code          raftdata.Code
	}{
		{rex.ID, "researcher", ""},
		{ops.ID, "operator", ""},
		{rex.ID, "operator", raftdata.CodeConflict},
		{ops.ID, "researcher", raftdata.CodeConflict},
		{op.ID, "researcher", raftdata.CodeForbidden},
	} {
		wantCode(t, e.svc.GrantRole(ctx, op, step.account, step.role), step.code)
	}
	// Straight to the log, as a node that skipped the service would.
	_, err := e.node.Store.Apply(ctx, CmdRoleGranted, RoleChange{Account: op.ID, Role: RoleResearcher, Actor: op.ID})
	wantCode(t, err, raftdata.CodeForbidden)
	_, err = e.node.Store.Apply(ctx, CmdAdmitted, Admission{Account: ops.ID, Actor: ops.ID})
	wantCode(t, err, raftdata.CodeForbidden)
	if got := e.get(t, op.ID); got.Has(RoleResearcher) {
		t.Fatalf("the operator became a researcher: %+v", got)
	}
}

// TestLegacySignUpStaysAMember: a sign-up written to the log before
// admission existed carries the member role; replayed, it is a member.
func TestLegacySignUpStaysAMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hash, err := HashPassword(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	old := SignedUp{ID: "legacy", Name: "Old", Email: "old@example.org", PasswordHash: hash, Role: RoleMember,
		Charter: CharterMember, CharterVersion: CharterVersion(CharterMember), Lang: "fr"}
	if _, err := e.node.Store.Apply(ctxT(t), CmdSignedUp, old); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, "legacy"); !got.Admitted || got.Has(RoleApplicant) {
		t.Fatalf("legacy sign-up: %+v", got)
	}
}
