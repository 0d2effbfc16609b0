package proposals

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// openVotes keeps in memory what a ballot needs to know about the votes
// under way, so the hot path of the FSM writes without reading: the
// deadline, rule and electorate fixed at opening, the participation, and
// each voter's key and current choice once seen. A changed ballot is then
// one write (the ballot), a first ballot two (and the participation).
//
// It is state derived from the tables, never a source (raftdata/DESIGN.md,
// "Memory mirrors tables"): an entry is loaded from SQLite on first use,
// changed only after the ballot's writes succeeded (so a refused ballot
// leaves it as it was), and dropped whenever anything else touches what it
// mirrors: the close of the vote, an erasure (which cuts accounts from
// their voter keys), and what raftdata reports to Registry.Mirror (a batch
// rolled back on a full disk, a snapshot restore). Only FSM handlers use
// it, one at a time; the mutex covers the drop hook.
type openVotes struct {
	mu    sync.Mutex
	votes map[string]*openVote
}

type openVote struct {
	deadline      time.Time
	rule          governance.VotingRule
	electorate    int
	participation int              // ballots cast
	counted       bool             // the proposal has its proposals_tallies row
	voters        map[string]voter // by account id, filled as ballots arrive
}

type voter struct {
	key    string // the voter key in the electorate
	choice string // the current ballot, "" before the first
}

func newOpenVotes() *openVotes {
	return &openVotes{votes: map[string]*openVote{}}
}

// forgetAll drops every entry (after an erasure, a rolled-back batch or a
// snapshot restore).
func (o *openVotes) forgetAll() {
	o.mu.Lock()
	clear(o.votes)
	o.mu.Unlock()
}

// forgetAfter wraps a handler that changes what openVotes mirrors (a vote
// opening or closing, an erasure cutting accounts from voter keys): every
// entry is dropped after it ran, whatever it answered. These commands are
// rare; ballots reload what they need.
func (o *openVotes) forgetAfter(h raftdata.Handler) raftdata.Handler {
	return func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		defer o.forgetAll()
		return h(tx, cmd)
	}
}

// lookup returns the open vote on proposal and the account's place in its
// electorate (voter.key is "" for an account outside it), reading SQLite
// only for what is not held yet. A proposal that is not open is answered
// with a refusal and never held.
func (o *openVotes) lookup(tx *raftdata.Tx, proposal, account string) (*openVote, voter, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.votes[proposal]
	if v == nil {
		var err error
		if v, err = loadOpenVote(tx, proposal); err != nil {
			return nil, voter{}, err
		}
		o.votes[proposal] = v
	}
	who, ok := v.voters[account]
	if !ok {
		var err error
		if who, err = loadVoter(tx, proposal, account); err != nil {
			return nil, voter{}, err
		}
		if who.key != "" {
			v.voters[account] = who
		}
	}
	return v, who, nil
}

// record notes a ballot the FSM has written.
func (o *openVotes) record(v *openVote, account string, who voter, choice string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if who.choice == "" {
		v.participation++
		v.counted = true
	}
	who.choice = choice
	v.voters[account] = who
}

func loadOpenVote(tx *raftdata.Tx, proposal string) (*openVote, error) {
	var status, rule string
	var deadline sql.NullInt64
	v := &openVote{voters: map[string]voter{}}
	err := tx.QueryRow(`SELECT status, deadline, rule, electorate FROM proposals WHERE id = ?`, proposal).
		Scan(&status, &deadline, &rule, &v.electorate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoProposal(proposal)
	}
	if err != nil {
		return nil, err
	}
	if Status(status) != StatusOpen {
		return nil, errVoteClosed()
	}
	v.deadline = time.Unix(0, deadline.Int64).UTC()
	if err := json.Unmarshal([]byte(rule), &v.rule); err != nil {
		return nil, fmt.Errorf("decode rule of %s: %w", proposal, err)
	}
	err = tx.QueryRow(`SELECT participation FROM proposals_tallies WHERE proposal = ?`, proposal).Scan(&v.participation)
	switch {
	case err == nil:
		v.counted = true
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	return v, nil
}

func loadVoter(tx *raftdata.Tx, proposal, account string) (voter, error) {
	var who voter
	err := tx.QueryRow(`SELECT voter_key FROM proposals_electorate WHERE proposal = ? AND account_id = ?`, proposal, account).Scan(&who.key)
	if errors.Is(err, sql.ErrNoRows) {
		return voter{}, nil
	}
	if err != nil {
		return voter{}, err
	}
	err = tx.QueryRow(`SELECT choice FROM proposals_ballots WHERE proposal = ? AND voter_key = ?`, proposal, who.key).Scan(&who.choice)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return voter{}, err
	}
	return who, nil
}

