package members

import (
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
	what := "this account"
	if scope == scopeAddress {
		what = "your network address"
	}
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return &LimitError{
		RetryAt: retryAt,
		err: raftdata.Errorf(raftdata.CodeTooMany,
			"too many failed logins for %s: try again after %s UTC (in %d %s)",
			what, retryAt.UTC().Format("15:04"), minutes, unit),
	}
}

const (
	scopeAccount  = "account"
	scopeAddress  = "address"
	maxAddressLen = 64
)

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

// overLimit tells whether the account (if any) or the address key is at
// its limit of counted attempts at time now, and if so when it lifts: when
// enough of the counted attempts have left the window. It runs on the
// local copy (a cheap early refusal) and in the handler (the decision).
func overLimit(q querier, account, addressKey string, now int64, limits LoginLimits) (retryAt int64, scope string, err error) {
	check := func(column, value string, limit int, name string) error {
		var n int
		if err := q.QueryRow(`SELECT COUNT(*) FROM members_login_attempts WHERE `+column+` = ? AND expires_at > ?`, value, now).Scan(&n); err != nil {
			return fmt.Errorf("count failed logins: %w", err)
		}
		if n < limit {
			return nil
		}
		var lifts int64
		if err := q.QueryRow(`SELECT expires_at FROM members_login_attempts WHERE `+column+` = ? AND expires_at > ?
			ORDER BY expires_at LIMIT 1 OFFSET ?`, value, now, n-limit).Scan(&lifts); err != nil {
			return fmt.Errorf("find when the limit lifts: %w", err)
		}
		if lifts > retryAt {
			retryAt, scope = lifts, name
		}
		return nil
	}
	if account != "" {
		if err := check("account_id", account, limits.PerAccount, scopeAccount); err != nil {
			return 0, "", err
		}
	}
	if err := check("address_key", addressKey, limits.PerAddress, scopeAddress); err != nil {
		return 0, "", err
	}
	return retryAt, scope, nil
}
