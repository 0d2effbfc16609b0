package pages

// MeVotes is the votes part of a member's dashboard: the votes open now
// and the latest that closed, with their outcome. It follows the closes
// live (SSE) when the script runs.
type MeVotes struct {
	Open   []ProposalItem
	Closed []ProposalItem
}
