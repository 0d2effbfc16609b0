package members

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"coop/raftdata"
)

// Email limits (RFC 5321).
const (
	maxEmailBytes = 254
	maxLocalBytes = 64
	maxLabelBytes = 63
)

// NormalizeEmail trims and lower-cases an email address and checks its
// shape: one @, a local part of letters, digits and the usual punctuation
// without leading, trailing or doubled dots, and a domain of at least two
// labels of letters, digits and inner hyphens. Quoted local parts and IP
// literals, legal but rare, are refused. A bad address gives a CodeInvalid
// error saying what is wrong.
func NormalizeEmail(raw string) (string, error) {
	bad := func(reason, what string) (string, error) {
		return "", raftdata.Refuse(raftdata.CodeInvalid, reason, "the email address %s", what).On("email")
	}
	e := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case e == "":
		return bad("email_required", "is required")
	case !utf8.ValidString(e):
		return bad("email_invalid", "is not valid UTF-8 text")
	case len(e) > maxEmailBytes:
		return bad("email_long", "is too long")
	case strings.Count(e, "@") != 1:
		return bad("email_at", "must contain exactly one @")
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" || len(local) > maxLocalBytes {
		return bad("email_local", "needs a name before the @ of at most 64 characters")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return bad("email_dot", "has a misplaced dot before the @")
	}
	for _, r := range local {
		if !localRune(r) {
			return bad("email_char", "contains a character that is not allowed before the @")
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("email_domain_dot", "needs a domain with a dot after the @, like example.org")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelBytes || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return bad("email_domain", "has a malformed domain after the @")
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return bad("email_domain", "has a malformed domain after the @")
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.IndexFunc(tld, unicode.IsLetter) < 0 {
		return bad("email_domain", "has a malformed domain after the @")
	}
	return e, nil
}

// localRune tells whether r may appear in the local part (RFC 5322 atext,
// plus letters and digits of any script, RFC 6531).
func localRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
