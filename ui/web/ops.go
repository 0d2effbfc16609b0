package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
	"coop/ui/components"
	"coop/ui/pages"
	"coop/ui/server"
)

// opsJournalShown bounds the access journal on the operators' page; the
// API has more (GET /api/v1/journal).
const opsJournalShown = 50

// operatorPage lets an operator through; an anonymous visitor goes to the
// login page, anyone else gets the 403 page. When ok is false the answer
// is written already and err is what to return.
func (w *web) operatorPage(c *fiber.Ctx, next string) (a members.Account, ok bool, err error) {
	a, logged := server.Actor(c)
	if !logged {
		return a, false, toLogin(c, next)
	}
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return a, false, w.errorPage(c, err)
	}
	return a, true, nil
}

// opsPage answers GET /ops[?q=&page=] (operators): the health summary,
// the applicants queue, a page of the accounts (those whose name or email
// holds q), the cluster, the access journal, the backups.
func (w *web) opsPage(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	return w.renderOps(c, a, nil)
}

// opsApplicantsShown bounds the applicants queue on /ops; the others are
// found with the members' search (and GET /api/v1/members/applicants).
const opsApplicantsShown = 50

// renderOps draws the operators' page; formErr is a refused change.
func (w *web) renderOps(c *fiber.Ctx, a members.Account, formErr error) error {
	p := w.page(c, "ops", "ops.title")
	ctx := c.UserContext()
	query := strings.TrimSpace(c.Query("q"))
	list, err := w.Deps.Members.AccountsPage(ctx, a, query, c.QueryInt("page", 1))
	if err != nil {
		return w.errorPage(c, err)
	}
	accesses, err := w.Deps.Pools.AccessSummary(ctx, opsJournalShown)
	if err != nil {
		return w.errorPage(c, err)
	}
	backups, err := w.backupsView(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.Ops{Page: p, Members: list, Query: query, Accesses: accesses, Backups: backups,
		PoolTitles: w.poolTitles(ctx, p.Tr.Lang)}
	v.Pages = (list.Total + members.AccountsPageSize - 1) / members.AccountsPageSize
	pageURL := func(n int) string {
		q := url.Values{}
		if query != "" {
			q.Set("q", query)
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return "/ops#members"
		}
		return "/ops?" + q.Encode() + "#members"
	}
	if list.Page > 1 {
		v.PrevURL = pageURL(list.Page - 1)
	}
	if list.More {
		v.NextURL = pageURL(list.Page + 1)
	}
	var posted bool
	v.Guests, posted = opsGuests(c)
	if v.Applicants, err = w.applicantsFor(ctx, a); err != nil {
		return w.errorPage(c, err)
	}
	if n := len(v.Applicants.List); n > opsApplicantsShown {
		v.Applicants.List, v.MoreApplicants = v.Applicants.List[:opsApplicantsShown], n-opsApplicantsShown
	}
	if cs, err := w.Deps.Cluster.Cluster(ctx); err != nil {
		v.ClusterError = true
		w.Log.Warn("cluster status unreadable on /ops", "error", err)
	} else {
		v.Leader, v.Term, v.Nodes = cs.Leader, cs.Term, opsNodes(cs)
	}
	v.Health = w.opsHealth(p.Tr, v.Nodes)
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
		if posted {
			v.Guests.Error, v.Error = v.Error, components.FormError{}
		}
	}
	return w.render(c, status, pages.OpsPage(v))
}

// poolTitles names each pool in lang, for the access journal.
func (w *web) poolTitles(ctx context.Context, lang string) map[string]string {
	out := map[string]string{}
	if pools, err := w.Deps.Pools.Pools(ctx); err == nil {
		for _, p := range pools {
			out[p.ID] = p.TitleIn(lang)
		}
	}
	return out
}

// opsNodes lists the nodes with their lag behind the leader's applied
// index, and what is wrong with each.
func opsNodes(cs raftdata.ClusterStatus) []pages.OpsNode {
	var leaderApplied uint64
	for _, n := range cs.Nodes {
		if n.ID == cs.Leader {
			leaderApplied = n.AppliedIndex
		}
	}
	out := make([]pages.OpsNode, 0, len(cs.Nodes))
	for _, n := range cs.Nodes {
		o := pages.OpsNode{ID: n.ID, Address: n.Address, State: n.State, Applied: n.AppliedIndex, IsLeader: n.ID == cs.Leader}
		switch {
		case n.Error != "":
			o.Problem = "unreachable"
		case n.StorageError != "":
			o.Problem = "storage"
		}
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
		err, notice = w.Deps.Members.GrantRole(ctx, a, id, role), "role_granted"
	case "revoke":
		err, notice = w.Deps.Members.RevokeRole(ctx, a, id, role), "role_revoked"
	default:
		err = server.Invalid("action", "action must be grant or revoke")
	}
	if err != nil {
		return w.renderOpsMember(c, a, id, err)
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/ops/members/"+id)
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
		err, notice = w.Deps.Members.Suspend(ctx, a, id), "member_suspended"
	case "reinstate":
		err, notice = w.Deps.Members.Reinstate(ctx, a, id), "member_reinstated"
	default:
		err = server.Invalid("action", "action must be suspend or reinstate")
	}
	if err != nil {
		return w.renderOpsMember(c, a, id, err)
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/ops/members/"+id)
}

// opsRemoveNodeSubmit answers POST /ops/nodes/{id}/remove: the node leaves
// the cluster for good (the operator confirms with a checkbox).
func (w *web) opsRemoveNodeSubmit(c *fiber.Ctx) error {
	a, ok, err := w.operatorPage(c, "/ops")
	if !ok {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return w.renderOps(c, a, server.Invalid("node_confirm", "tick the box to confirm the node leaves the cluster").On("confirm"))
	}
	if err := server.RemoveFromCluster(c.UserContext(), w.Deps.Cluster, c.Params("id")); err != nil {
		return w.renderOps(c, a, err)
	}
	setFlash(c, flash{Notice: "node_removed"})
	return seeOther(c, "/ops")
}
