package members

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// identity reads what a node still holds of an account.
func identity(t testing.TB, s *raftdata.Store, id string) (name, email sql.NullString, found bool) {
	t.Helper()
	err := s.DB().QueryRow(`SELECT name, email FROM members_accounts WHERE id = ?`, id).Scan(&name, &email)
	if err == sql.ErrNoRows {
		return name, email, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return name, email, true
}

func TestDeletionThenRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	t0 := e.clock.Now()
	const annEmail, annName = "ann.marker@example.org", "Annick Markerface"
	ann := e.signUp(t, annName, annEmail)
	bob := e.signUp(t, "Bob", "bob@example.org")
	s := e.login(t, annEmail, goodPassword, "192.0.2.1")
	e.login(t, "bob@example.org", goodPassword, "192.0.2.2")

	// Deleted by the member: it stops working at once.
	e.clock.Advance(24 * time.Hour)
	deleted := e.clock.Now()
	wantCode(t, e.svc.DeleteAccount(ctx, bob, ann.ID), raftdata.CodeForbidden)
	if err := e.svc.DeleteAccount(ctx, ann, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Authenticate(ctx, s.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	_, err = e.svc.Get(ctx, ann.ID)
	wantCode(t, err, raftdata.CodeNotFound)
	wantCode(t, e.svc.DeleteAccount(ctx, ann, ann.ID), raftdata.CodeNotFound)
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts WHERE id = ? AND password_hash IS NULL AND status = 'deleted'`, ann.ID); n != 1 {
		t.Fatal("the password hash survived the deletion")
	}

	run := func(at time.Time) RetentionReport {
		t.Helper()
		e.clock.Set(at)
		rep, err := e.svc.RunRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	signatures := func() int {
		return count(t, e.node.Store, `SELECT COUNT(*) FROM members_charter_signatures WHERE account_id = ?`, ann.ID)
	}

	// Identity: kept 3 months after deletion, not a second less.
	run(deleted.AddDate(0, 3, 0).Add(-time.Second))
	if name, _, _ := identity(t, e.node.Store, ann.ID); name.String != annName {
		t.Fatalf("identity purged early: %v", name)
	}
	rep := run(deleted.AddDate(0, 3, 0).Add(time.Second))
	name, email, found := identity(t, e.node.Store, ann.ID)
	if !found || name.Valid || email.Valid || rep.IdentitiesPurged != 1 {
		t.Fatalf("identity not purged: %v %v %v %+v", found, name, email, rep)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_roles WHERE account_id = ?`, ann.ID); n != 0 {
		t.Fatal("roles kept after the identity purge")
	}
	if signatures() != 1 {
		t.Fatal("charter signature purged with the identity")
	}

	// Journal entries: one year after they were written, for everyone.
	run(t0.AddDate(1, 0, 0).Add(-time.Second))
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_journal WHERE account_id = ?`, bob.ID); n != 1 {
		t.Fatalf("bob's journal purged early (%d)", n)
	}
	rep = run(t0.AddDate(1, 0, 0).Add(time.Second))
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_journal`); n != 0 || rep.JournalPurged != 2 {
		t.Fatalf("journal left %d entries, report %+v", n, rep)
	}

	// Charter signature: one year after deletion; then nothing remains.
	run(deleted.AddDate(0, 12, 0).Add(-time.Second))
	if signatures() != 1 {
		t.Fatal("charter signature purged early")
	}
	rep = run(deleted.AddDate(0, 12, 0).Add(time.Second))
	if _, _, found := identity(t, e.node.Store, ann.ID); found || signatures() != 0 || rep.AccountsRemoved != 1 {
		t.Fatalf("account still there: %v, %d signatures, %+v", found, signatures(), rep)
	}
	if got, err := e.svc.Get(ctx, bob.ID); err != nil || got.Name != "Bob" {
		t.Fatalf("bob touched by ann's purge: %+v %v", got, err)
	}

	// Erasure is real: after the compaction the purge asked for, the
	// identity is in no file of the node (database, WAL, log, snapshot).
	raftdatatest.WaitFor(t, 20*time.Second, func() error {
		for _, marker := range []string{annEmail, annName} {
			if files := raftdatatest.FilesHolding(t, []*raftdatatest.Node{e.node}, marker); len(files) > 0 {
				return fmt.Errorf("%q still in %v", marker, files)
			}
		}
		return nil
	})
}

func TestRetentionUsesGivenPeriods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Retention: Retention{IdentityMonths: 0, CharterMonths: 1, JournalMonths: 1}})
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	if err := e.svc.DeleteAccount(ctxT(t), op, ann.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.RunRetention(ctxT(t))
	if err != nil || rep.IdentitiesPurged != 1 || rep.SignaturesPurged != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	rep, err = e.svc.RunRetention(ctxT(t))
	if err != nil || rep.SignaturesPurged != 1 || rep.AccountsRemoved != 1 || rep.JournalPurged != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	// Bad periods are refused before anything is applied.
	bad := New(e.node.Store, Options{Now: e.clock.Now, Retention: Retention{IdentityMonths: -1, JournalMonths: 1}})
	_, err = bad.RunRetention(ctxT(t))
	wantCode(t, err, raftdata.CodeInvalid)
}

func TestLastOperatorCannotBeDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operator(t)
	wantCode(t, e.svc.DeleteAccount(ctxT(t), op, op.ID), raftdata.CodeConflict)
}
