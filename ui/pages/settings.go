package pages

import (
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
	// TokenName is the refused token form's name, kept in the form.
	TokenName  string
	TokenError components.FormError
	EraseError components.FormError
	// EmailVerified tells whether the account's address is verified;
	// MailEnabled whether the coop sends email (a link can be resent).
	EmailVerified bool
	MailEnabled   bool
	ProfileError  components.FormError
	PasswordError components.FormError
}

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
