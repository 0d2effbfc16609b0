package pages

import (
	"time"

	"coop/ui/components"
)

// ProposalHead is what the sub-pages of a proposal (discussion, ballot
// list, objection) say of it above their own content.
type ProposalHead struct {
	ID     string
	Title  string
	Status string
	Kind   string
}

// Discussion is a proposal's discussion: members and its requester read
// and post comments.
type Discussion struct {
	Page     components.Page
	Proposal ProposalHead
	Comments []CommentView
	CanPost  bool   // not a draft, and the reader is a member or the requester
	Body     string // the refused comment, kept in the form
	Error    components.FormError
}

// CommentView is one comment, its author said in words and by the
// pseudonym of this proposal (the member's name never appears: "member
// K7QF2", "you", "the requester").
type CommentView struct {
	Author     string // "you", "requester" or "member"
	Pseudonym  string // "" for a comment older than pseudonyms
	Paragraphs []string
	At         time.Time
}

// Ballots is the pseudonymous ballot list of a closed vote and the form
// where a voter checks their receipt against it.
type Ballots struct {
	Page      components.Page
	Proposal  ProposalHead
	Published bool // the vote is closed: the list is public to members
	Ballots   []BallotRow
	Counts    map[string]int // choice -> ballots, recounted from the list
	Check     *ReceiptCheck  // the answer to a receipt the member pasted
	Error     components.FormError
}

// BallotRow is one published ballot: the hash of its receipt and its choice.
type BallotRow struct {
	Hash   string
	Choice string
	Mine   bool // matches the receipt just checked
	Proxy  bool // a vote a proxy holder cast for a member who did not vote
}

// ReceiptCheck is the answer to a pasted receipt.
type ReceiptCheck struct {
	Hash   string
	Found  bool
	Choice string
}

// Objection is a member's choice to keep their data out of a proposal's
// grant, whatever the vote said.
type Objection struct {
	Page      components.Page
	Proposal  ProposalHead
	Objecting bool
	Error     components.FormError
}
