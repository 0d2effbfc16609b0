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
// each voter's key, current choice and proxies (the holder they gave
// their vote to, the givers whose vote they carry) once seen. A changed
// ballot is then one write (the ballot), a first ballot two (and the
// participation).
//
// It is state derived from the tables, never a source (raftdata/DESIGN.md,
// "Memory mirrors tables"): an entry is loaded from SQLite on first use,
// changed only after the ballot's writes succeeded (so a refused ballot
// leaves it as it was), and dropped whenever anything else touches what it
// mirrors: the close of the vote, a proxy given or taken back, an erasure
// (which cuts accounts from their voter keys), and what raftdata reports
// to Registry.Mirror (a batch rolled back on a full disk, a snapshot
// restore). Only FSM handlers use it, one at a time; the mutex covers the
// drop hook.
type openVotes struct {
	mu    sync.Mutex
	votes map[string]*openVote
}

type openVote struct {
	deadline      time.Time
	rule          governance.VotingRule
	electorate    int
	participation int               // ballots cast
	counted       bool              // the proposal has its proposals_tallies row
	voters        map[string]voter  // by account id, filled as ballots arrive
	choices       map[string]string // current ballot by voter key, "" for none, filled as needed
	secret        *secretVote       // a secret vote's keys and counts (secret.go), once loaded
}

