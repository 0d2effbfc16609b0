package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/ui/components"
	"coop/ui/pages"
	"coop/ui/server"
)

// meConnections bounds the connection journal the dashboard shows; the
// whole journal is in the export.
const meConnections = 10

// mePage answers GET /me: the member's dashboard.
func (w *web) mePage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me")
	}
	return w.renderMe(c, a, "", nil)
}

// renderMe draws the dashboard. A refused consent form (formErr) is shown
// next to the pool it was about, or above the pools when that pool is not
// listed, and sets the status.
func (w *web) renderMe(c *fiber.Ctx, a members.Account, pool string, formErr error) error {
	p := w.page(c, "me", "me.heading")
	ctx := c.UserContext()
	pools, consents, records, err := w.memberPools(ctx, a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	uses, err := w.Deps.Pools.AccessJournal(ctx, a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	conns, err := w.Deps.Members.Journal(ctx, a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	if len(conns) > meConnections {
		conns = conns[:meConnections]
	}
	votes, err := w.meVotes(ctx, a)
	if err != nil {
		return w.errorPage(c, err)
	}
	ledger, err := w.Deps.Pools.Ledger(ctx, a.ID, time.Now())
	if err != nil {
		return w.errorPage(c, err)
	}
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	var ids []string
	for _, u := range uses {
		ids = append(ids, u.Proposal)
	}
	for _, l := range ledger.Lines {
		ids = append(ids, l.Proposal)
	}
	view := pages.Me{Page: p, Account: a, Pools: poolConsents(pools, consents, records), Uses: uses, Connections: conns,
		Ledger: pooling.PrivacyLoss(uses), Privacy: ledger, Cap: rules.Rules.Disclosure.MemberEpsilonPerYear(),
		Votes: votes, Titles: w.proposalTitles(ctx, ids)}
	view.Membership = rules.Rules.Membership
	if view.Ballots, err = w.meBallots(c, a, rules.Rules); err != nil {
		return w.errorPage(c, err)
	}
	if a.Admitted && view.Membership.Admission == governance.AdmitBySponsors {
		q, err := w.applicantsFor(ctx, a)
		if err != nil {
			return w.errorPage(c, err)
		}
		view.Applicants = &q
	}

	status := fiber.StatusOK
	if formErr != nil {
		var fe components.FormError
		status, fe = w.formError(c, p.Tr, formErr)
		view.Error = fe
		if email, ok := c.Locals(localStandingEmail).(string); ok && view.Ballots != nil {
			view.Ballots.Error, view.Ballots.Email, view.Error = formFields(fe, proxyFields), email, components.FormError{}
		}
		for i := range view.Pools {
			if view.Pools[i].Pool.ID == pool {
				view.Pools[i].Error, view.Error = fe, components.FormError{}
			}
		}
	}
	return w.render(c, status, pages.MePage(view))
}

// poolConsents joins each pool with the member's consent and record count.
func poolConsents(pools []pooling.Pool, consents []pooling.Consent, records []pooling.StoredRecord) []pages.PoolConsent {
	byPool := map[string]pooling.Consent{}
	for _, c := range consents {
		byPool[c.Pool] = c
	}
	counts := map[string]int{}
	for _, r := range records {
		counts[r.Pool]++
	}
	out := make([]pages.PoolConsent, 0, len(pools))
	for _, p := range pools {
		c, decided := byPool[p.ID]
		out = append(out, pages.PoolConsent{Pool: p, Granted: c.Granted, Decided: decided, Records: counts[p.ID]})
	}
	return out
}

// memberPools reads what the dashboard and the records page both show: the
// pools, the member's consents and the member's records.
func (w *web) memberPools(ctx context.Context, accountID string) ([]pooling.Pool, []pooling.Consent, []pooling.StoredRecord, error) {
	pools, err := w.Deps.Pools.Pools(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	consents, _, err := w.Deps.Pools.Consents(ctx, accountID)
	if err != nil {
		return nil, nil, nil, err
	}
	records, err := w.Deps.Pools.Records(ctx, accountID, "")
	if err != nil {
		return nil, nil, nil, err
	}
	return pools, consents, records, nil
}
