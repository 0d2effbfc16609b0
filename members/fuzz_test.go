package members

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"coop/raftdata"
)

// The fuzz targets below run their seed corpus as ordinary tests; run one
// for real with, for example:
//
//	go test -run '^$' -fuzz FuzzSignup -fuzztime 30s ./members

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ann@example.org", " ANN@Example.org ", "a@b", "a..b@c.d", "é@ü.fr", "a@b.c.d.e.f", "@", "İ@example.org", "a@xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := NormalizeEmail(raw)
		if err != nil {
			if raftdata.ErrorCode(err) != raftdata.CodeInvalid {
				t.Fatalf("error without CodeInvalid: %v", err)
			}
			return
		}
		if e != strings.ToLower(strings.TrimSpace(raw)) || strings.Count(e, "@") != 1 || strings.ContainsFunc(e, unicode.IsSpace) || len(e) > maxEmailBytes {
			t.Fatalf("%q normalised to %q", raw, e)
		}
		if again, err := NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, e, again, err)
		}
	})
}

// FuzzSignup validates sign-up inputs made of arbitrary strings (the JSON
// body is decoded by the ui; its decoder is fuzzed there).
func FuzzSignup(f *testing.F) {
	f.Add("Ann", "ann@example.org", "plum orchard lantern 42", true, "")
	f.Add("  ", "ann@example.org", "x", true, "en")
	f.Add("Ann", "ANN@EXAMPLE.ORG", "password1234", false, "fr")
	f.Add("\u0000", "a@b", "plum orchard lantern 42", true, "de")
	f.Fuzz(func(t *testing.T, name, email, password string, accept bool, lang string) {
		in := SignupInput{Name: name, Email: email, Password: password, AcceptCharter: accept, Lang: lang}
		out, err := in.Validate()
		if err != nil {
			if raftdata.ErrorCode(err) != raftdata.CodeInvalid || raftdata.ErrorMessage(err) == "" {
				t.Fatalf("validation error without CodeInvalid or reason: %v", err)
			}
			if len(in.Password) > 3 && strings.Contains(err.Error(), in.Password) {
				// The text may hold it by chance ("pass" in "password"):
				// a message that echoed the password would change with it.
				other := in
				other.Password = strings.Map(func(r rune) rune { return r + 1 }, in.Password)
				if _, err2 := other.Validate(); err2 == nil || err2.Error() != err.Error() {
					t.Fatalf("the error repeats the password: %v", err)
				}
			}
			return
		}
		if out.Name == "" || out.Name != strings.TrimSpace(out.Name) || !out.AcceptCharter {
			t.Fatalf("accepted %+v", out)
		}
		if e, err := NormalizeEmail(out.Email); err != nil || e != out.Email {
			t.Fatalf("email %q not normalised", out.Email)
		}
		if CheckPassword(out.Password, out.Email, out.Name) != nil || out.Lang != "fr" && out.Lang != "en" {
			t.Fatalf("accepted %+v", out)
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{goodPassword, "password", "sunshine2024!", "monkeymonkey", "ça déjà été vu", strings.Repeat("ab", 600), "\xff\xfe"} {
		f.Add(s, "ann@example.org")
	}
	f.Fuzz(func(t *testing.T, password, related string) {
		err := CheckPassword(password, related)
		if err != nil {
			if raftdata.ErrorCode(err) != raftdata.CodeInvalid {
				t.Fatalf("error without CodeInvalid: %v", err)
			}
			return
		}
		if utf8.RuneCountInString(password) < MinPasswordChars || len(password) > MaxPasswordBytes || !utf8.ValidString(password) ||
			isCommon(strings.ToLower(password)) || strings.ContainsFunc(password, unicode.IsControl) {
			t.Fatalf("accepted %q", password)
		}
	})
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=99999999999,t=2,p=1$AAAA$AAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.memory > maxArgonMemory || p.time < 1 || p.time > maxArgonTime || p.threads < 1 || p.threads > maxArgonThreads || len(p.key) < 16 {
			t.Fatalf("accepted out-of-range parameters %+v", p)
		}
		again, err := parsePHC(p.String())
		if err != nil || again.String() != p.String() {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	s, _ := newSecret(SessionPrefix)
	tk, _ := newSecret(TokenPrefix)
	for _, seed := range []string{s, tk, "", "coop_s_", SessionPrefix + strings.Repeat("A", 43), TokenPrefix + strings.Repeat("_", 43), "coop_t_" + strings.Repeat("=", 43)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		prefix, ok := parseSecret(token)
		if !ok {
			return
		}
		if prefix != SessionPrefix && prefix != TokenPrefix || len(token) != len(prefix)+secretLen() {
			t.Fatalf("accepted %q as %q", token, prefix)
		}
	})
}

func FuzzClientAddress(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[2001:db8::1]:80", "::ffff:10.0.0.1", "fe80::1%eth0", "", "x\x00y", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		display, key := clientAddress(raw)
		if display == "" || key == "" || len(display) > maxAddressLen+8 || !utf8.ValidString(display) || strings.ContainsFunc(display, unicode.IsControl) {
			t.Fatalf("%q gave %q %q", raw, display, key)
		}
	})
}
