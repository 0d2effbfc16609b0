package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/proposals"
	"coop/raftdata"
	"coop/ui/pages"
	"coop/ui/server"
)

// backupsView says who can open the backups, for /rules and /ops: the
// custodians' names for signed-in visitors only.
func (w *web) backupsView(c *fiber.Ctx) (pages.Backups, error) {
	a, logged := server.Actor(c)
	v, err := w.CustodiansView(c.UserContext(), logged)
	if err != nil {
		return pages.Backups{}, err
	}
	b := pages.Backups{SealedTo: v.BackupsSealedTo, Sealing: custodianSetPage(v.Sealing), Names: logged,
		CanPropose: logged && a.Active() && a.Has(members.RoleMember)}
	if v.Newest != nil && (v.Sealing == nil || v.Newest.Version != v.Sealing.Version) {
		b.Pending = custodianSetPage(v.Newest)
	}
	return b, nil
}

func custodianSetPage(v *server.CustodianSetView) *pages.CustodianSet {
	if v == nil {
		return nil
	}
	out := &pages.CustodianSet{Version: v.Version, Threshold: v.Threshold, Size: v.Size, Registered: v.Registered}
	for _, c := range v.Custodians {
		out.Seats = append(out.Seats, pages.CustodianSeat{Name: c.Name, Registered: c.Registered})
	}
	return out
}

// custodianKeyPage answers GET /me/custodian: an elected custodian
// registers the public key they made on their own machine.
func (w *web) custodianKeyPage(c *fiber.Ctx) error {
	if _, ok := server.Actor(c); !ok {
		return toLogin(c, "/me/custodian")
	}
	return w.renderCustodianKey(c, "", nil)
}

func (w *web) renderCustodianKey(c *fiber.Ctx, typed string, formErr error) error {
	a, _ := server.Actor(c)
	p := w.page(c, "me", "custodian.title")
	v, err := w.CustodiansView(c.UserContext(), true)
	if err != nil {
		return w.errorPage(c, err)
	}
	page := pages.CustodianKey{Page: p, Value: typed}
	if n := v.Newest; n != nil {
		for _, seat := range n.Custodians {
			if seat.Account == a.ID {
				page.Custodian, page.Set, page.PublicKey = true, custodianSetPage(n), seat.PublicKey
			}
		}
	}
	status := fiber.StatusOK
	if formErr != nil {
		status, page.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.CustodianKeyPage(page))
}

// custodianKeySubmit answers POST /me/custodian (public_key).
func (w *web) custodianKeySubmit(c *fiber.Ctx) error {
	if _, ok := server.Actor(c); !ok {
		return toLogin(c, "/me/custodian")
	}
	typed := strings.TrimSpace(c.FormValue("public_key"))
	a, err := server.RequireRole(c, members.RoleMember)
	if err == nil {
		err = w.Deps.Rules.RegisterCustodianKey(c.UserContext(), a.ID, typed)
	}
	if err != nil {
		return w.renderCustodianKey(c, typed, err)
	}
	setFlash(c, flash{Notice: "custodian_key_registered"})
	return seeOther(c, "/me/custodian")
}

// custodiansNewPage answers GET /custodians/new (members): the form of
// a custodians election.
func (w *web) custodiansNewPage(c *fiber.Ctx) error {
	if _, ok := server.Actor(c); !ok {
		return toLogin(c, "/custodians/new")
	}
	if _, err := server.RequireRole(c, members.RoleMember); err != nil {
		return w.errorPage(c, err)
	}
	min, err := w.custodiansMinMinutes(c)
	if err != nil {
		return w.errorPage(c, err)
	}
	return w.renderCustodiansNew(c, pages.CustodiansNew{Threshold: "2", VotingMinutes: strconv.Itoa(min)}, nil)
}

func (w *web) custodiansMinMinutes(c *fiber.Ctx) (int, error) {
	rules, err := w.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return 0, err
	}
	rule, _ := rules.Rules.Rule(governance.Custodians)
	return rule.MinMinutes, nil
}

func (w *web) renderCustodiansNew(c *fiber.Ctx, v pages.CustodiansNew, formErr error) error {
	v.Page = w.page(c, "proposals", "custodians.title")
	v.MinMinutes, _ = w.custodiansMinMinutes(c)
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, v.Page.Tr, formErr)
	}
	return w.render(c, status, pages.CustodiansNewPage(v))
}

// custodiansNewSubmit answers POST /custodians/new (members): the
// custodians are named by email, one per line; the election opens at
// once and the browser goes to its page.
func (w *web) custodiansNewSubmit(c *fiber.Ctx) error {
	if _, ok := server.Actor(c); !ok {
		return toLogin(c, "/custodians/new")
	}
	get := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	v := pages.CustodiansNew{Title: get("title"), Purpose: get("purpose"), Threshold: get("threshold"),
		Emails: get("emails"), VotingMinutes: get("voting_minutes")}
	a, err := server.RequireRole(c, members.RoleMember)
	if err != nil {
		return w.renderCustodiansNew(c, v, err)
	}
	d, err := w.custodiansDraft(c, a, v)
	if err != nil {
		return w.renderCustodiansNew(c, v, err)
	}
	prop, err := w.Deps.Proposals.Create(c.UserContext(), a, d)
	if err != nil {
		return w.renderCustodiansNew(c, v, err)
	}
	return seeOther(c, "/proposals/"+prop.ID)
}

// custodiansDraft turns the form into a draft, each email into the
// account of the member who uses it.
func (w *web) custodiansDraft(c *fiber.Ctx, a members.Account, v pages.CustodiansNew) (proposals.Draft, error) {
	k, errK := strconv.Atoi(v.Threshold)
	minutes, errM := strconv.Atoi(v.VotingMinutes)
	if errK != nil || errM != nil {
		return proposals.Draft{}, raftdata.Refuse(raftdata.CodeInvalid, "whole_numbers", "the threshold and the voting minutes are whole numbers").On("threshold")
	}
	set := governance.CustodianSet{Threshold: k}
	for _, line := range strings.FieldsFunc(v.Emails, func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m, err := w.Deps.Members.MemberByEmail(c.UserContext(), a, line)
		if err != nil {
			return proposals.Draft{}, err
		}
		set.Accounts = append(set.Accounts, m.ID)
	}
	return proposals.Draft{Title: v.Title, Purpose: v.Purpose, Kind: governance.Custodians, Custodians: &set, VotingMinutes: minutes}, nil
}

// proposalCustodians shows the set a custodians election names: the
// names to signed-in visitors only.
func (w *web) proposalCustodians(c *fiber.Ctx, prop proposals.Proposal, v *pages.Proposal) error {
	if prop.Custodians == nil {
		return nil
	}
	_, logged := server.Actor(c)
	set := &pages.CustodianSet{Threshold: prop.Custodians.Threshold, Size: len(prop.Custodians.Accounts)}
	if logged {
		for _, id := range prop.Custodians.Accounts {
			acct, err := w.Deps.Members.Get(c.UserContext(), id)
			if err != nil && raftdata.ErrorCode(err) != raftdata.CodeNotFound {
				return err
			}
			set.Seats = append(set.Seats, pages.CustodianSeat{Name: acct.Name, Registered: false})
		}
	}
	v.Custodians = set
	return nil
}
