package members

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// TestGuestEndsAtItsDate: an operator invites a guest for 3 days; the
// guest logs in with the password shown once, holds the guest role only
// and no charter is asked of them. After the end, the session and the
// password are refused at once, and the next retention run deletes the
// account from its end on (the identity's retention then runs from there).
func TestGuestEndsAtItsDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	if _, err := e.svc.InviteGuest(ctx, ann, GuestInput{Name: "Gil", Email: "gil@example.org", Days: 3}); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a member invites a guest: %v", err)
	}
	for _, bad := range []GuestInput{{Name: "Gil", Email: "gil@example.org", Days: 0}, {Name: "Gil", Email: "gil@example.org", Days: MaxGuestDays + 1}, {Name: "", Email: "gil@example.org", Days: 3}, {Name: "Gil", Email: "not an email", Days: 3}} {
		if _, err := e.svc.InviteGuest(ctx, op, bad); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
			t.Fatalf("invite %+v: %v", bad, err)
		}
	}
	g, err := e.svc.InviteGuest(ctx, op, GuestInput{Name: "Gil", Email: "Gil@Example.org ", Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Password) < 30 || g.Account.ExpiresAt == nil || !g.Account.ExpiresAt.Equal(e.clock.Now().AddDate(0, 0, 3)) {
		t.Fatalf("guest %+v", g)
	}
	if _, err := e.svc.InviteGuest(ctx, op, GuestInput{Name: "Gil", Email: "gil@example.org", Days: 0}); !hasReason(err, "guest_days", "days", "max", "365") {
		t.Fatalf("0 days: %#v", err)
	}
	// The operators' list shows when the guest's account ends.
	if page, err := e.svc.AccountsPage(ctx, op, "gil@", 1); err != nil || len(page.Accounts) != 1 || page.Accounts[0].ExpiresAt == nil {
		t.Fatalf("the guest in the operators' list: %+v %v", page.Accounts, err)
	}
	if _, err := e.svc.InviteGuest(ctx, op, GuestInput{Name: "Gil", Email: "gil@example.org", Days: 3}); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("the same email twice: %v", err)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts WHERE password_hash LIKE ?`, "%"+g.Password+"%"); n != 0 {
		t.Fatal("the guest's password is stored in clear")
	}
	s := e.login(t, "gil@example.org", g.Password, "192.0.2.1")
	acc, err := e.svc.Access(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if a := acc.Account; !a.Has(RoleGuest) || len(a.Roles) != 1 || a.Admitted || a.Contributes() || !a.CharterCurrent {
		t.Fatalf("guest account %+v", a)
	}
	if !s.ExpiresAt.Equal(*g.Account.ExpiresAt) && s.ExpiresAt.After(*g.Account.ExpiresAt) {
		t.Fatalf("a session outlives its guest: %v > %v", s.ExpiresAt, g.Account.ExpiresAt)
	}
	if err := e.svc.GrantRole(ctx, op, ann.ID, "guest"); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("granting the guest role: %v", err)
	}
	// A token minted for 90 days ends with the guest all the same.
	tok, err := e.svc.CreateToken(ctx, acc.Account, TokenRequest{Name: "reader"})
	if err != nil {
		t.Fatal(err)
	}

	// Past the end: refused at once, before any retention run.
	e.clock.Advance(3*24*time.Hour + time.Second)
	if _, err := e.svc.Access(ctx, s.Token); raftdata.ErrorCode(err) != raftdata.CodeUnauthorized {
		t.Fatalf("a session after the end: %v", err)
	}
	if _, err := e.svc.Access(ctx, tok.Token); raftdata.ErrorCode(err) != raftdata.CodeUnauthorized || !strings.Contains(err.Error(), "guest account ended") {
		t.Fatalf("a token after the end: %v", err)
	}
	if _, err := e.svc.Login(ctx, LoginInput{Email: "gil@example.org", Password: g.Password, Address: "192.0.2.1"}); err == nil {
		t.Fatal("the guest logs in after the end")
	}
	rep, err := e.svc.RunRetention(ctx)
	if err != nil || rep.GuestsEnded != 1 {
		t.Fatalf("retention: %+v %v", rep, err)
	}
	var status string
	var deleted, expires int64
	if err := e.node.DB().QueryRow(`SELECT status, deleted_at, expires_at FROM members_accounts WHERE id = ?`, g.Account.ID).Scan(&status, &deleted, &expires); err != nil {
		t.Fatal(err)
	}
	if status != "deleted" || deleted != expires {
		t.Fatalf("after the run: %s, deleted at %d, end %d", status, deleted, expires)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_sessions WHERE account_id = ?`, g.Account.ID); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	// Three months after the end, the identity is purged.
	e.clock.Advance(93 * 24 * time.Hour)
	if _, err := e.svc.RunRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts WHERE id = ? AND email IS NULL`, g.Account.ID); n != 1 {
		t.Fatal("the guest's identity outlived its retention")
	}
	if strings.Contains(e.events.data(), g.Password) || strings.Contains(e.events.data(), "gil@example.org") {
		t.Fatal("an event carries the guest's password or email")
	}
}

// TestOperatorAssignsColleges: under a rulebook with colleges, an operator
// assigns a member's college (journaled); not their own, not an unknown
// college, and no one else.
func TestOperatorAssignsColleges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.adopt(t, func(r *governance.Rulebook) {
		r.Colleges = []governance.College{{Name: "users", WeightPercent: 60 - 10}, {Name: "producers", WeightPercent: 50}}
	})
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	cases := []struct {
		name          string
		actor         Account
		target, value string
		code          raftdata.Code
	}{
		{"a member assigns no one", ann, ann.ID, "users", raftdata.CodeForbidden},
		{"not one's own", op, op.ID, "users", raftdata.CodeForbidden},
		{"an unknown college", op, ann.ID, "bakers", raftdata.CodeInvalid},
		{"an unknown account", op, "nobody", "users", raftdata.CodeNotFound},
		{"an operator assigns", op, ann.ID, "producers", ""},
		{"again changes nothing", op, ann.ID, "producers", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, e.svc.SetCollege(ctx, c.actor, c.target, c.value), c.code) })
	}
	if got := e.get(t, ann.ID); got.College != "producers" {
		t.Fatalf("college %q", got.College)
	}
	if err := e.svc.SetCollege(ctx, op, ann.ID, "bakers"); !hasReason(err, "unknown_college", "college", "college", "bakers") {
		t.Fatalf("an unknown college: %#v", err)
	}
	if page, err := e.svc.AccountsPage(ctx, op, "ann@", 1); err != nil || len(page.Accounts) != 1 || page.Accounts[0].College != "producers" {
		t.Fatalf("the college in the operators' list: %+v %v", page.Accounts, err)
	}
	j, err := e.svc.MembershipJournal(ctx, op, 1)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, en := range j.Entries {
		if en.Change == ChangeCollege && en.Account == ann.ID && en.College == "producers" && en.Actor == op.ID {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("journal: %+v", j.Entries)
	}
	raw, _ := json.Marshal(e.get(t, ann.ID))
	if !strings.Contains(string(raw), `"college":"producers"`) {
		t.Fatalf("the account does not show its college: %s", raw)
	}
}

// testdata/guest_invited_v1.json and college_set_v1.json are the payloads
// of member.guest_invited and member.college_set as their first version
// wrote them: every later version must still read them.
func TestGuestAndCollegePayloadsV1Golden(t *testing.T) {
	var g GuestInvited
	readGolden(t, "testdata/guest_invited_v1.json", &g)
	if g.ID == "" || g.Email != "gil@example.org" || g.Role != RoleGuest || g.Days != 3 || g.Actor == "" || g.PasswordHash == "" {
		t.Fatalf("guest %+v", g)
	}
	var c CollegeChange
	readGolden(t, "testdata/college_set_v1.json", &c)
	if c.Account == "" || c.College != "producers" || c.Actor == "" {
		t.Fatalf("college %+v", c)
	}
}

func readGolden(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// hasReason tells whether err is a refusal for reason about field, with
// the parameter param set to value.
func hasReason(err error, reason, field, param, value string) bool {
	var e *raftdata.Error
	return errors.As(err, &e) && e.Reason == reason && e.Field == field && e.Params[param] == value
}
