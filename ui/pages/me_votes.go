package pages

// MeVotes is the votes part of a member's dashboard: the votes open now
// and the latest that closed, with their outcome. It follows the closes
// live (SSE) when the script runs.
type MeVotes struct {
	Open []ProposalItem
	// Ineligible says, for each open vote, why the member does not vote
	// on it ("" when they do: proposals.Ineligibility).
	Ineligible []string
	Closed     []ProposalItem
}

// Why is why the member does not vote on the i-th open vote, "" when they
// do.
func (v MeVotes) Why(i int) string {
	if i < len(v.Ineligible) {
		return v.Ineligible[i]
	}
	return ""
}
