package ui

import (
	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// rulesPage answers GET /rules: the rulebook in force, in plain words.
func (w *web) rulesPage(c *fiber.Ctx) error {
	p := w.page(c, "rules", "rules.title")
	v, err := w.deps.Rules.Current(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	backups, err := w.backupsView(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	view := pages.Rules{Page: p, Version: v.Version, Disclosure: v.Rules.Disclosure, Retention: v.Rules.Retention, Backups: backups}
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
