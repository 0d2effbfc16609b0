package ui

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// formError turns a service's refusal into the status of the re-rendered
// page and its message in the page's language, by the refusal's reason
// (never by its English sentence): the catalogue's "err.<reason>" filled
// with the refusal's parameters, and each problem next to its form field.
// A refusal without a reason the catalogue knows reads as the sentence of
// its code ("err.code.<code>"); TestRefusals_EveryReasonInTheCatalogue
// keeps that for the few that must.
func (w *web) formError(c *fiber.Ctx, tr i18n.Tr, err error) (int, components.FormError) {
	e := asCoded(err)
	if e.Code == raftdata.CodeInternal {
		w.log.Error("page request failed", "route", routeLabel(c), "request_id", requestIDOf(c), "error", err)
		return fiber.StatusInternalServerError, components.FormError{Text: tr.T("err.internal")}
	}
	return statusOf(e.Code), refusalView(tr, e)
}

<<<<<<< HEAD
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
=======
// refusalView is a refusal as a form shows it: its sentence above the
// form (the list of problems when there are several), and the sentence of
// each problem next to its field.
func refusalView(tr i18n.Tr, e raftdata.Error) components.FormError {
	fe := components.FormError{Text: refusalText(tr, e)}
	parts := e.Problems
	if len(parts) == 0 {
		parts = []*raftdata.Error{&e}
>>>>>>> ux2
	}
	for _, p := range parts {
		msg := refusalText(tr, *p)
		if len(e.Problems) > 1 {
			fe.List = append(fe.List, msg)
		}
		if p.Field == "" {
			continue
		}
		if fe.Fields == nil {
			fe.Fields = map[string]string{}
		}
		if prev := fe.Fields[p.Field]; prev != "" && prev != msg {
			msg = prev + " " + msg
		}
		fe.Fields[p.Field] = msg
	}
	if len(e.Problems) > 1 {
		fe.Text = tr.N("err.problems", len(e.Problems))
	}
	return fe
}

// refusalText is the sentence of one refusal in the page's language.
func refusalText(tr i18n.Tr, e raftdata.Error) string {
	key := "err." + e.Reason
	if e.Reason == "" || !tr.Has(key) {
		return tr.T("err.code." + string(e.Code))
	}
	if len(e.Params) == 0 {
		return tr.T(key)
	}
	params := make(map[string]string, len(e.Params))
	for name, v := range e.Params {
		params[name] = paramText(tr, name, v)
	}
	return tr.P(key, params)
}

// paramEnums are the parameters whose value is a word of the domain the
// catalogue translates: the value v of the parameter reads as the
// message of prefix+v.
var paramEnums = map[string]string{
	"role":            "role.",
	"role2":           "role.",
	"account_status":  "account.status.",
	"proposal_status": "status.",
	"kind":            "kind.",
	"aggregate":       "sandbox.agg.",
}

// paramNumbers are the parameters that hold a number (a limit, a count,
// an epsilon); paramDates those that hold a time.
var (
	paramNumbers = map[string]bool{"min": true, "max": true, "got": true, "count": true, "n": true, "minutes": true,
		"spent": true, "total": true, "per_proposal": true, "per_pool": true}
	paramDates = map[string]bool{"date": true}
)

// paramText writes one parameter of a refusal for the page: a word of the
// domain translated, a date in the coop's time zone, a number as the
// language writes it, anything else (a name, a value someone typed) as
// it is.
func paramText(tr i18n.Tr, name, v string) string {
	if prefix, ok := paramEnums[name]; ok && tr.Has(prefix+v) {
		return tr.T(prefix + v)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil && paramDates[name] {
		return tr.Date(t)
	}
	if !paramNumbers[name] {
		return v
	}
	if n, err := strconv.Atoi(v); err == nil {
		return tr.Int(n)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return tr.Num(f)
	}
	return v
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
