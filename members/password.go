package members

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed" // the common password list
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"coop/raftdata"
)

// Argon2id parameters for new hashes: the first configuration of the OWASP
// Password Storage Cheat Sheet (m = 19 MiB, t = 2, p = 1). A stored hash
// carries its own parameters (PHC string), so these can be raised later
// without invalidating older hashes.
const (
	Argon2Memory  = 19 * 1024 // KiB
	Argon2Time    = 2         // passes
	Argon2Threads = 1
	Argon2KeyLen  = 32 // bytes
	Argon2SaltLen = 16 // bytes
)

// Password rules.
const (
	MinPasswordChars = 12   // characters (runes), not bytes
	MaxPasswordBytes = 1024 // longer input is refused before hashing
	minDistinctChars = 5
)

// commonPasswords is the 10,000 most frequent passwords of the list shipped
// in zxcvbn 4.4.2 (npm package zxcvbn, src/frequency_lists.coffee, MIT
// licence, (c) 2012-2016 Dan Wheeler and Dropbox, Inc.; built from Mark
// Burnett's 10 million password corpus), lower-cased, one per line. See
// passwords/LICENSE.txt.
//
//go:embed passwords/common.txt
var commonPasswords string

// isCommon tells whether s (lower-case, without control characters) is a
// line of the list. A linear scan of 80 KB costs microseconds, next to the
// tens of milliseconds of a hash, and needs no state.
func isCommon(s string) bool {
	if s == "" {
		return false
	}
	return strings.HasPrefix(commonPasswords, s+"\n") || strings.Contains(commonPasswords, "\n"+s+"\n")
}

// CheckPassword tells why password may not be used, as a CodeInvalid error
// whose message is the reason, or nil. related are words the password must
// not contain (the account's email and name).
func CheckPassword(password string, related ...string) error {
	bad := func(reason, sentence string, params ...any) error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, "%s", sentence).On("password")
		for i := 0; i+1 < len(params); i += 2 {
			e.With(params[i].(string), params[i+1])
		}
		return e
	}
	switch {
	case password == "":
		return bad("password_required", "a password is required")
	case len(password) > MaxPasswordBytes:
		return bad("password_long", fmt.Sprintf("the password is too long: at most %d bytes", MaxPasswordBytes), "max", MaxPasswordBytes)
	case !utf8.ValidString(password):
		return bad("password_utf8", "the password is not valid UTF-8 text")
	case strings.IndexFunc(password, unicode.IsControl) >= 0:
		return bad("password_control", "the password must not contain control characters (tabs, line breaks)")
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return bad("password_short", fmt.Sprintf("the password is too short: at least %d characters (a few unrelated words make a good one)", MinPasswordChars), "min", MinPasswordChars)
	}
	lower := strings.ToLower(password)
	if distinct(lower) < minDistinctChars {
		return bad("password_distinct", fmt.Sprintf("the password repeats too few characters: use at least %d different ones", minDistinctChars), "min", minDistinctChars)
	}
	if isCommon(lower) {
		return bad("password_common", "this password is among the most common ones, which attackers try first: choose another")
	}
	// A common password with digits or symbols around it ("sunshine2024!").
	if core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) }); core != lower && utf8.RuneCountInString(core) >= 4 && isCommon(core) {
		return bad("password_common_padded", "this password is a common one with digits or symbols added, which attackers try early: choose another")
	}
	// A common password, or a short one, repeated ("monkeymonkey").
	if unit := repeatedUnit(lower); unit != "" && (isCommon(unit) || utf8.RuneCountInString(unit) <= 4) {
		return bad("password_repeats", "this password repeats a common or short word: choose another")
	}
	for _, r := range related {
		r = strings.ToLower(strings.TrimSpace(r))
		if local, _, ok := strings.Cut(r, "@"); ok {
			r = local
		}
		if utf8.RuneCountInString(r) >= 4 && strings.Contains(lower, r) {
			return bad("password_personal", "the password must not contain your name or email address")
		}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// repeatedUnit returns u when s is u repeated two or more times, else "".
func repeatedUnit(s string) string {
	for n := 1; n <= len(s)/2; n++ {
		if len(s)%n == 0 && strings.Repeat(s[:n], len(s)/n) == s {
			return s[:n]
		}
	}
	return ""
}

// HashPassword returns the argon2id hash of password with a fresh random
// salt, as a PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func HashPassword(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", raftdata.Refuse(raftdata.CodeInvalid, "password_long", "the password is too long: at most %d bytes", MaxPasswordBytes).With("max", MaxPasswordBytes).On("password")
	}
	salt := make([]byte, Argon2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("draw a salt: %w", err)
	}
	p := phc{memory: Argon2Memory, time: Argon2Time, threads: Argon2Threads, salt: salt}
	p.key = argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, Argon2KeyLen)
	return p.String(), nil
}

// VerifyPassword tells whether password matches the PHC-encoded argon2id
// hash. The comparison takes the same time wherever the keys differ.
func VerifyPassword(password, encoded string) (bool, error) {
	if len(password) > MaxPasswordBytes {
		return false, nil
	}
	p, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// GeneratePassword returns a random password for the bootstrap operator: 26
// characters of base32, 128 bits from crypto/rand.
func GeneratePassword() string { return rand.Text() }

// phc is a decoded argon2id hash string.
type phc struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func (p phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, base64.RawStdEncoding.EncodeToString(p.salt), base64.RawStdEncoding.EncodeToString(p.key))
}

// Bounds accepted when reading a stored hash, so that a damaged or hostile
// string cannot make a check allocate gigabytes or spin for minutes.
const (
	maxArgonMemory  = 1 << 20 // KiB: 1 GiB
	maxArgonTime    = 64
	maxArgonThreads = 64
)

func parsePHC(s string) (phc, error) {
	fail := func(what string) (phc, error) { return phc{}, fmt.Errorf("password hash: %s", what) }
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return fail("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported argon2 version")
	}
	var p phc
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return fail("malformed parameters")
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fail("malformed parameter " + k)
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > maxArgonThreads {
				return fail("parallelism out of range")
			}
			p.threads = uint8(n)
		default:
			return fail("unknown parameter " + k)
		}
	}
	switch {
	case len(seen) != 3:
		return fail("parameters m, t and p are all required")
	case p.threads < 1 || p.threads > maxArgonThreads:
		return fail("parallelism out of range")
	case p.time < 1 || p.time > maxArgonTime:
		return fail("time cost out of range")
	case p.memory < 8*uint32(p.threads) || p.memory > maxArgonMemory:
		return fail("memory cost out of range")
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return fail("bad salt")
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return fail("bad key")
	}
	return p, nil
}
