package server

import (
	"strings"
	"testing"

	"coop/members"
	"coop/proposals"
	"coop/raftdata"
)

// Every request body goes through decodeBody: whatever the bytes, it
// answers a value or a 400 with a sentence, never a panic or another code.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"Ann","email":"ann@example.org","password":"plum orchard lantern 42","accept_charter":true}`,
		`{"email":"ann@example.org","password":"x","address":"1.2.3.4"}`,
		`{"title":"t","kind":"knowledge","query":{"aggregate":"count"},"privacy":{"min_cohort":5}}`,
		`{"name":"Ann","admin":true}`, `[1,2]`, `{"a":1} {"b":2}`, ``, `{`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&members.SignupInput{}, &members.LoginInput{}, &proposals.Draft{}, &struct {
			Role string `json:"role"`
		}{}}
		for _, v := range targets {
			err := decodeBody(body, v)
			if err != nil && (raftdata.ErrorCode(err) != raftdata.CodeInvalid || raftdata.ErrorMessage(err) == "") {
				t.Fatalf("decode %T: %v", v, err)
			}
		}
		if in := targets[1].(*members.LoginInput); in.Address != "" {
			t.Fatal("the client address came from the body")
		}
	})
}

func TestDecodeBodyRefusals(t *testing.T) {
	cases := map[string]string{
		``:                         "empty",
		`[]`:                       "not array",
		`{"name":"Ann"} {}`:        "more than one JSON value",
		`{"name":"Ann","admin":1}`: `unknown field "admin"`,
		`{"name":1}`:               `field "name" must be string`,
		`{"name":"Ann"`:            "ends too early",
	}
	for body, want := range cases {
		var in members.SignupInput
		err := decodeBody([]byte(body), &in)
		if raftdata.ErrorCode(err) != raftdata.CodeInvalid || !strings.Contains(raftdata.ErrorMessage(err), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
