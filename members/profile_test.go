package members

import (
	"testing"

	"coop/raftdata"
)

func TestUpdateProfileAndPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	e.signUp(t, "Bob", "bob@example.org")

	_, err := e.svc.UpdateProfile(ctx, ann, "", "BOB@example.org", goodPassword)
	wantCode(t, err, raftdata.CodeConflict)
	_, err = e.svc.UpdateProfile(ctx, ann, "", "not an email", goodPassword)
	wantCode(t, err, raftdata.CodeInvalid)
	// A new address needs the current password; a new name does not.
	_, err = e.svc.UpdateProfile(ctx, ann, "", "ann.martin@example.org", "")
	wantCode(t, err, raftdata.CodeForbidden)
	_, err = e.svc.UpdateProfile(ctx, ann, "", "ann.martin@example.org", "wrong current one")
	wantCode(t, err, raftdata.CodeForbidden)
	if ann, err = e.svc.UpdateProfile(ctx, ann, "Annie", "", ""); err != nil || ann.Name != "Annie" {
		t.Fatalf("rename without the password: %+v %v", ann, err)
	}
	ann, err = e.svc.UpdateProfile(ctx, ann, "Ann Martin", "Ann.Martin@example.org", goodPassword)
	if err != nil || ann.Email != "ann.martin@example.org" || ann.Name != "Ann Martin" {
		t.Fatalf("%+v %v", ann, err)
	}
	s := e.login(t, "ann.martin@example.org", goodPassword, "")

	const next = "quiet river stones 7"
	wantCode(t, e.svc.ChangePassword(ctx, ann, "wrong current one", next), raftdata.CodeForbidden)
	wantCode(t, e.svc.ChangePassword(ctx, ann, goodPassword, "password1234"), raftdata.CodeInvalid)
	if err := e.svc.ChangePassword(ctx, ann, goodPassword, next); err != nil {
		t.Fatal(err)
	}
	// Sessions end with the old password; the new one logs in.
	_, err = e.svc.Authenticate(ctx, s.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	_, err = e.svc.Login(ctx, LoginInput{Email: "ann.martin@example.org", Password: goodPassword})
	wantCode(t, err, raftdata.CodeUnauthorized)
	e.login(t, "ann.martin@example.org", next, "")
}
