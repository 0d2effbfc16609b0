package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// rulesPage answers GET /rules: the rulebook in force, in plain words.
func (w *web) rulesPage(c *fiber.Ctx) error {
	p := w.page(c, "rules", "rules.title")
	v, err := w.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	backups, err := w.backupsView(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	view := pages.Rules{Page: p, Version: v.Version, Disclosure: v.Rules.Disclosure, Retention: v.Rules.Retention,
		Membership: v.Rules.Membership, Limits: v.HardLimits, Backups: backups}
	if view.Journal, err = w.membershipJournal(c); err != nil {
		return w.errorPage(c, err)
	}
	if view.Ballots, err = w.rulesBallots(c, v.Rules); err != nil {
		return w.errorPage(c, err)
	}
	for _, k := range governance.Kinds {
		rule, ok := v.Rules.Rule(k)
		if !ok {
			continue
		}
		view.Kinds = append(view.Kinds, pages.KindRule{Kind: string(k), Rule: rule,
			MinDuration: duration(p.Tr, rule.MinMinutes), MaxDuration: duration(p.Tr, rule.MaxMinutes)})
	}
	return w.render(c, fiber.StatusOK, pages.RulesPage(view))
}

// rulesJournalShown bounds the membership journal's entries on /rules;
// the API pages through the rest (GET /api/v1/members/journal).
const rulesJournalShown = 20

// membershipJournal is what /rules shows of the membership journal: the
// monthly counts to everyone, the latest entries to members and
// operators.
func (w *web) membershipJournal(c *fiber.Ctx) (pages.MembershipJournal, error) {
	ctx := c.UserContext()
	if a, ok := server.Actor(c); ok && a.Require(members.RoleMember, members.RoleOperator) == nil {
		j, err := w.Deps.Members.MembershipJournal(ctx, a, 1)
		if err != nil {
			return pages.MembershipJournal{}, err
		}
		return pages.MembershipJournal{Months: j.Months, Entries: j.Entries[:min(len(j.Entries), rulesJournalShown)], CanRead: true}, nil
	}
	months, err := w.Deps.Members.MonthlyCounts(ctx)
	return pages.MembershipJournal{Months: months}, err
}

// duration writes a number of minutes in the largest whole unit.
func duration(tr i18n.Tr, minutes int) string {
	switch {
	case minutes > 0 && minutes%1440 == 0:
		return tr.N("unit.day", minutes/1440)
	case minutes > 0 && minutes%60 == 0:
		return tr.N("unit.hour", minutes/60)
	}
	return tr.N("unit.minute", minutes)
}
