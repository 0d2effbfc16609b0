package ui

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// formError turns a service's refusal into the status of the re-rendered
// page and the sentence shown next to the form. The services speak
// English: an English page shows their sentence as it is; a French page
// shows the translation of the sentences people meet most, and otherwise
// a sentence for the kind of error with the English one as a detail.
func (w *web) formError(c *fiber.Ctx, tr i18n.Tr, err error) (int, components.FormError) {
	e := asCoded(err)
	if e.Code == raftdata.CodeInternal {
		w.log.Error("page request failed", "route", routeLabel(c), "request_id", requestIDOf(c), "error", err)
		return fiber.StatusInternalServerError, components.FormError{Text: tr.T("err.internal")}
	}
	status := statusOf(e.Code)
	if tr.Lang == i18n.English {
		return status, components.FormError{Text: e.Message}
	}
	if key := knownError(e.Message); key != "" {
		return status, components.FormError{Text: tr.T(key)}
	}
	return status, components.FormError{Text: tr.T("err.code." + string(e.Code)), Detail: e.Message}
}

// knownError names the message of the services' sentences that pages
// translate.
func knownError(msg string) string {
	switch {
	case msg == "wrong email or password":
		return "err.login"
	case strings.Contains(msg, "proxies on this vote already") || strings.Contains(msg, "standing proxies already"):
		return "err.proxy_cap"
	case strings.HasPrefix(msg, "this member is not in the electorate of the proposal"):
		return "err.proxy_electorate"
	case strings.HasPrefix(msg, "a proxy goes to another member"):
		return "err.proxy_self"
	case strings.HasPrefix(msg, "too many failed logins"):
		return "err.too_many_logins"
	case strings.HasPrefix(msg, "this account is suspended"):
		return "err.suspended"
	case strings.HasPrefix(msg, "an account with this email address already exists"):
		return "err.email_taken"
	case strings.HasPrefix(msg, "joining means accepting the member charter"):
		return "err.charter"
	case msg == "a name is required":
		return "err.name_required"
	case strings.HasPrefix(msg, "the name is too long"):
		return "err.name_long"
	case msg == "the email address is required":
		return "err.email_required"
	case strings.HasPrefix(msg, "the email address"):
		return "err.email_invalid"
	case msg == "a password is required":
		return "err.password_required"
	case strings.HasPrefix(msg, "the password is too short"):
		return "err.password_short"
	case strings.HasPrefix(msg, "the password is too long"):
		return "err.password_long"
	case strings.HasPrefix(msg, "the password repeats too few"):
		return "err.password_distinct"
	case strings.HasPrefix(msg, "this password is among the most common"),
		strings.HasPrefix(msg, "this password is a common one"),
		strings.HasPrefix(msg, "this password repeats a common"):
		return "err.password_common"
	case strings.HasPrefix(msg, "the password must not contain your name"):
		return "err.password_personal"
	case strings.HasPrefix(msg, "the vote on this proposal is closed"):
		return "err.vote_closed"
	case strings.HasPrefix(msg, "you are not in the electorate"):
		return "err.not_electorate"
	case strings.HasPrefix(msg, "choice must be yes, no or abstain"):
		return "err.choice"
	case strings.HasPrefix(msg, "this is for accounts with the member role"):
		return "err.members_only"
	case strings.HasPrefix(msg, "the form's security token"):
		return "err.csrf"
	case strings.HasPrefix(msg, "an API token works on the JSON API"):
		return "err.token_pages"
	case strings.HasPrefix(msg, "no pool"):
		return "err.no_pool"
	case strings.HasPrefix(msg, "to erase your account"):
		return "err.erase_confirm"
	case strings.HasPrefix(msg, "tick the box to sign"):
		return "err.charter_tick"
	case strings.HasPrefix(msg, "tick the box next to the button"):
		return "err.ops_erase_confirm"
	case strings.HasPrefix(msg, "a comment has 1 to"):
		return "err.comment_length"
	case strings.HasPrefix(msg, "too many sign-ups from your address"):
		return "err.too_many_signups"
	case strings.HasPrefix(msg, "no one changes their own roles"):
		return "err.own_roles"
	case strings.HasPrefix(msg, "no account holds the operator and researcher roles together"):
		return "err.duties"
	case strings.HasPrefix(msg, "no one admits or sponsors themselves"):
		return "err.self_admission"
	case strings.HasPrefix(msg, "in this cooperative, applicants are admitted when"):
		return "err.admission_by_sponsors"
	case strings.HasPrefix(msg, "this cooperative's rulebook admits members by"):
		return "err.not_by_sponsors"
	case strings.HasPrefix(msg, "only an active, admitted member sponsors"):
		return "err.sponsor_member"
	case strings.HasPrefix(msg, "this is for members and applicants"):
		return "err.contributors_only"
	case msg == "the current password is wrong":
		return "err.current_password"
	case strings.HasPrefix(msg, "this link is not valid"):
		return "err.bad_link"
	case strings.HasPrefix(msg, "this coop sends no email"):
		return "err.no_mail"
	}
	return ""
}

// errorPage answers a page that cannot be shown (an unknown proposal, a
// service down) with a page in the visitor's language and the error's
// status.
//
// A path no page answers is "page not found", and a failure of the server
// "something went wrong", both in the visitor's language, never fiber's
// English ("Cannot GET /nope").
func (w *web) errorPage(c *fiber.Ctx, err error) error {
	p := w.page(c, "", "error.title")
	status, msg := w.formError(c, p.Tr, err)
	var fe *fiber.Error
	switch {
	case status >= 500:
		p.Title, msg = p.Tr.T("error.title.server"), components.FormError{Text: p.Tr.T("err.internal")}
		if status == fiber.StatusServiceUnavailable {
			msg = components.FormError{Text: p.Tr.T("err.code.unavailable")}
		}
	case errors.As(err, &fe) && (status == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed):
		p.Title, msg = p.Tr.T("error.title.not_found"), components.FormError{Text: p.Tr.T("error.no_page")}
	}
	return w.render(c, status, pages.ErrorPage(pages.Error{Page: p, Status: status, Message: msg}))
}
