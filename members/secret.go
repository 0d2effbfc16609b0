package members

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Session and API tokens are 32 random bytes in unpadded base64url behind
// a prefix that tells them apart, so Authenticate knows which table to
// look in and a leaked token is easy to recognise (secret scanners).
const (
	SessionPrefix = "coop_s_"
	TokenPrefix   = "coop_t_"
	secretBytes   = 32
)

// secretLen is the length of the random part of a token.
func secretLen() int { return base64.RawURLEncoding.EncodedLen(secretBytes) }

// newSecret draws a token with prefix and returns it with its hash.
func newSecret(prefix string) (token, hash string) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashSecret(token)
}

// hashSecret is what the replicated state keeps of a token: its SHA-256
// in hex. Tokens carry 256 random bits, so a fast hash is enough.
func hashSecret(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// parseSecret returns the prefix of a well-formed token, or ok=false. A
// malformed token is refused before any lookup.
func parseSecret(token string) (prefix string, ok bool) {
	for _, p := range []string{SessionPrefix, TokenPrefix} {
		rest, found := strings.CutPrefix(token, p)
		if !found || len(rest) != secretLen() {
			continue
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
		if err != nil || len(b) != secretBytes {
			return "", false
		}
		return p, true
	}
	return "", false
}
