package members

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"coop/raftdata"
)

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ok := SignupInput{Name: "Ann Martin", Email: "ann@example.org", Password: goodPassword, AcceptCharter: true}
	with := func(f func(*SignupInput)) SignupInput { in := ok; f(&in); return in }
	cases := []struct {
		name   string
		in     SignupInput
		code   raftdata.Code // "" = accepted
		reason string
	}{
		{"valid", ok, "", ""},
		{"missing name", with(func(in *SignupInput) { in.Name = "  " }), raftdata.CodeInvalid, "name is required"},
		{"name too long", with(func(in *SignupInput) { in.Name = strings.Repeat("n", 101) }), raftdata.CodeInvalid, "too long"},
		{"missing email", with(func(in *SignupInput) { in.Email = "" }), raftdata.CodeInvalid, "email address is required"},
		{"bad email", with(func(in *SignupInput) { in.Email = "ann.example.org" }), raftdata.CodeInvalid, "exactly one @"},
		{"short password", with(func(in *SignupInput) { in.Password = "short pw" }), raftdata.CodeInvalid, "too short"},
		{"common password", with(func(in *SignupInput) { in.Password = "qwerty123456" }), raftdata.CodeInvalid, "most common"},
		{"weak password", with(func(in *SignupInput) { in.Password = "liverpool1234" }), raftdata.CodeInvalid, "digits or symbols added"},
		{"password holds the email", with(func(in *SignupInput) { in.Email = "annmartin@example.org"; in.Password = "annmartin rules!" }), raftdata.CodeInvalid, "name or email"},
		{"charter not accepted", with(func(in *SignupInput) { in.AcceptCharter = false }), raftdata.CodeInvalid, "charter"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if c.code == "" {
				in.Email = fmt.Sprintf("valid%d@example.org", i)
			}
			a, err := e.svc.SignUp(ctxT(t), in)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.ID == "" || !a.Has(RoleApplicant) || a.Admitted || !a.CharterCurrent {
					t.Fatalf("account %+v", a)
				}
				return
			}
			wantCode(t, err, c.code)
			if !strings.Contains(raftdata.ErrorMessage(err), c.reason) {
				t.Fatalf("message %q does not say %q", raftdata.ErrorMessage(err), c.reason)
			}
		})
	}
	// Nothing half-written: only the valid sign-up left an account.
	if n := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts`); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
}

func TestSignUpStoresApplicantAndCharter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.signUp(t, "  Ann Martin ", " Ann@Example.ORG ")
	got, err := e.svc.Get(ctxT(t), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Ann Martin" || got.Email != "ann@example.org" || got.Status != StatusActive ||
		len(got.Roles) != 1 || got.Roles[0] != RoleApplicant || got.Admitted || !got.CharterCurrent || !got.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("account %+v", got)
	}
	var version int
	var signedAt int64
	if err := e.node.DB().QueryRow(`SELECT version, signed_at FROM members_charter_signatures WHERE account_id = ? AND charter = 'member'`, a.ID).
		Scan(&version, &signedAt); err != nil {
		t.Fatal(err)
	}
	if version != CharterVersion(CharterMember) || signedAt != e.clock.Now().UnixNano() {
		t.Fatalf("signature v%d at %d", version, signedAt)
	}
	var hash string
	e.node.DB().QueryRow(`SELECT password_hash FROM members_accounts WHERE id = ?`, a.ID).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, goodPassword) {
		t.Fatalf("stored hash %q", hash)
	}
}

func TestSignUpDuplicateEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signUp(t, "Ann", "ann@example.org")
	_, err := e.svc.SignUp(ctxT(t), SignupInput{Name: "Other Ann", Email: " ANN@example.org", Password: goodPassword, AcceptCharter: true})
	wantCode(t, err, raftdata.CodeConflict)

	// Concurrent sign-ups with one email: the handler decides, one wins.
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.SignUp(ctxT(t), SignupInput{Name: fmt.Sprintf("Bob %d", i), Email: "bob@example.org", Password: goodPassword, AcceptCharter: true})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch raftdata.ErrorCode(err) {
		case "":
			wins++
		case raftdata.CodeConflict:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d sign-ups won, want 1", wins)
	}
	if c := count(t, e.node.Store, `SELECT COUNT(*) FROM members_accounts WHERE email = 'bob@example.org'`); c != 1 {
		t.Fatalf("%d accounts hold the email", c)
	}
}
