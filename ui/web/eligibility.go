package web

import (
	"context"

	"coop/members"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// voterStatus fills what the ballot part of an open proposal's page
// shows the visitor a (zero for an anonymous one): the form for a voter;
// otherwise why they do not vote, and what they may still do.
func (w *web) voterStatus(ctx context.Context, tr i18n.Tr, a members.Account, prop proposals.Proposal, f *pages.VoteForm) error {
	reason, err := w.Ineligibility(ctx, a, prop)
	if err != nil {
		return err
	}
	if reason == "" {
		f.Show = true
		return nil
	}
	f.Ineligible = reason
	if prop.OpenedAt != nil {
		f.Since = tr.Date(*prop.OpenedAt)
	}
	contributor := a.Has(members.RoleMember) || a.Has(members.RoleApplicant)
	f.CanObject = a.Active() && contributor && prop.Kind.UsesData()
	f.CanDiscuss = a.Active() && (a.Has(members.RoleMember) || a.ID == prop.Requester)
	f.CanRead = a.ID != ""
	return nil
}
