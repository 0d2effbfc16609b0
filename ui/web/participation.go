package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/proposals"
	"coop/ui/components"
	"coop/ui/pages"
	"coop/ui/server"
)

// The sub-pages of a proposal where members take part beyond their
// ballot: its discussion, the published ballot list with the receipt
// check, and the member's objection to the use of their data.

// proposalFor loads a proposal for one of its sub-pages. An anonymous
// visitor goes to the login page and back; an unknown proposal is the 404
// page. When ok is false the answer is written already and err is what to
// return.
func (w *web) proposalFor(c *fiber.Ctx, sub string) (a members.Account, prop proposals.Proposal, ok bool, err error) {
	id := c.Params("id")
	a, logged := server.Actor(c)
	if !logged {
		next := "/proposals/" + id
		if sub != "" {
			next += "/" + sub
		}
		return a, prop, false, toLogin(c, next)
	}
	prop, err = w.Deps.Proposals.Get(c.UserContext(), id)
	if err != nil {
		return a, prop, false, w.errorPage(c, err)
	}
	return a, prop, true, nil
}

func proposalHead(p proposals.Proposal) pages.ProposalHead {
	return pages.ProposalHead{ID: p.ID, Title: p.Title, Status: string(p.Status), Kind: string(p.Kind)}
}

// discussionPage answers GET /proposals/{id}/discussion: every signed-in
// account reads it; members and the proposal's requester write.
func (w *web) discussionPage(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "discussion")
	if !ok {
		return err
	}
	return w.renderDiscussion(c, a, prop, "", nil)
}

// commentSubmit answers POST /proposals/{id}/discussion (body).
func (w *web) commentSubmit(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "discussion")
	if !ok {
		return err
	}
	body := c.FormValue("body")
	if err := w.Deps.Proposals.Comment(c.UserContext(), a, prop.ID, body); err != nil {
		return w.renderDiscussion(c, a, prop, body, err)
	}
	setFlash(c, flash{Notice: "commented"})
	return seeOther(c, "/proposals/"+prop.ID+"/discussion#comments")
}

func (w *web) renderDiscussion(c *fiber.Ctx, a members.Account, prop proposals.Proposal, body string, formErr error) error {
	list, err := w.Deps.Proposals.Comments(c.UserContext(), a.ID, prop.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "proposals", "discussion.title")
	p.Title = p.Tr.F("discussion.page_title", prop.Title)
	canWrite := a.Has(members.RoleMember) || a.ID == prop.Requester
	v := pages.Discussion{Page: p, Proposal: proposalHead(prop), CanPost: canWrite && prop.Status != proposals.StatusDraft, Body: body}
	for _, cm := range list {
		author := "member"
		switch {
		case cm.Mine:
			author = "you"
		case cm.Requester:
			author = "requester"
		}
		v.Comments = append(v.Comments, pages.CommentView{Author: author, Pseudonym: cm.Pseudonym, Paragraphs: paragraphs(cm.Body), At: cm.At})
	}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.DiscussionPage(v))
}

// ballotsPage answers GET /proposals/{id}/ballots: the pseudonymous
// ballot list once the vote is closed, read by every signed-in account
// (members, the requester, operators, guests), so anyone may recount.
func (w *web) ballotsPage(c *fiber.Ctx) error {
	_, prop, ok, err := w.proposalFor(c, "ballots")
	if !ok {
		return err
	}
	return w.renderBallots(c, prop, "")
}

// receiptCheckSubmit answers POST /proposals/{id}/ballots (receipt): the
// page says whether the receipt's ballot is in the list, and as what. The
// receipt travels in a form body, never in a URL.
func (w *web) receiptCheckSubmit(c *fiber.Ctx) error {
	_, prop, ok, err := w.proposalFor(c, "ballots")
	if !ok {
		return err
	}
	return w.renderBallots(c, prop, c.FormValue("receipt"))
}

