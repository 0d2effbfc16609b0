package ui

import (
	"context"
	"strconv"
	"testing"

	"coop/members"
)

func TestLoginLimitAnswers429WithRetryAfter(t *testing.T) {
	env := openEnv(t)
	app := New(env.deps)
	if _, err := env.members.SignUp(context.Background(), members.SignupInput{Name: "ann", Email: "ann@coop.test", Password: testPassword, AcceptCharter: true}); err != nil {
		t.Fatal(err)
	}
	wrong := `{"email":"ann@coop.test","password":"not the right one at all"}`
	for i := 0; i < members.DefaultPerPair; i++ {
		resp, body := call(t, app, jsonRequest("POST", "/api/v1/login", wrong))
		if resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := call(t, app, jsonRequest("POST", "/api/v1/login", `{"email":"ann@coop.test","password":"`+testPassword+`"}`))
	if resp.StatusCode != 429 {
		t.Fatalf("after %d failures the right password got %d %s, want 429", members.DefaultPerPair, resp.StatusCode, body)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 15*60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if e := decodeError(t, body); e.Code != "too_many" || e.Message == "" {
		t.Fatalf("body %s", body)
	}
}
