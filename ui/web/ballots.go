package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// The pages of proxies, secret ballots, colleges, guests and the turnout
// of votes (issue 15). The API's routes are in ui/api/ballots.go.

// localProxyError carries a refused proxy form to the proposal's page;
// localStandingEmail the email typed in a refused standing proxy form to
// the dashboard.
const (
	localProxyError    = "ui.proxy_error"
	localStandingEmail = "ui.standing_email"
)

// proxyFields names the proxy forms' field for the member who carries the
// vote: the services name it as the API does ("to"), the forms ask for
// an email.
var proxyFields = map[string]string{"to": "email"}

// voteWays fills what a proposal's page shows of how its vote is held
// and, to a member of its electorate, the secret ballot or the proxy
// form (voterStatus has said whether the visitor votes: the others read
// why not instead).
func (w *web) voteWays(c *fiber.Ctx, prop proposals.Proposal, v *pages.Proposal) error {
	tr := v.Page.Tr
	ways := &pages.VoteWays{How: howVoted(tr, prop)}
	if t := prop.Tally; t != nil && (t.Proxied > 0 || len(t.Colleges) > 0 || t.InScope != nil || prop.Secret) {
		ways.Tally = &pages.TallyDetail{Proxied: t.Proxied, Colleges: t.Colleges, InScope: t.InScope, TokensIssued: t.TokensIssued, Secret: prop.Secret, Cast: t.Cast()}
	}
	a, logged := server.Actor(c)
	if prop.Status == proposals.StatusOpen && logged && a.Has(members.RoleMember) {
		switch {
		case prop.Secret:
			if v.Vote.Ineligible == "" {
				ways.Secret = &pages.SecretForm{Proposal: prop.ID, CSRF: v.Page.CSRF, Script: w.assets.URL("ballot.js"), Refusals: secretRefusalsIn(tr)}
			}
		case prop.ProxyCap > 0:
			view, err := w.Deps.Proposals.Proxies(c.UserContext(), a, prop.ID)
			if err != nil {
				return err
			}
			if view.Elector {
				f := &pages.ProxyForm{Proposal: prop.ID, Cap: view.Cap, Given: view.Given, Held: view.Held}
				if err, ok := c.Locals(localProxyError).(error); ok {
					_, fe := w.formError(c, tr, err)
					f.Error, f.Email = formFields(fe, proxyFields), c.FormValue("email")
				}
				ways.Proxy = f
			}
		}
	}
	if len(ways.How) > 0 || ways.Tally != nil || ways.Secret != nil || ways.Proxy != nil {
		v.Ways = ways
	}
	return nil
}

// secretRefusals are the reasons of the refusals ballot.js can meet,
// taking a voting token or casting a secret ballot.
var secretRefusals = []string{"log_in_first", "account_suspended", "account_deleted", "too_many_requests",
	"body_invalid", "no_proposal", "vote_closed", "not_electorate", "not_secret", "token_taken",
	"blinded_invalid", "blinded_wrong_key", "secret_ballot_credential", "choice", "secret_ballot_seq", "vote_college",
	"ballot_key_invalid", "token_signature_invalid", "ballot_proof_invalid", "token_forged", "ballot_proof",
	"ballot_seq_old", "tokens_exhausted", raftdata.ReasonMalformed}

