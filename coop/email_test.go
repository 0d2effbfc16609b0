package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"coop/ui/mail/mailtest"
)

// Three `coop serve` nodes send email through one real SMTP server: a
// member asks a follower for a reset link, the link (built on
// --public-url, never on the request's Host) leaves by email and works on
// another node, once; an unknown address gets the same answer and no
// email; nothing secret reaches the nodes' logs.
func TestCluster3_PasswordResetByEmailAcrossNodes(t *testing.T) {
	srv := mailtest.Start(t)
	logs := &syncBuffer{}
	var nodes []*Node
	for i, id := range []string{"n1", "n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.SMTP, cfg.PublicURL = srv.URL(), "https://coop.example.org"
		if i > 0 {
			cfg.Join = nodes[0].URL()
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		n := NewNode(cfg, logs)
		if err := n.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		waitReady(t, n)
		nodes = append(nodes, n)
	}
	post := func(n *Node, path, body string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", n.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const password = "plum orchard lantern 42"
	if code, body := post(nodes[0], "/api/v1/signup", `{"name":"Zoé","email":"zoe@coop.test","password":"`+password+`","accept_charter":true,"lang":"fr"}`); code != 201 || !strings.Contains(body, `"token":"coop_s_`) {
		t.Fatalf("sign-up: %d %s", code, body)
	}
	verify := srv.WaitFor(t, "zoe@coop.test", 1)
	if !strings.Contains(verify.Body, "https://coop.example.org/email/verify?token=coop_v_") {
		t.Fatalf("verification email: %q", verify.Body)
	}

	known, kbody := post(nodes[1], "/api/v1/password/reset", `{"email":"zoe@coop.test"}`, "Host", "evil.example")
	unknown, ubody := post(nodes[1], "/api/v1/password/reset", `{"email":"nobody@coop.test"}`)
	if known != 202 || unknown != 202 || kbody != ubody {
		t.Fatalf("answers: %d %q / %d %q", known, kbody, unknown, ubody)
	}
	reset := srv.WaitFor(t, "zoe@coop.test", 2)
	i := strings.Index(reset.Body, "https://coop.example.org/password/reset?token=")
	if i < 0 || strings.Contains(reset.Body, "evil.example") {
		t.Fatalf("reset email: %q", reset.Body)
	}
	u, err := url.Parse(strings.Fields(reset.Body[i:])[0])
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("token")
	confirm := `{"token":"` + token + `","password":"quiet river stones 7"}`
	if code, body := post(nodes[2], "/api/v1/password/reset/confirm", confirm); code != 200 {
		t.Fatalf("reset on n3: %d %s", code, body)
	}
	if code, _ := post(nodes[0], "/api/v1/password/reset/confirm", confirm); code != 400 {
		t.Fatalf("the same link again, on n1: %d", code)
	}
	if code, body := post(nodes[0], "/api/v1/login", `{"email":"zoe@coop.test","password":"quiet river stones 7"}`); code != 200 {
		t.Fatalf("login with the new password: %d %s", code, body)
	}
	for _, m := range srv.Messages() {
		if m.To == "nobody@coop.test" {
			t.Fatal("an email went to an address without an account")
		}
	}
	for _, secret := range []string{token, "coop_v_", "quiet river", "coop_r_"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the logs hold %q", secret)
		}
	}
}
