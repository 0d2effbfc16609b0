package ui

import (
	"context"

	"coop/proposals"
	"coop/ui/pages"
)

// meVotesShown bounds each list of the dashboard's votes part; the
// proposals page has them all.
const meVotesShown = 5

// meVotes reads the votes open now and the latest closed proposals.
func (w *web) meVotes(ctx context.Context) (pages.MeVotes, error) {
	var v pages.MeVotes
	open, _, err := w.deps.Proposals.List(ctx, string(proposals.StatusOpen), 1)
	if err != nil {
		return v, err
	}
	v.Open = proposalItems(open[:min(len(open), meVotesShown)])
	latest, _, err := w.deps.Proposals.List(ctx, "", 1)
	if err != nil {
		return v, err
	}
	var closed []proposals.Proposal
	for _, p := range latest {
		if p.Status != proposals.StatusOpen && p.Status != proposals.StatusDraft && len(closed) < meVotesShown {
			closed = append(closed, p)
		}
	}
	v.Closed = proposalItems(closed)
	return v, nil
}
