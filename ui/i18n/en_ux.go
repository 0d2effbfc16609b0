package i18n

// englishUX are the sentences of the pages issue #16 added last: who
// votes and why not, the receipt to keep, the researchers' forms, the
// operators' members and health.
func englishUX() map[string]string {
	return map[string]string{
		"vote.why.not_signed_in":          "Only admitted members vote. Not a member yet?",
		"vote.why.not_admitted":           "You do not vote on this proposal: your membership has not been admitted yet.",
		"vote.why.not_member":             "You do not vote on this proposal: only admitted members vote, and this account is not a member's.",
		"vote.why.requester":              "You do not vote on this proposal: you made it.",
		"vote.why.admitted_after_open":    "You do not vote on this proposal: you were admitted after its vote opened.",
		"vote.why.no_current_charter":     "You do not vote on this proposal: you have not signed the current member charter.",
		"vote.why.not_in_electorate":      "You do not vote on this proposal: you were not among its voters when the vote opened.",
		"vote.fixed":                      "Its voters were fixed when the vote opened, on %s.",
		"vote.can":                        "You can still:",
		"vote.can.object":                 "keep your data out of this proposal, whatever the vote decides",
		"vote.can.discuss":                "take part in the discussion",
		"vote.can.read_discussion":        "read the discussion",
		"vote.can.charter":                "sign the current charter, to vote on the next proposals",
		"vote.can.read":                   "read what the proposal asks and what it would reveal (above).",
		"vote.can.signup":                 "Join the cooperative",
		"vote.receipt.copy":               "Copy the receipt",
		"vote.receipt.copied":             "Copied.",
		"vote.receipt.download":           "Download the receipt",
		"receipt.file.name":               "ballot-receipt",
		"receipt.file.title":              "coop: the receipt of your ballot",
		"receipt.file.proposal":           "Proposal: %s",
		"receipt.file.choice":             "Your choice: %s",
		"receipt.file.receipt":            "Receipt (keep it to yourself): %s",
		"receipt.file.hash":               "What the published list of ballots shows of it: %s",
		"receipt.file.check":              "Once the vote closes, the list of ballots is published at %s: paste the receipt there to check that your ballot is counted as you cast it.",
		"err.receipt_invalid":             "A receipt is 32 characters, digits and the letters a to f.",
		"me.vote.yours":                   "You vote on it",
		"me.vote.why.not_signed_in":       "Log in to vote",
		"me.vote.why.not_admitted":        "You do not vote on it: not admitted yet",
		"me.vote.why.not_member":          "You do not vote on it: not a member",
		"me.vote.why.requester":           "You do not vote on it: you made it",
		"me.vote.why.admitted_after_open": "You do not vote on it: admitted after it opened",
		"me.vote.why.no_current_charter":  "You do not vote on it: the current charter is not signed",
		"me.vote.why.not_in_electorate":   "You do not vote on it: not among its voters",
	}
}