// ballotCastEvent is published for each ballot: counts only, never the
// choice.
type ballotCastEvent struct {
	Proposal      string `json:"proposal"`
	Participation int    `json:"participation"`
	Electorate    int    `json:"electorate"`
}

// applyBallotCast records a ballot, replacing the voter's previous one,
// keeps the participation, and closes the vote at once when the rule says
// the whole electorate has spoken.
func (o *openVotes) applyBallotCast(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p ballotPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Choice != ChoiceYes && p.Choice != ChoiceNo && p.Choice != ChoiceAbstain {
		return nil, errChoice(p.Choice)
	}
	v, who, err := o.lookup(tx, p.Proposal, p.Account)
	if err != nil {
		return nil, err
	}
	if !cmd.Time.Before(v.deadline) {
		return nil, errVoteClosed()
	}
	if who.key == "" {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "not_electorate", "you are not in the electorate of this proposal (fixed when it opened: members who had signed the charter, the requester excepted)")
	}
	// What is held says whether the voter has a ballot and the proposal a
	// tally row already: each is one plain write, not an upsert.
	ballot := `INSERT INTO proposals_ballots(choice, receipt_hash, cast_at, proposal, voter_key) VALUES(?,?,?,?,?)`
	if who.choice != "" {
		ballot = `UPDATE proposals_ballots SET choice = ?, receipt_hash = ?, cast_at = ? WHERE proposal = ? AND voter_key = ?`
	}
	if _, err := tx.Exec(ballot, p.Choice, p.ReceiptHash, cmd.Time.UnixNano(), p.Proposal, who.key); err != nil {
		return nil, err
	}
	// Participation changes with a first ballot only.
	participation := v.participation
	if who.choice == "" {
		participation++
		counts := `INSERT INTO proposals_tallies(participation, proposal) VALUES(?,?)`
		if v.counted {
			counts = `UPDATE proposals_tallies SET participation = ? WHERE proposal = ?`
		}
		if _, err := tx.Exec(counts, participation, p.Proposal); err != nil {
			return nil, err
		}
	}
	if err := tx.Emit("coop.proposal.ballot_cast", ballotCastEvent{Proposal: p.Proposal, Participation: participation, Electorate: v.electorate}); err != nil {
		return nil, err
	}
	if governance.CanCloseEarly(v.rule, participation, v.electorate) {
		row, err := loadRow(tx, p.Proposal)
		if err != nil {
			return nil, err
		}
		t, err := tallyIn(tx, p.Proposal, row.electorate)
		if err != nil {
			return nil, err
		}
		if err := closeIn(tx, cmd, row, t); err != nil {
			return nil, err
		}
		o.forgetAll()
		return nil, nil
	}
	o.record(v, p.Account, who, p.Choice)
	return nil, nil
}

func errVoteClosed() error {
	return raftdata.Refuse(raftdata.CodeConflict, "vote_closed", "the vote on this proposal is closed")
}

func errChoice(choice string) error {
	return raftdata.Refuse(raftdata.CodeInvalid, "choice", "choice must be yes, no or abstain, got %q", choice).On("choice")
}
