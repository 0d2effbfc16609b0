package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
)

// opsDeleteSubmit answers POST /ops/members/{id}/delete (confirm=yes):
// the operator erases an account, as DELETE /api/v1/members/{id} does.
func (w *web) opsDeleteSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	id := c.Params("id")
	if c.FormValue("confirm") != "yes" {
		return w.renderOpsMember(c, a, id, server.Invalid("ops_erase_confirm", "tick the box next to the button to confirm the erasure").On("confirm"))
	}
	if err := w.Deps.Members.DeleteAccount(c.UserContext(), a, id); err != nil {
		return w.renderOpsMember(c, a, id, err)
	}
	setFlash(c, flash{Notice: "member_erased"})
	return seeOther(c, "/ops#members")
}

// opsRetentionSubmit answers POST /ops/retention: a retention run now,
// as POST /api/v1/retention/runs does; the page shows what it removed.
func (w *web) opsRetentionSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	rep, err := w.Deps.Members.RunRetention(c.UserContext())
	if err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: "retention_run", Count: int(rep.IdentitiesPurged + rep.SignaturesPurged + rep.AccountsRemoved +
		rep.JournalPurged + rep.SessionsExpired + rep.AttemptsExpired)})
	return seeOther(c, "/ops#retention")
}
