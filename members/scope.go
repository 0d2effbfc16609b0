package members

import (
	"slices"
	"strings"
	"time"

	"coop/raftdata"
)

// Scope is one kind of action an API token may take. A login session
// carries no scopes: it may do whatever its account may.
type Scope string

const (
	ScopeRead       Scope = "read"       // read what the account may read
	ScopeVote       Scope = "vote"       // take part in proposals: propose, open, vote, comment, object, run a granted query
	ScopeContribute Scope = "contribute" // give one's data: consent, records, corrections
	ScopeOperate    Scope = "operate"    // an operator's actions (the role is still required)
)

// AllScopes lists the scopes in the order pages show them.
var AllScopes = []Scope{ScopeRead, ScopeVote, ScopeContribute, ScopeOperate}

// legacyScopes are those of an API token minted before tokens had scopes:
// everything a member does, not an operator's actions.
var legacyScopes = []Scope{ScopeContribute, ScopeRead, ScopeVote}

// Access is what a credential lets a request do: the account behind it,
// whether it is a login session (whatever the account may do) or an API
// token (its scopes only), and until when. Everything a request needs to
// know about a credential is here, so that a cache can keep it whole.
type Access struct {
	Account   Account   `json:"account"`
	Session   bool      `json:"session"`
	TokenID   string    `json:"token_id,omitempty"` // API tokens only
	Scopes    []Scope   `json:"scopes,omitempty"`   // API tokens only
	ExpiresAt time.Time `json:"expires_at"`         // absolute end; a session also ends after its idle time
}

// Allows tells whether the credential may take actions of scope s.
func (a Access) Allows(s Scope) bool {
	return a.Session || slices.Contains(a.Scopes, s)
}

// ParseScopes checks a list of scope names; it is sorted, without
// duplicates. An empty list is refused: a token must be able to do
// something.
func ParseScopes(names []string) ([]Scope, error) {
	var out []Scope
	for _, n := range names {
		s := Scope(strings.TrimSpace(n))
		if !slices.Contains(AllScopes, s) {
			return nil, raftdata.Refuse(raftdata.CodeInvalid, "unknown_scope", "unknown scope %q: use read, vote, contribute or operate", n).With("scope", n).On("scopes")
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "no_scope", "a token needs at least one scope: read, vote, contribute or operate").On("scopes")
	}
	slices.Sort(out)
	return out, nil
}

// scopesText is how scopes are stored: sorted, space-separated. An empty
// text is a token from before scopes.
func scopesText(s []Scope) string {
	names := make([]string, len(s))
	for i, sc := range s {
		names[i] = string(sc)
	}
	return strings.Join(names, " ")
}

func scopesOf(text string) []Scope {
	if text == "" {
		return slices.Clone(legacyScopes)
	}
	var out []Scope
	for _, f := range strings.Fields(text) {
		out = append(out, Scope(f))
	}
	return out
}
