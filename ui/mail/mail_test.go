package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coop/ui/mail"
	"coop/ui/mail/mailtest"
)

// A message reaches a real SMTP server, its French subject and body
// intact; the URL's password shows nowhere; bad URLs and addresses are
// refused with a sentence.
func TestSender_SendsToARealServer(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := "Bonjour Zoé,\n\nSuivez ce lien : http://127.0.0.1/reset?token=coop_r_abc\n" + strings.Repeat("é", 100) + "\n"
	if err := s.Send(ctx, mail.Message{To: "zoe@coop.test", Subject: "Réinitialiser votre mot de passe", Body: body}); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "zoe@coop.test", 1)
	if got.From != "coop@coop.test" || got.Subject != "Réinitialiser votre mot de passe" || got.Body != body {
		t.Fatalf("received %+v", got)
	}

	secret, err := mail.Parse("smtps://coop:hunter2-secret@mail.example.org?from=coop@example.org")
	if err != nil || strings.Contains(secret.String(), "hunter2") {
		t.Fatalf("%v %q", err, secret)
	}
	for _, bad := range []string{"http://mail.example.org", "smtp://", "smtp://h?from=nobody", "::"} {
		if _, err := mail.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := s.Send(ctx, mail.Message{To: "a@b.test\r\nBcc: x@y.test", Subject: "s", Body: "b"}); err == nil {
		t.Error("a header injection in To was sent")
	}
	if err := s.Send(ctx, mail.Message{To: "a@b.test", Subject: "s\r\nBcc: x@y.test", Body: "b"}); err == nil {
		t.Error("a header injection in the subject was sent")
	}
}
