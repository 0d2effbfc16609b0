package members

import (
	"strings"
	"testing"
	"time"
)

func TestExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	op := e.operator(t)
	ann := e.signUp(t, "Ann Martin", "ann@example.org")
	if err := e.svc.GrantRole(ctx, op, ann.ID, "researcher"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	s := e.login(t, "ann@example.org", goodPassword, "192.0.2.1")
	if _, err := e.svc.Login(ctx, LoginInput{Email: "ann@example.org", Password: "not the password", Address: "192.0.2.66"}); err == nil {
		t.Fatal("wrong password accepted")
	}
	tok, err := e.svc.CreateToken(ctx, ann, TokenRequest{Name: "notebook"})
	if err != nil {
		t.Fatal(err)
	}

	x, err := e.svc.Export(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Account.ID != ann.ID || x.Account.Name != "Ann Martin" || x.Account.Email != "ann@example.org" || x.Account.Status != StatusActive {
		t.Fatalf("account %+v", x.Account)
	}
	if len(x.Roles) != 2 || x.Roles[0].Role != RoleApplicant || x.Roles[0].GrantedBy != "signup" || x.Roles[1].Role != RoleResearcher || x.Roles[1].GrantedBy != op.ID {
		t.Fatalf("roles %+v", x.Roles)
	}
	if len(x.CharterSignatures) != 1 || x.CharterSignatures[0].Charter != CharterMember || x.CharterSignatures[0].Lang != "en" {
		t.Fatalf("signatures %+v", x.CharterSignatures)
	}
	if len(x.Journal) != 2 || x.Journal[0].Outcome != OutcomeWrongPassword || x.Journal[0].Address != "192.0.2.66" || x.Journal[1].Outcome != OutcomeSuccess {
		t.Fatalf("journal %+v", x.Journal)
	}
	if len(x.Sessions) != 1 || len(x.Tokens) != 1 || x.Tokens[0].Name != "notebook" {
		t.Fatalf("sessions %+v tokens %+v", x.Sessions, x.Tokens)
	}
	if x.Retention != DefaultRetention() {
		t.Fatalf("retention %+v", x.Retention)
	}

	// No secret in the export, nor in any event published so far.
	var hash string
	e.node.DB().QueryRow(`SELECT password_hash FROM members_accounts WHERE id = ?`, ann.ID).Scan(&hash)
	secrets := []string{goodPassword, "not the password", hash, "$argon2id", s.Token, hashSecret(s.Token), tok.Token, hashSecret(tok.Token)}
	exported := asJSON(t, x)
	for _, secret := range secrets {
		if strings.Contains(exported, secret) {
			t.Errorf("the export holds a secret %.20q", secret)
		}
	}
	published := e.events.data()
	for _, secret := range append(secrets, "ann@example.org", "Ann Martin", "root@coop.example", "192.0.2") {
		if strings.Contains(published, secret) {
			t.Errorf("an event holds %.20q", secret)
		}
	}
	for _, want := range []string{"coop.member.signed_up", "coop.member.session_created", "coop.member.login_failed", "coop.member.token_created", "coop.member.role_granted"} {
		if !strings.Contains(published, want) {
			t.Errorf("no %s event in %v", want, e.events.subjects())
		}
	}
}
