package server_test

import (
	"context"
	"strconv"
	"testing"

	"coop/members"
	"coop/ui"
	"coop/ui/uitest"
)

func TestLoginLimitAnswers429WithRetryAfter(t *testing.T) {
	env := uitest.OpenEnv(t)
	app := ui.New(env.Deps)
	if _, err := env.Members.SignUp(context.Background(), members.SignupInput{Name: "ann", Email: "ann@coop.test", Password: uitest.Password, AcceptCharter: true}); err != nil {
		t.Fatal(err)
	}
	wrong := `{"email":"ann@coop.test","password":"not the right one at all"}`
	for i := 0; i < members.DefaultPerPair; i++ {
		resp, body := uitest.Call(t, app, uitest.JSONRequest("POST", "/api/v1/login", wrong))
		if resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := uitest.Call(t, app, uitest.JSONRequest("POST", "/api/v1/login", `{"email":"ann@coop.test","password":"`+uitest.Password+`"}`))
	if resp.StatusCode != 429 {
		t.Fatalf("after %d failures the right password got %d %s, want 429", members.DefaultPerPair, resp.StatusCode, body)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 15*60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if e := uitest.DecodeError(t, body); e.Code != "too_many" || e.Message == "" {
		t.Fatalf("body %s", body)
	}
}