// secretRefusalsIn is the sentence of each of secretRefusals, and of
// each code for the others, in tr's language, in JSON for ballot.js.
func secretRefusalsIn(tr i18n.Tr) string {
	out := make(map[string]string, len(secretRefusals)+len(refusalCodes))
	for _, r := range secretRefusals {
		out[r] = tr.T("err." + r)
	}
	for _, c := range refusalCodes {
		out["code."+string(c)] = tr.T("err.code." + string(c))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// howVoted says how a vote is held, in words.
func howVoted(tr i18n.Tr, prop proposals.Proposal) []string {
	var out []string
	if prop.Secret {
		out = append(out, tr.T("ways.secret"))
	}
	if prop.DoubleMajority {
		out = append(out, tr.T("ways.double_majority"))
	}
	if prop.ProxyCap > 0 {
		out = append(out, tr.F("ways.proxies", prop.ProxyCap))
	}
	if len(prop.Colleges) > 0 {
		names := make([]string, len(prop.Colleges))
		for i, c := range prop.Colleges {
			names[i] = fmt.Sprintf("%s (%d %%)", c.Name, c.WeightPercent)
		}
		out = append(out, tr.F("ways.colleges", strings.Join(names, ", ")))
	}
	return out
}

// proxySubmit answers POST /proposals/{id}/proxy: email= gives the
// member's vote to the member who uses that email; action=take_back
// takes it back.
func (w *web) proxySubmit(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "")
	if !ok {
		return err
	}
	to, err := w.proxyTarget(c, a)
	if err == nil {
		_, err = w.Deps.Proposals.GiveProxy(c.UserContext(), a, prop.ID, to)
	}
	if err != nil {
		c.Locals(localProxyError, err)
		return w.renderProposal(c, prop.ID, nil, nil)
	}
	return seeOther(c, "/proposals/"+prop.ID+"#proxy-heading")
}

// proxyTarget is the member a proxy form names by email ("" to take the
// vote back).
func (w *web) proxyTarget(c *fiber.Ctx, a members.Account) (string, error) {
	if _, err := server.RequireRole(c, members.RoleMember); err != nil {
		return "", err
	}
	if c.FormValue("action") == "take_back" || c.FormValue("action") == "revoke" {
		return "", nil
	}
	m, err := w.Deps.Members.MemberByEmail(c.UserContext(), a, c.FormValue("email"))
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// standingSubmit answers POST /me/proxy: a standing proxy to the member
// who uses email=, or action=revoke.
func (w *web) standingSubmit(c *fiber.Ctx) error {
	a, logged := server.Actor(c)
	if !logged {
		return toLogin(c, "/me")
	}
	to, err := w.proxyTarget(c, a)
	if err == nil {
		_, err = w.Deps.Proposals.SetStandingProxy(c.UserContext(), a, to)
	}
	if err != nil {
		c.Locals(localStandingEmail, c.FormValue("email"))
		return w.renderMe(c, a, "", err)
	}
	return seeOther(c, "/me#me-ballots-heading")
}

// meBallots is the dashboard's section of colleges and proxies.
func (w *web) meBallots(c *fiber.Ctx, a members.Account, rules governance.Rulebook) (*pages.MeBallots, error) {
	if !a.Has(members.RoleMember) && !a.Has(members.RoleApplicant) {
		return nil, nil
	}
	b := &pages.MeBallots{Admitted: a.Admitted, Colleges: len(rules.Colleges) > 0, Script: w.assets.URL("ballot.js")}
	if b.Colleges {
		b.College = governance.CollegeOf(rules.Colleges, a.College)
	}
	if a.Admitted {
		st, err := w.Deps.Proposals.Standing(c.UserContext(), a)
		if err != nil {
			return nil, err
		}
		b.Standing = st
	}
	return b, nil
}

// rulesBallots is what /rules shows of proxies, colleges and turnout.
func (w *web) rulesBallots(c *fiber.Ctx, rules governance.Rulebook) (pages.RulesBallots, error) {
	t, err := w.TurnoutOf(c)
	if err != nil {
		return pages.RulesBallots{}, err
	}
	out := pages.RulesBallots{Proxies: rules.Proxies, Colleges: rules.Colleges}
	for _, k := range governance.Kinds {
		if cal, ok := t.Kinds[k]; ok {
			out.Turnout = append(out.Turnout, pages.KindTurnout{Kind: string(k), Calibration: cal})
		}
	}
	return out, nil
}

// amendmentPage answers GET /amendments/new[?start=suggested] (members):
// an amendment of each kind's quorum and approval and of the proxy cap,
// from the rulebook in force, or from the quorums the turnout of the last
// 12 months suggests.
func (w *web) amendmentPage(c *fiber.Ctx) error {
	if _, ok, err := w.memberPage(c, "/amendments/new"); !ok {
		return err
	}
	rules, err := w.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	t, err := w.TurnoutOf(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.AmendmentNew{VotingMinutes: "10080", Proxies: strconv.Itoa(rules.Rules.Proxies.MaxPerHolder), Suggested: c.Query("start") == "suggested"}
	for _, k := range governance.Kinds {
		rule, ok := rules.Rules.Rule(k)
		if !ok {
			continue
		}
		ak := pages.AmendKind{Kind: string(k), Quorum: strconv.Itoa(rule.QuorumPercent), Approval: strconv.Itoa(rule.ApprovalPercent),
			Suggested: t.Kinds[k].SuggestedPercent}
		if v.Suggested && ak.Suggested > 0 {
			ak.Quorum = strconv.Itoa(ak.Suggested)
		}
		v.Kinds = append(v.Kinds, ak)
	}
	if min := rules.Rules.Voting[governance.Amendment].MinMinutes; min > 10080 {
		v.VotingMinutes = strconv.Itoa(min)
	}
	return w.renderAmendment(c, v, nil)
}

func (w *web) renderAmendment(c *fiber.Ctx, v pages.AmendmentNew, formErr error) error {
	v.Page = w.page(c, "rules", "amend.title")
	status := fiber.StatusOK
	if formErr != nil {
		var fe components.FormError
		status, fe = w.formError(c, v.Page.Tr, formErr)
		v.Error = formFields(fe, amendmentFields())
	}
	return w.render(c, status, pages.AmendmentNewPage(v))
}

// amendmentFields names the form's fields after the rulebook's inputs the
// amendment changes.
func amendmentFields() map[string]string {
	out := map[string]string{"proxies.max_per_holder": "proxies"}
	for _, k := range governance.Kinds {
		out["voting."+string(k)+".quorum_percent"] = "quorum_" + string(k)
		out["voting."+string(k)+".approval_percent"] = "approval_" + string(k)
	}
	return out
}

// amendmentSubmit answers POST /amendments/new: the amendment opens with
// the rulebook in force, each kind's quorum and approval and the proxy
// cap as typed.
func (w *web) amendmentSubmit(c *fiber.Ctx) error {
	a, ok, err := w.memberPage(c, "/amendments/new")
	if !ok {
		return err
	}
	ctx := c.UserContext()
	current, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	get := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	v := pages.AmendmentNew{Title: get("title"), Purpose: get("purpose"), VotingMinutes: get("voting_minutes"), Proxies: get("proxies")}
	rules := current.Rules.Clone()
	var bad raftdata.Problems
	num := func(name, s string) int { return wholeNumber(&bad, name, s) }
	for _, k := range governance.Kinds {
		rule, ok := rules.Rule(k)
		if !ok {
			continue
		}
		ak := pages.AmendKind{Kind: string(k), Quorum: get("quorum_" + string(k)), Approval: get("approval_" + string(k))}
		rule.QuorumPercent, rule.ApprovalPercent = num("quorum_"+string(k), ak.Quorum), num("approval_"+string(k), ak.Approval)
		rules.Voting[k] = rule
		v.Kinds = append(v.Kinds, ak)
	}
	rules.Proxies.MaxPerHolder = num("proxies", v.Proxies)
	minutes := num("voting_minutes", v.VotingMinutes)
	if err := bad.Err(raftdata.CodeInvalid, "whole numbers are needed: "); err != nil {
		return w.renderAmendment(c, v, err)
	}
	prop, err := w.Deps.Proposals.Create(ctx, a, proposals.Draft{Title: v.Title, Purpose: v.Purpose, Kind: governance.Amendment,
		Rules: &rules, VotingMinutes: minutes})
	if err != nil {
		return w.renderAmendment(c, v, err)
	}
	return seeOther(c, "/proposals/"+prop.ID)
}

// memberPage sends an anonymous visitor to the login page, and answers a
// non-member with the error page.
func (w *web) memberPage(c *fiber.Ctx, next string) (members.Account, bool, error) {
	a, logged := server.Actor(c)
	if !logged {
		return a, false, toLogin(c, next)
	}
	if _, err := server.RequireRole(c, members.RoleMember); err != nil {
		return a, false, w.errorPage(c, err)
	}
	return a, true, nil
}

// opsGuestSubmit answers POST /ops/guests (operators): the ops page shows
// the guest's password this once (no redirect: it is never kept, not even
// in a cookie).
func (w *web) opsGuestSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	g := pages.OpsGuests{Name: c.FormValue("name"), Email: c.FormValue("email"), Days: c.FormValue("days")}
	days, err := strconv.Atoi(strings.TrimSpace(g.Days))
	if err != nil {
		err = server.Invalid("not_whole_number", "days is a whole number of days").With("value", g.Days).On("days")
	}
	var guest members.NewGuest
	if err == nil {
		guest, err = w.Deps.Members.InviteGuest(c.UserContext(), a, members.GuestInput{Name: g.Name, Email: g.Email, Days: days})
	}
	if err != nil {
		c.Locals(localGuestForm, g)
		return w.renderOps(c, a, err)
	}
	tr := w.cat.For(server.Lang(c))
	c.Locals(localGuestForm, pages.OpsGuests{Invited: &pages.InvitedGuest{Name: guest.Account.Name, Email: guest.Account.Email,
		Password: guest.Password, ExpiresAt: tr.Date(*guest.Account.ExpiresAt)}})
	return w.renderOps(c, a, nil)
}

// localGuestForm carries the guest form (typed, or just invited) to the
// ops page.
const localGuestForm = "ui.guest_form"

// opsGuests is the ops page's guest form, and whether it is the one the
// request posted.
func opsGuests(c *fiber.Ctx) (pages.OpsGuests, bool) {
	if g, ok := c.Locals(localGuestForm).(pages.OpsGuests); ok {
		return g, true
	}
	return pages.OpsGuests{Days: "30"}, false
}

// opsCollegeSubmit answers POST /ops/members/{id}/college (operators).
func (w *web) opsCollegeSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	id := c.Params("id")
	if err := w.Deps.Members.SetCollege(c.UserContext(), a, id, c.FormValue("college")); err != nil {
		return w.renderOpsMember(c, a, id, err)
	}
	return seeOther(c, "/ops/members/"+id)
}
