package pages

import (
	"time"

	"coop/ui/components"
)

// Forgot is the form that asks for a password reset link.
type Forgot struct {
	Page        components.Page
	Email       string
	Sent        bool // the request went: the same words for any address
	MailEnabled bool // without email, the page says to ask an operator
	Error       components.FormError
}

// LinkForm is the form behind a one-time link (a new password, or the
// confirmation of an address): the link's token rides in a hidden field.
type LinkForm struct {
	Page  components.Page
	Token string
	Error components.FormError
}

// ResetLink is an operator's one-time reset link, shown this once.
type ResetLink struct {
	Page      components.Page
	Name      string
	URL       string
	ExpiresAt time.Time
}
