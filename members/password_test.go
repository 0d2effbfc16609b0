package members

import (
	"strings"
	"testing"

	"coop/raftdata"
)

func TestCheckPassword(t *testing.T) {
	cases := []struct {
		name, password string
		related        []string
		reason         string // "" = accepted
	}{
		{"passphrase", goodPassword, nil, ""},
		{"long random", "Xq7#pL2vR9!mZk4w", nil, ""},
		{"unicode counts characters not bytes", "ça déjà été vu", nil, ""},
		{"empty", "", nil, "required"},
		{"short", "Tr0ub4dor&3", nil, "at least 12 characters"},
		{"eleven runes", "ééééàààçççü", nil, "at least 12 characters"},
		{"common", "qwertyuiopas", nil, ""}, // not in the list: accepted
		{"common from the list", "1qaz2wsx3edc", nil, "most common"},
		{"common upper case", "QAZWSXEDCRFV", nil, "most common"},
		{"common with digits added", "sunshine2024!!", nil, "digits or symbols added"},
		{"common with digits in front", "1234567password", nil, "digits or symbols added"},
		{"repeated word", "monkeymonkey", nil, "repeats a common or short word"},
		{"repeated short unit", "ab1ab1ab1ab1", nil, "repeats"},
		{"few distinct characters", "aaaaaaaaaaaaaaab", nil, "too few characters"},
		{"contains email local part", "marianne-dupont-9", []string{"marianne@example.org"}, "name or email"},
		{"contains name", "xx jean dupont xx", []string{"a@b.org", "Jean Dupont"}, "name or email"},
		{"control character", "line one\nline two", nil, "control characters"},
		{"too long", strings.Repeat("abcdefghij", 103), nil, "too long"},
		{"invalid utf-8", "abcdefghijkl\xff", nil, "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPassword(c.password, c.related...)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantCode(t, err, raftdata.CodeInvalid)
			if !strings.Contains(raftdata.ErrorMessage(err), c.reason) {
				t.Fatalf("reason %q does not say %q", raftdata.ErrorMessage(err), c.reason)
			}
		})
	}
}

func TestCommonListIsEmbedded(t *testing.T) {
	lines := strings.Count(commonPasswords, "\n")
	if lines < 5000 {
		t.Fatalf("the common password list has %d entries", lines)
	}
	for _, p := range []string{"123456", "password", "qwerty", "liverpool"} {
		if !isCommon(p) {
			t.Errorf("%q not found in the list", p)
		}
	}
	if isCommon("plum orchard") || isCommon("") {
		t.Error("false positive")
	}
}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	if strings.Contains(h, goodPassword) {
		t.Fatal("the hash contains the password")
	}
	h2, _ := HashPassword(goodPassword)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{goodPassword: true, goodPassword + " ": false, "": false} {
		ok, err := VerifyPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("verify %q: %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestParsePHCRefusesBadHashes(t *testing.T) {
	good, _ := HashPassword(goodPassword)
	parts := strings.Split(good, "$")
	bad := []string{
		"",
		"$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=4294967295,t=2,p=1$" + parts[4] + "$" + parts[5], // 4 TiB
		"$argon2id$v=19$m=19456,t=100000,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$c2hvcnQ",
	}
	for _, h := range bad {
		if _, err := parsePHC(h); err == nil {
			t.Errorf("accepted %q", h)
		}
		if ok, err := VerifyPassword(goodPassword, h); ok || err == nil {
			t.Errorf("verify against %q: %v, %v", h, ok, err)
		}
	}
}

func TestGeneratePasswordPassesTheRules(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := GeneratePassword()
		if err := CheckPassword(p); err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if seen[p] {
			t.Fatal("a generated password came twice")
		}
		seen[p] = true
	}
}
