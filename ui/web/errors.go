package web

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
	"coop/ui/server"
)

// formError turns a service's refusal into the status of the re-rendered
// page and its message in the page's language, by the refusal's reason
// (never by its English sentence): the catalogue's "err.<reason>" filled
// with the refusal's parameters, and each problem next to its form field.
// A refusal without a reason the catalogue knows reads as the sentence of
// its code ("err.code.<code>"); TestRefusals_EveryReasonInTheCatalogue
// keeps that for the few that must.
func (w *web) formError(c *fiber.Ctx, tr i18n.Tr, err error) (int, components.FormError) {
	e := server.AsCoded(err)
	if e.Code == raftdata.CodeInternal {
		w.Log.Error("page request failed", "route", server.RouteLabel(c), "request_id", server.RequestIDOf(c), "error", err)
		return fiber.StatusInternalServerError, components.FormError{Text: tr.T("err.internal")}
	}
	return server.StatusOf(e.Code), refusalView(tr, e)
}

// refusalCodes are the codes of refusals: each has its sentence
// ("err.code.<code>") for a refusal whose reason a page does not know.
var refusalCodes = []raftdata.Code{raftdata.CodeInvalid, raftdata.CodeUnauthorized, raftdata.CodeForbidden, raftdata.CodeNotFound,
	raftdata.CodeConflict, raftdata.CodeTooMany, raftdata.CodeUnavailable, raftdata.CodeInternal, server.CodeUnsupportedMedia}

// refusalView is a refusal as a form shows it: its sentence above the
// form (the list of problems when there are several), and the sentence of
// each problem next to its field.
func refusalView(tr i18n.Tr, e raftdata.Error) components.FormError {
	fe := components.FormError{Text: refusalText(tr, e)}
	parts := e.Problems
	if len(parts) == 0 {
		parts = []*raftdata.Error{&e}
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

// formFields names the inputs of a refusal after the form's fields:
// names maps the service's input (the API's "to") to the form field that
// carries it ("email"), so the message shows next to that field.
func formFields(fe components.FormError, names map[string]string) components.FormError {
	for from, to := range names {
		msg, ok := fe.Fields[from]
		if !ok {
			continue
		}
		delete(fe.Fields, from)
		if prev := fe.Fields[to]; prev != "" && prev != msg {
			msg = prev + " " + msg
		}
		fe.Fields[to] = msg
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
