// Package components holds the widgets the pages share: the layout, form
// pieces, the SVG charts and the charter's text. Each takes typed props.
package components

import (
	"net/url"

	"coop/ui/i18n"
)

// Page is what the layout needs to frame any page.
type Page struct {
	Tr     i18n.Tr
	Title  string  // the page's own title, without the site name
	Nav    string  // the nav entry to mark current: home, proposals, pools, results, rules, me, login, signup
	Path   string  // the path and query of this page, for the language switch
	User   *Viewer // nil for an anonymous visitor
	CSRF   string  // the token every form of the page carries in _csrf
	CSS    string  // the stylesheet's hashed URL
	Icon   string  // the icon's hashed URL
	Script string  // the live-updates script's hashed URL (pages work without it)
	Notice string  // a one-time notice (after a redirect), already translated
}

// Viewer is the logged-in account as the layout shows it: its name, and
// the spaces its roles open (a menu of its own in the header).
type Viewer struct {
	Name       string
	Researcher bool // the sandbox and my proposals
	Operator   bool // the operations page
}

// LangURL is the link that switches the pages to lang and comes back here.
func (p Page) LangURL(lang string) string {
	return "/lang/" + lang + "?next=" + url.QueryEscape(p.Path)
}

// FormError is a refused form's message, in the page's language: Text
// is shown above the form, and Fields holds the message of each form
// field the refusal is about, shown next to that field (FieldError).
type FormError struct {
	Text   string
	List   []string // each problem, when the refusal has several
	Fields map[string]string
}

// Empty tells whether there is no error to show.
func (e FormError) Empty() bool { return e.Text == "" }

// For is the message about one form field, "" when there is none.
func (e FormError) For(field string) string { return e.Fields[field] }

// Described is the id of the message about field, for the field's
// aria-describedby ("" when there is none).
func (e FormError) Described(field string) string {
	if e.For(field) == "" {
		return ""
	}
	return FieldErrorID(field)
}

// FieldErrorID is the id of the message about a form field.
func FieldErrorID(field string) string { return "error-" + field }
