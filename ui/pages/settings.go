package pages

import (
	"slices"

	"coop/members"
	"coop/pooling"
	"coop/ui/components"
)

// Settings is the member's account page: name and email, password, the
// export and erasure of the account, and (advanced) API tokens.
type Settings struct {
	Page     components.Page
	Account  members.Account
	Tokens   []members.TokenInfo
	NewToken *members.NewToken // the token just created, shown this once
	// TokenForm is what the token form shows: the refused form's values
	// kept, or the defaults (read only, DefaultTokenDays).
	TokenForm  TokenForm
	TokenError components.FormError
	EraseError components.FormError
	// EmailVerified tells whether the account's address is verified;
	// MailEnabled whether the coop sends email (a link can be resent).
	EmailVerified bool
	MailEnabled   bool
	ProfileError  components.FormError
	PasswordError components.FormError
}

// TokenForm is the state of the form that mints an API token.
type TokenForm struct {
	Name     string
	Scopes   []members.Scope
	Days     int
	Operator bool // the operate scope is offered to operators only
}

// Has tells whether the form ticks scope s.
func (f TokenForm) Has(s members.Scope) bool { return slices.Contains(f.Scopes, s) }

// Offered lists the scopes the form offers.
func (f TokenForm) Offered() []members.Scope {
	if f.Operator {
		return members.AllScopes
	}
	return slices.DeleteFunc(slices.Clone(members.AllScopes), func(s members.Scope) bool { return s == members.ScopeOperate })
}

// TokenDays are the lifetimes the form offers, in days.
var TokenDays = []int{7, 30, members.DefaultTokenDays, 180, members.MaxTokenDays}

// Charters is the page where a member reads and signs the current version
// of the charters their roles call for.
type Charters struct {
	Page     components.Page
	Current  bool // every charter is signed in its current version
	Charters []CharterView
	Error    components.FormError
}

// CharterView is one charter to read and sign.
type CharterView struct {
	Kind    string
	Version int
	Text    []components.Block
}

// Rectify is the form that corrects one record.
type Rectify struct {
	Page     components.Page
	Pool     pooling.Pool
	RecordID string
	Form     ReadingForm
}
