package web

import (
	"context"

	"coop/members"
	"coop/proposals"
	"coop/ui/pages"
)

// meVotesShown bounds each list of the dashboard's votes part; the
// proposals page has them all.
const meVotesShown = 5

// meVotes reads the votes open now, each with whether a votes on it (and
// why not), and the latest closed proposals.
func (w *web) meVotes(ctx context.Context, a members.Account) (pages.MeVotes, error) {
	var v pages.MeVotes
	open, _, err := w.Deps.Proposals.List(ctx, string(proposals.StatusOpen), 1)
	if err != nil {
		return v, err
	}
	open = open[:min(len(open), meVotesShown)]
	v.Open = proposalItems(open)
	v.Ineligible = make([]string, len(open))
	for i, p := range open {
		if v.Ineligible[i], err = w.Ineligibility(ctx, a, p); err != nil {
			return v, err
		}
	}
	latest, _, err := w.Deps.Proposals.List(ctx, "", 1)
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

// proposalTitles names the proposals the journal's lines point to; one
// that cannot be read keeps the generic link text.
func (w *web) proposalTitles(ctx context.Context, ids []string) map[string]string {
	titles, tried := map[string]string{}, map[string]bool{}
	for _, id := range ids {
		if tried[id] || id == "" {
			continue
		}
		tried[id] = true
		if p, err := w.Deps.Proposals.Get(ctx, id); err == nil {
			titles[id] = p.Title
		}
	}
	return titles
}
