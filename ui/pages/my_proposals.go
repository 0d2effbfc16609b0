package pages

import "coop/ui/components"

// MyProposals is a researcher's page: the proposals they submitted and
// the grants the passed ones hold.
type MyProposals struct {
	Page      components.Page
	Proposals []MyProposal
}

// MyProposal is one of them, with its grant once it passed.
type MyProposal struct {
	Item  ProposalItem
	Grant *GrantView
}