func (w *web) renderBallots(c *fiber.Ctx, prop proposals.Proposal, receipt string) error {
	if _, err := server.RequireAccount(c); err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "proposals", "ballots.title")
	p.Title = p.Tr.F("ballots.page_title", prop.Title)
	v := pages.Ballots{Page: p, Proposal: proposalHead(prop), Counts: map[string]int{}}
	status := fiber.StatusOK
	if prop.Status != proposals.StatusOpen && prop.Status != proposals.StatusDraft {
		list, err := w.Deps.Proposals.Ballots(c.UserContext(), prop.ID)
		if err != nil {
			return w.errorPage(c, err)
		}
		v.Published = true
		receipt = strings.TrimSpace(receipt)
		if receipt != "" {
			v.Check = &pages.ReceiptCheck{Hash: proposals.ReceiptHash(receipt)}
		}
		for _, b := range list {
			row := pages.BallotRow{Hash: b.ReceiptHash, Choice: b.Choice, Proxy: b.Proxy}
			if v.Check != nil && b.ReceiptHash == v.Check.Hash {
				row.Mine, v.Check.Found, v.Check.Choice = true, true, b.Choice
			}
			if v.Check != nil && b.HolderReceiptHash == v.Check.Hash {
				row.Mine = true // a vote the receipt's ballot carried for a giver
			}
			v.Counts[b.Choice]++
			v.Ballots = append(v.Ballots, row)
		}
	} else if c.Method() == fiber.MethodPost {
		status = fiber.StatusConflict
		v.Error = components.FormError{Text: p.Tr.T("ballots.unpublished")}
	}
	return w.render(c, status, pages.BallotsPage(v))
}

// objectionPage answers GET /proposals/{id}/objection (members).
func (w *web) objectionPage(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "objection")
	if !ok {
		return err
	}
	return w.renderObjection(c, a, prop, nil)
}

// objectionSubmit answers POST /proposals/{id}/objection (object=true to
// keep the member's data out of the grant, false to let it in again).
func (w *web) objectionSubmit(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "objection")
	if !ok {
		return err
	}
	if _, err := server.RequireContributor(c); err != nil {
		return w.errorPage(c, err)
	}
	var object bool
	switch c.FormValue("object") {
	case "true":
		object = true
	case "false":
	default:
		return w.renderObjection(c, a, prop, server.Invalid("object_required", "object must be true or false").On("object"))
	}
	if err := w.Deps.Proposals.Object(c.UserContext(), a, prop.ID, object); err != nil {
		return w.renderObjection(c, a, prop, err)
	}
	notice := "objection_withdrawn"
	if object {
		notice = "objection_recorded"
	}
	setFlash(c, flash{Notice: notice})
	return seeOther(c, "/proposals/"+prop.ID+"/objection")
}

func (w *web) renderObjection(c *fiber.Ctx, a members.Account, prop proposals.Proposal, formErr error) error {
	if _, err := server.RequireContributor(c); err != nil {
		return w.errorPage(c, err)
	}
	objecting, err := w.Deps.Proposals.Objecting(c.UserContext(), prop.ID, a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "proposals", "objection.title")
	p.Title = p.Tr.F("objection.page_title", prop.Title)
	v := pages.Objection{Page: p, Proposal: proposalHead(prop), Objecting: objecting}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.ObjectionPage(v))
}

// openSubmit answers POST /proposals/{id}/open: the requester opens the
// vote on their draft; its electorate is fixed now.
func (w *web) openSubmit(c *fiber.Ctx) error {
	a, prop, ok, err := w.proposalFor(c, "")
	if !ok {
		return err
	}
	if _, err := w.Deps.Proposals.Open(c.UserContext(), a, prop.ID); err != nil {
		return w.errorPage(c, err)
	}
	setFlash(c, flash{Notice: "proposal_opened"})
	return seeOther(c, "/proposals/"+prop.ID)
}
