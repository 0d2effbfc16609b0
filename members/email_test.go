package members

import (
	"strings"
	"testing"

	"coop/raftdata"
)

func TestNormalizeEmail(t *testing.T) {
	cases := []struct {
		in, want string // want "" = refused
	}{
		{"ann@example.org", "ann@example.org"},
		{"  Ann.Martin+coop@Example.ORG \n", "ann.martin+coop@example.org"},
		{"o'brien@mail.example.co.uk", "o'brien@mail.example.co.uk"},
		{"élodie@exemple.fr", "élodie@exemple.fr"},
		{"a@b-c.d-e.org", "a@b-c.d-e.org"},
		{"", ""},
		{"ann", ""},
		{"ann@", ""},
		{"@example.org", ""},
		{"ann@@example.org", ""},
		{"ann@example", ""},
		{"ann@example.", ""},
		{"ann@-example.org", ""},
		{"ann@example.123", ""},
		{".ann@example.org", ""},
		{"ann.@example.org", ""},
		{"an..n@example.org", ""},
		{"ann smith@example.org", ""},
		{"\"ann\"@example.org", ""},
		{"ann@[127.0.0.1]", ""},
		{"Ann <ann@example.org>", ""},
		{strings.Repeat("a", 65) + "@example.org", ""},
		{"ann@" + strings.Repeat("a", 64) + ".org", ""},
		{"ann@" + strings.Repeat("abcdefghi.", 26) + "org", ""},
	}
	for _, c := range cases {
		got, err := NormalizeEmail(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("%q accepted as %q", c.in, got)
			} else {
				wantCode(t, err, raftdata.CodeInvalid)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
