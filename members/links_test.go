package members

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"coop/raftdata"
)

// A reset link sets a new password once, ends the sessions and proves the
// mailbox; an unknown address gets the same nothing as a known one that
// holds enough links; an expired link does nothing.
func TestLinks_PasswordReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	s := e.login(t, "ann@example.org", goodPassword, "")

	if _, ok, err := e.svc.IssueReset(ctx, "nobody@example.org"); ok || err != nil {
		t.Fatalf("unknown address: ok=%v err=%v", ok, err)
	}
	if _, ok, err := e.svc.IssueReset(ctx, "not an address"); ok || err != nil {
		t.Fatalf("not an address: ok=%v err=%v", ok, err)
	}
	link, ok, err := e.svc.IssueReset(ctx, " ANN@example.org ")
	if err != nil || !ok || !strings.HasPrefix(link.Token, ResetPrefix) || link.Account.ID != ann.ID {
		t.Fatalf("reset link: %+v %v %v", link, ok, err)
	}
	var stored int
	e.node.Store.DB().QueryRow(`SELECT COUNT(*) FROM members_links WHERE hash = ? AND hash <> ?`, hashSecret(link.Token), link.Token).Scan(&stored)
	if stored != 1 {
		t.Fatal("the link is not stored as its hash")
	}
	if v, _ := e.svc.EmailVerified(ctx, ann); v {
		t.Fatal("verified before any link was followed")
	}

	const next = "quiet river stones 7"
	wantCode(t, e.svc.ResetPassword(ctx, link.Token, "password1234"), raftdata.CodeInvalid)
	wantCode(t, e.svc.ResetPassword(ctx, ResetPrefix+"forged", next), raftdata.CodeInvalid)
	if err := e.svc.ResetPassword(ctx, link.Token, next); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, s.Token)
	wantCode(t, err, raftdata.CodeUnauthorized)
	e.login(t, "ann@example.org", next, "")
	wantCode(t, e.svc.ResetPassword(ctx, link.Token, "another fine passphrase 9"), raftdata.CodeInvalid)
	if v, _ := e.svc.EmailVerified(ctx, ann); !v {
		t.Fatal("a reset proves the mailbox")
	}

	// At most maxLiveLinks live links; then nothing new, the same answer.
	for i := range maxLiveLinks + 1 {
		_, ok, err := e.svc.IssueReset(ctx, "ann@example.org")
		if err != nil || ok != (i < maxLiveLinks) {
			t.Fatalf("reset %d: ok=%v err=%v", i+1, ok, err)
		}
	}
	e.clock.Advance(ResetTTL + 1)
	link, ok, err = e.svc.IssueReset(ctx, "ann@example.org")
	if err != nil || !ok {
		t.Fatalf("after the others expired: %v %v", ok, err)
	}
	e.clock.Advance(ResetTTL + 1)
	wantCode(t, e.svc.ResetPassword(ctx, link.Token, "another fine passphrase 9"), raftdata.CodeInvalid) // expired
}

// A verification link proves the current address only: a new address is
// unverified until its own link is followed.
func TestLinks_EmailVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	link, err := e.svc.IssueVerification(ctx, ann)
	if err != nil || !strings.HasPrefix(link.Token, VerifyPrefix) {
		t.Fatal(link, err)
	}
	wantCode(t, e.svc.ResetPassword(ctx, link.Token, "quiet river stones 7"), raftdata.CodeInvalid) // not a reset link
	if err := e.svc.VerifyEmail(ctx, link.Token); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.VerifyEmail(ctx, link.Token), raftdata.CodeInvalid)
	if v, _ := e.svc.EmailVerified(ctx, ann); !v {
		t.Fatal("not verified")
	}
	stale, err := e.svc.IssueVerification(ctx, ann)
	if err != nil {
		t.Fatal(err)
	}
	ann, err = e.svc.UpdateProfile(ctx, ann, "", "ann@example.net", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.svc.EmailVerified(ctx, ann); v {
		t.Fatal("a new address counts as verified")
	}
	wantCode(t, e.svc.VerifyEmail(ctx, stale.Token), raftdata.CodeInvalid) // sent to the old address
}

// An operator's reset link, for an account no email reaches: operators
// only, an active account only; the account's links go with its erasure.
func TestLinks_OperatorResetLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann", "ann@example.org")
	_, err := e.svc.IssueResetFor(ctx, ann, ann.ID)
	wantCode(t, err, raftdata.CodeForbidden)
	_, err = e.svc.IssueResetFor(ctx, op, "nobody")
	wantCode(t, err, raftdata.CodeNotFound)
	link, err := e.svc.IssueResetFor(ctx, op, ann.ID)
	if err != nil || !link.ExpiresAt.Equal(e.clock.Now().Add(OperatorResetTTL)) {
		t.Fatal(link, err)
	}
	if err := e.svc.Suspend(ctx, op, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.IssueResetFor(ctx, op, ann.ID)
	wantCode(t, err, raftdata.CodeConflict)
	wantCode(t, e.svc.ResetPassword(ctx, link.Token, "quiet river stones 7"), raftdata.CodeInvalid) // suspended
	if err := e.svc.DeleteAccount(ctx, op, ann.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	e.node.Store.DB().QueryRow(`SELECT COUNT(*) FROM members_links WHERE account_id = ?`, ann.ID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d links left after the erasure", left)
	}
}

// testdata/*_v1.json are the payloads of the one-time link commands as
// their first version wrote them to the log: every later version must
// still read them.
func TestLinks_PayloadsV1Golden(t *testing.T) {
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	read := func(name string, v any) {
		t.Helper()
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var issued LinkIssued
	read("link_issued_v1.json", &issued)
	if issued.Hash != hash || issued.Purpose != LinkReset || issued.Email != "ann@example.org" || issued.ExpiresAt != 1768474800000000000 {
		t.Errorf("link_issued: %+v", issued)
	}
	var reset PasswordReset
	read("password_reset_v1.json", &reset)
	if _, err := parsePHC(reset.PasswordHash); reset.Hash != hash || err != nil {
		t.Errorf("password_reset: %+v %v", reset, err)
	}
	var verified EmailVerified
	read("email_verified_v1.json", &verified)
	if verified.Hash != hash {
		t.Errorf("email_verified: %+v", verified)
	}
}
