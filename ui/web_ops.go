package ui

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
	"coop/ui/pages"
)

// opsJournalShown bounds the access journal on the operators' page; the
// API has more (GET /api/v1/journal).
const opsJournalShown = 50

// operatorPage lets an operator through; an anonymous visitor goes to the
// login page, anyone else gets the 403 page. When ok is false the answer
// is written already and err is what to return.
func (w *web) operatorPage(c *fiber.Ctx, next string) (a members.Account, ok bool, err error) {
	a, logged := actor(c)
	if !logged {
		return a, false, toLogin(c, next)
	}
	if _, err := requireRole(c, members.RoleOperator); err != nil {
		return a, false, w.errorPage(c, err)
	}
	return a, true, nil
}

// opsPage answers GET /ops (operators): the cluster and the accounts.
func (w *web) opsPage(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	return w.renderOps(c, a, nil)
}

// renderOps draws the operators' page; formErr is a refused change.
func (w *web) renderOps(c *fiber.Ctx, a members.Account, formErr error) error {
	p := w.page(c, "ops", "ops.title")
	ctx := c.UserContext()
	accounts, err := w.deps.Members.Accounts(ctx, a)
	if err != nil {
		return w.errorPage(c, err)
	}
	accesses, err := w.deps.Pools.AccessSummary(ctx, opsJournalShown)
	if err != nil {
		return w.errorPage(c, err)
	}
	backups, err := w.backupsView(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.Ops{Page: p, Accounts: accounts, Accesses: accesses, Backups: backups, Self: a.ID,
		ResetLinks: w.deps.Mailer == nil}
	if v.Applicants, err = w.applicantsFor(ctx, a); err != nil {
		return w.errorPage(c, err)
	}
	if cs, err := w.deps.Cluster.Cluster(ctx); err != nil {
		v.ClusterError = asCoded(err).Message
	} else {
		v.Leader, v.Term, v.Nodes = cs.Leader, cs.Term, opsNodes(cs)
	}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.OpsPage(v))
}

// opsNodes lists the nodes with their lag behind the leader's applied
// index.
func opsNodes(cs raftdata.ClusterStatus) []pages.OpsNode {
	var leaderApplied uint64
	for _, n := range cs.Nodes {
		if n.ID == cs.Leader {
			leaderApplied = n.AppliedIndex
		}
	}
	out := make([]pages.OpsNode, 0, len(cs.Nodes))
	for _, n := range cs.Nodes {
		o := pages.OpsNode{ID: n.ID, Address: n.Address, State: n.State, Applied: n.AppliedIndex,
			IsLeader: n.ID == cs.Leader, Error: n.Problem()}
		if leaderApplied > n.AppliedIndex {
			o.Lag = leaderApplied - n.AppliedIndex
		}
		out = append(out, o)
	}
	return out
}

// opsRoleSubmit answers POST /ops/members/{id}/role (role=researcher,
// action=grant|revoke).
func (w *web) opsRoleSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	id, role := c.Params("id"), c.FormValue("role")
	ctx := c.UserContext()
	var notice string
	switch c.FormValue("action") {
	case "grant":
		err, notice = w.deps.Members.GrantRole(ctx, a, id, role), "role_granted"
	case "revoke":
		err, notice = w.deps.Members.RevokeRole(ctx, a, id, role), "role_revoked"
	default:
		err = invalid("action", "action must be grant or revoke")
	}
	if err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/ops#member-"+id)
}

// opsStatusSubmit answers POST /ops/members/{id}/status
// (action=suspend|reinstate).
func (w *web) opsStatusSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	id := c.Params("id")
	ctx := c.UserContext()
	var notice string
	switch c.FormValue("action") {
	case "suspend":
		err, notice = w.deps.Members.Suspend(ctx, a, id), "member_suspended"
	case "reinstate":
		err, notice = w.deps.Members.Reinstate(ctx, a, id), "member_reinstated"
	default:
		err = invalid("action", "action must be suspend or reinstate")
	}
	if err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/ops#member-"+id)
}

// opsRemoveNodeSubmit answers POST /ops/nodes/{id}/remove: the node leaves
// the cluster for good (the operator confirms with a checkbox).
func (w *web) opsRemoveNodeSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return w.renderOps(c, a, invalid("node_confirm", "tick the box to confirm the node leaves the cluster").On("confirm"))
	}
	if err := removeFromCluster(c.UserContext(), w.deps.Cluster, c.Params("id")); err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: "node_removed"})
	return seeOther(c, "/ops")
}