type voter struct {
	key     string   // the voter key in the electorate
	college string   // the college they vote in
	choice  string   // the current ballot, "" before the first
	holder  string   // the voter key of the member they gave their vote to, "" for none
	givers  []string // the voter keys of the members who gave them their vote
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
	v, err := o.vote(tx, proposal)
	if err != nil {
		return nil, voter{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
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

// vote returns the open vote on proposal, read from SQLite the first
// time. A proposal that is not open is answered with a refusal and never
// held.
func (o *openVotes) vote(tx *raftdata.Tx, proposal string) (*openVote, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.votes[proposal]
	if v == nil {
		var err error
		if v, err = loadOpenVote(tx, proposal); err != nil {
			return nil, err
		}
		o.votes[proposal] = v
	}
	return v, nil
}

// record notes a ballot the FSM has written, and the participation it
// left.
func (o *openVotes) record(v *openVote, account string, who voter, choice string, participation int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if participation != v.participation {
		v.participation = participation
		v.counted = true
	}
	who.choice = choice
	v.voters[account] = who
	v.choices[who.key] = choice
}

func loadOpenVote(tx *raftdata.Tx, proposal string) (*openVote, error) {
	var status, rule string
	var deadline sql.NullInt64
	v := &openVote{voters: map[string]voter{}, choices: map[string]string{}}
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
	err := tx.QueryRow(`SELECT voter_key, college FROM proposals_electorate WHERE proposal = ? AND account_id = ?`, proposal, account).Scan(&who.key, &who.college)
	if errors.Is(err, sql.ErrNoRows) {
		return voter{}, nil
	}
	if err != nil {
		return voter{}, err
	}
	if who.choice, err = loadChoice(tx, proposal, who.key); err != nil {
		return voter{}, err
	}
	err = tx.QueryRow(`SELECT holder_key FROM proposals_proxies WHERE proposal = ? AND giver_key = ?`, proposal, who.key).Scan(&who.holder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return voter{}, err
	}
	rows, err := tx.Query(`SELECT giver_key FROM proposals_proxies WHERE proposal = ? AND holder_key = ? ORDER BY giver_key`, proposal, who.key)
	if err != nil {
		return voter{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return voter{}, err
		}
		who.givers = append(who.givers, g)
	}
	return who, rows.Err()
}

func loadChoice(tx *raftdata.Tx, proposal, key string) (string, error) {
	var choice string
	err := tx.QueryRow(`SELECT choice FROM proposals_ballots WHERE proposal = ? AND voter_key = ?`, proposal, key).Scan(&choice)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return choice, nil
}

// choiceOf is the current ballot of voter key ("" for none), read from
// SQLite once.
func (o *openVotes) choiceOf(tx *raftdata.Tx, v *openVote, proposal, key string) (string, error) {
	o.mu.Lock()
	c, ok := v.choices[key]
	o.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := loadChoice(tx, proposal, key)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	v.choices[key] = c
	o.mu.Unlock()
	return c, nil
}

// proxyCounts is what a voter's first ballot adds to the participation,
// by the rule governance.Resolve counts with: one for themselves unless
// their holder voted already (their vote counted through the holder's),
// and one for each giver who has not voted (their vote now counts through
// this ballot). carried is how many givers this voter's ballot counts for.
func (o *openVotes) proxyCounts(tx *raftdata.Tx, v *openVote, proposal string, who voter) (added, carried int, err error) {
	added = 1
	if who.holder != "" {
		c, err := o.choiceOf(tx, v, proposal, who.holder)
		if err != nil {
			return 0, 0, err
		}
		if c != "" {
			added = 0
		}
	}
	for _, g := range who.givers {
		c, err := o.choiceOf(tx, v, proposal, g)
		if err != nil {
			return 0, 0, err
		}
		if c == "" {
			carried++
		}
	}
	return added + carried, carried, nil
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
	if err := checkChoice(p.Choice); err != nil {
		return nil, err
	}
	v, who, err := o.lookup(tx, p.Proposal, p.Account)
	if err != nil {
		return nil, err
	}
	if !cmd.Time.Before(v.deadline) {
		return nil, errVoteClosed()
	}
	if who.key == "" {
		return nil, errNotInElectorate()
	}
	if v.rule.Secret {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "secret_vote", "this vote is secret: cast your ballot with your voting token (POST /api/v1/proposals/%s/secret-ballots), not as yourself", p.Proposal)
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
	// Participation changes with a first ballot only: the voter, unless
	// their holder's ballot counted for them, and the givers they carry.
	added, carried, err := o.proxyCounts(tx, v, p.Proposal, who)
	if err != nil {
		return nil, err
	}
	if who.choice != "" {
		added = 0
	}
	res := ballotResult{Carries: carried}
	participation, closed, err := o.counted(tx, cmd, v, p.Proposal, added)
	if err != nil || closed {
		return res, err
	}
	o.record(v, p.Account, who, p.Choice, participation)
	return res, nil
}

// counted ends a ballot's handler: it adds added to the participation
// (one plain write of the small tallies row, none when nothing is added),
// publishes it, and closes the vote at once when the rule says the whole
// electorate has spoken (then the memory is dropped, and closed is true).
func (o *openVotes) counted(tx *raftdata.Tx, cmd raftdata.Command, v *openVote, proposal string, added int) (participation int, closed bool, err error) {
	participation = v.participation + added
	if added > 0 {
		counts := `INSERT INTO proposals_tallies(participation, proposal) VALUES(?,?)`
		if v.counted {
			counts = `UPDATE proposals_tallies SET participation = ? WHERE proposal = ?`
		}
		if _, err := tx.Exec(counts, participation, proposal); err != nil {
			return 0, false, err
		}
	}
	if err := tx.Emit("coop.proposal.ballot_cast", ballotCastEvent{Proposal: proposal, Participation: participation, Electorate: v.electorate}); err != nil {
		return 0, false, err
	}
	if !governance.CanCloseEarly(v.rule, participation, v.electorate) {
		return participation, false, nil
	}
	row, err := loadRow(tx, proposal)
	if err != nil {
		return 0, false, err
	}
	c, err := countIn(tx, row)
	if err != nil {
		return 0, false, err
	}
	if err := closeIn(tx, cmd, row, c); err != nil {
		return 0, false, err
	}
	o.forgetAll()
	return participation, true, nil
}

// ballotResult is what a ballot answers: how many givers' votes it
// counts for now.
type ballotResult struct {
	Carries int `json:"carries"`
}

func errNotInElectorate() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "not_electorate", "you are not in the electorate of this proposal (fixed when it opened: members who had signed the charter, the requester excepted)")
}

func errVoteClosed() error {
	return raftdata.Refuse(raftdata.CodeConflict, "vote_closed", "the vote on this proposal is closed")
}

func errChoice(choice string) error {
	return raftdata.Refuse(raftdata.CodeInvalid, "choice", "choice must be yes, no or abstain, got %q", choice).On("choice")
}
