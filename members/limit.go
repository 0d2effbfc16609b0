package members

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"coop/raftdata"
)

// LimitError refuses a login while an account or a client address is over
// its limit of failed attempts. It unwraps to a CodeTooMany *raftdata.Error
// whose message says when to retry; RetryAt is there for a Retry-After
// header.
type LimitError struct {
	RetryAt time.Time
	err     *raftdata.Error
}

func (e *LimitError) Error() string { return e.err.Error() }
func (e *LimitError) Unwrap() error { return e.err }

func newLimitError(scope string, retryAt, now time.Time) *LimitError {
	minutes := int(math.Ceil(retryAt.Sub(now).Minutes()))
	if minutes < 1 {
		minutes = 1
	}
	what := "this account from your network address"
	switch scope {
	case scopeAddress:
		what = "your network address"
	case scopeAccount: // an older log's lock-out
		what = "this account"
	}
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return &LimitError{
		RetryAt: retryAt,
		err: raftdata.Refuse(raftdata.CodeTooMany, "too_many_logins",
			"too many failed logins for %s: try again after %s UTC (in %d %s)",
			what, retryAt.UTC().Format("15:04"), minutes, unit).With("minutes", minutes),
	}
}

const (
	scopePair     = "pair"    // one email from one address
	scopeAddress  = "address" // one address, every email
	scopeAccount  = "account" // older logs: one account, every address
	maxAddressLen = 64
)

// loginKey names an email in the login limits: the same for an email an
// account uses and one none does, and not the email itself.
func loginKey(email string) string {
	h := sha256.Sum256([]byte("coop login\x00" + email))
	return hex.EncodeToString(h[:])
}

// clientAddress returns the address to journal and the key the per-address
// limit counts under: an IPv4 address, or the /64 prefix of an IPv6 one
// (one subscriber usually holds a whole /64). An address that does not
// parse is kept as text, cleaned and shortened.
func clientAddress(raw string) (display, key string) {
	raw = strings.TrimSpace(raw)
	a, err := netip.ParseAddr(raw)
	if err != nil {
		if ap, perr := netip.ParseAddrPort(raw); perr == nil {
			a, err = ap.Addr(), nil
		}
	}
	if err == nil {
		a = a.Unmap().WithZone("")
		display = a.String()
		if a.Is4() {
			return display, display
		}
		return display, netip.PrefixFrom(a, 64).Masked().String()
	}
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, raw)
	if len(clean) > maxAddressLen {
		clean = strings.ToValidUTF8(clean[:maxAddressLen], "")
	}
	if clean == "" {
		clean = "unknown"
	}
	return clean, "other:" + clean
}

// overLimit tells whether this email from this address key, or the
// address key whatever the email, is at its limit of counted failures at
// time now, and if so when it lifts: when enough of the counted attempts
// have left the window. It runs on the local copy (a cheap early refusal)
// and in the handler (the decision).
func overLimit(q querier, emailKey, addressKey string, now int64, limits LoginLimits) (retryAt int64, scope string, err error) {
	pair, err := limitLifts(q, `email_key = ? AND address_key = ?`, []any{emailKey, addressKey}, limits.PerPair, now)
	if err != nil {
		return 0, "", err
	}
	addr, err := limitLifts(q, `address_key = ?`, []any{addressKey}, limits.PerAddress, now)
	if err != nil {
		return 0, "", err
	}
	if addr > pair {
		return addr, scopeAddress, nil
	}
	if pair != 0 {
		return pair, scopePair, nil
	}
	return 0, "", nil
}

// limitLifts is 0 when fewer than limit attempts matching where are
// counted at now, else the time the limit lifts.
func limitLifts(q querier, where string, args []any, limit int, now int64) (int64, error) {
	n, err := countAttempts(q, where, args, now)
	if err != nil || n < limit {
		return 0, err
	}
	var lifts int64
	if err := q.QueryRow(`SELECT expires_at FROM members_login_attempts WHERE `+where+` AND expires_at > ?
		ORDER BY expires_at LIMIT 1 OFFSET ?`, append(args, now, n-limit)...).Scan(&lifts); err != nil {
		return 0, fmt.Errorf("find when the limit lifts: %w", err)
	}
	return lifts, nil
}

// countAttempts counts the attempts matching where still in their window.
func countAttempts(q querier, where string, args []any, now int64) (int, error) {
	var n int
	if err := q.QueryRow(`SELECT COUNT(*) FROM members_login_attempts WHERE `+where+` AND expires_at > ?`, append(args, now)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count failed logins: %w", err)
	}
	return n, nil
}
