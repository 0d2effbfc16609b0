package proposals

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

// Commands owned by proposals.
const (
	cmdCreated      = "proposal.created"
	cmdOpened       = "proposal.opened"
	cmdBallotCast   = "proposal.ballot_cast"
	cmdClosed       = "proposal.closed"
	cmdCommented    = "proposal.commented"
	cmdObjected     = "proposal.objection_set"
	cmdGrantExpired = "proposal.grant_expired"
	cmdQueryDebited = "proposal.query_debited"
	cmdRunReleased  = "proposal.run_released"
)

// Register adds the tables and handlers of proposals.
func Register(reg *raftdata.Registry) {
	votes := newOpenVotes()
	reg.Schema("proposals", schema)
	reg.Upgrade("proposals tallies", upgradeTallies)
	reg.Upgrade("proposals privacy columns", upgradePrivacyColumns)
	reg.Mirror(votes.forgetAll)
	reg.Handle(cmdCreated, applyCreated)
	reg.Handle(cmdOpened, votes.forgetAfter(applyOpened))
	reg.Handle(cmdBallotCast, votes.applyBallotCast)
	reg.Handle(cmdClosed, votes.forgetAfter(applyClosed))
	reg.Handle(cmdCommented, applyCommented)
	reg.Handle(cmdObjected, applyObjected)
	reg.Handle(cmdGrantExpired, applyGrantExpired)
	reg.Handle(cmdQueryDebited, applyQueryDebited)
	reg.Handle(cmdRunReleased, applyRunReleased)
	reg.Handle(cmdPreviewCounted, applyPreviewCounted)
	reg.Handle(cmdOutputsDeleted, applyOutputsDeleted)
	reg.Handle(members.CmdDeleted, votes.forgetAfter(applyMemberDeleted))
	reg.Upgrade("proposals proxies, colleges and secret ballots", upgradeBallots)
	reg.Handle(cmdProxySet, votes.forgetAfter(applyProxySet))
	reg.Handle(cmdStandingProxySet, votes.forgetAfter(applyStandingProxySet))
	reg.Handle(cmdTokenIssued, votes.applyTokenIssued)
	reg.Handle(cmdSecretBallotCast, votes.applySecretBallotCast)
}

// errOperatorQueries is the refusal of a proposal or a query by an
// account that holds the operator role (an account granted both before
// separation of duties existed keeps neither power over pooled data).
func errOperatorQueries() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "operator_queries", "operators run the system and never query members' data: an account holding the operator role submits no proposal to use pooled data and runs no query")
}

// notOperatorIn refuses, in a handler, an account that holds the operator
// role.
func notOperatorIn(tx *raftdata.Tx, account string) error {
	acct, err := members.LookupIn(tx, account, nil)
	if err != nil {
		return err
	}
	if acct.Has(members.RoleOperator) {
		return errOperatorQueries()
	}
	return nil
}

func decode(cmd raftdata.Command, v any) error {
	if err := cmd.Decode(v); err != nil {
		return raftdata.Malformed("%v", err)
	}
	return nil
}

// ---- creation and opening ----

type createdPayload struct {
	ID        string `json:"id"`
	Requester string `json:"requester"`
	Draft     Draft  `json:"draft"`
	Salt      string `json:"salt"` // for the voter keys, if opened at once
	// Charters are the charter versions in force at the proposing node
	// (handlers never read them from their own binary).
	Charters map[members.CharterKind]int `json:"charters"`
	// Ballots is set by every node since proxies, colleges and secret
	// ballots exist (version 2 of the payload; see ballotSetup).
	Ballots *ballotSetup `json:"ballots,omitempty"`
}

// ballotSetup is what a proposing node adds to an opening since proxies,
// colleges and secret ballots exist. Its presence says the vote is held
// under the rulebook's secret, double_majority, proxies and colleges; an
// opening of an older log, without it, holds the vote as it was held then
// (open ballot, one college, no proxies, simple majority), so that a node
// replaying that log builds the state the others built.
type ballotSetup struct {
	// TokenKeys are the RSA keys (PKCS #8 DER, base64) that sign the
	// voting tokens of a secret vote, one per college ("" with one
	// college), drawn by the proposing node.
	TokenKeys map[string]string `json:"token_keys,omitempty"`
}

func applyCreated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p createdPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	acct, err := members.LookupIn(tx, p.Requester, p.Charters)
	if err != nil {
		return nil, err
	}
	if !acct.Active() {
		return nil, members.ErrAccountInactive(members.StatusSuspended)
	}
	switch {
	case p.Draft.Kind == governance.Amendment:
		if !acct.Has(members.RoleMember) && !acct.Has(members.RoleResearcher) {
			return nil, raftdata.Refuse(raftdata.CodeForbidden, "amendment_by", "amendments are proposed by members or researchers")
		}
	case p.Draft.Kind == governance.Custodians:
		if !acct.Has(members.RoleMember) {
			return nil, raftdata.Refuse(raftdata.CodeForbidden, "custodians_by", "custodians are proposed by members")
		}
	case acct.Has(members.RoleOperator):
		return nil, errOperatorQueries()
	case !acct.Has(members.RoleResearcher):
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "researchers_propose", "proposals to use pooled data are submitted by researchers")
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return nil, err
	}
	var pool *pooling.Pool
	if p.Draft.Kind.UsesData() && p.Draft.Pool != "" {
		pl, err := pooling.PoolIn(tx, p.Draft.Pool)
		if err == nil {
			pool = &pl
		} else if raftdata.ErrorCode(err) != raftdata.CodeNotFound {
			return nil, err
		}
	}
	if err := p.Draft.validate(rules, pool); err != nil {
		return nil, err
	}
	if err := checkCandidatesIn(tx, p.Draft.Custodians); err != nil {
		return nil, err
	}
	def, err := json.Marshal(p.Draft)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`INSERT INTO proposals(id, requester, definition, kind, pool, status, created_at) VALUES(?,?,?,?,?,?,?)`,
		p.ID, p.Requester, string(def), string(p.Draft.Kind), p.Draft.Pool, string(StatusDraft), cmd.Time.UnixNano()); err != nil {
		return nil, err
	}
	if !p.Draft.Draft {
		if err := openIn(tx, cmd, p.ID, p.Salt, p.Charters[members.CharterMember], p.Ballots); err != nil {
			return nil, err
		}
	}
	return nil, tx.Emit("coop.proposal.created", map[string]any{"proposal": p.ID, "kind": p.Draft.Kind})
}

type openedPayload struct {
	ID       string                      `json:"id"`
	Actor    string                      `json:"actor"`
	Salt     string                      `json:"salt"`
	Charters map[members.CharterKind]int `json:"charters"`
	Ballots  *ballotSetup                `json:"ballots,omitempty"` // version 2 (see createdPayload)
}

func applyOpened(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p openedPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	row, err := loadRow(tx, p.ID)
	if err != nil {
		return nil, err
	}
	if row.requester != p.Actor {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "requester_opens", "only the requester opens a draft")
	}
	if row.status != StatusDraft {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "not_a_draft", "the proposal is %s, not a draft", row.status).With("proposal_status", row.status)
	}
	return nil, openIn(tx, cmd, p.ID, p.Salt, p.Charters[members.CharterMember], p.Ballots)
}

// openIn fixes the electorate and the voting rule, and starts the vote.
// The rulebook is read again: a draft that the rules in force now refuse
// cannot open. It fixes too each voter's college, and under a double
// majority whether their data is in scope (consenting to the pool at the
// opening: see DESIGN.md), the proxies the vote takes (standing proxies
// become the vote's own), and a secret vote's token keys.
func openIn(tx *raftdata.Tx, cmd raftdata.Command, id, salt string, memberCharter int, setup *ballotSetup) error {
	row, err := loadRow(tx, id)
	if err != nil {
		return err
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return err
	}
	var pool *pooling.Pool
	if row.draft.Kind.UsesData() {
		if pl, err := pooling.PoolIn(tx, row.draft.Pool); err == nil {
			pool = &pl
		}
	}
	if err := row.draft.validate(rules, pool); err != nil {
		return err
	}
	if err := checkCandidatesIn(tx, row.draft.Custodians); err != nil {
		return err
	}
	if len(salt) < 16 {
		return raftdata.Malformed("opening needs a random salt")
	}
	if memberCharter < 1 {
		return raftdata.Malformed("opening needs the current member charter version")
	}
	voters, err := members.ElectorateIn(tx, row.requester, memberCharter)
	if err != nil {
		return err
	}
	ruleOf, _ := rules.Rule(row.draft.Kind)
	colleges, proxyCap := rules.Colleges, rules.Proxies.MaxPerHolder
	if setup == nil { // an opening of an older log: as votes were held then
		ruleOf.Secret, ruleOf.DoubleMajority, colleges, proxyCap = false, false, nil, 0
	}
	if len(colleges) < 2 {
		colleges = nil
	}
	if ruleOf.Secret {
		proxyCap = 0 // proxies apply to open ballots only
	}
	assigned, err := members.CollegesIn(tx, voters)
	if err != nil {
		return err
	}
	inScope := map[string]bool{}
	if ruleOf.DoubleMajority {
		if inScope, err = pooling.ConsentingIn(tx, row.draft.Pool, voters); err != nil {
			return err
		}
	}
	keys := make(map[string]string, len(voters)) // account -> voter key
	stmt, err := tx.Prepare(`INSERT INTO proposals_electorate(proposal, voter_key, account_id, college, in_scope) VALUES(?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, v := range voters {
		keys[v] = voterKey(salt, id, v)
		if _, err := stmt.Exec(id, keys[v], v, governance.CollegeOf(colleges, assigned[v]), inScope[v]); err != nil {
			return err
		}
	}
	if ruleOf.Secret {
		if err := storeTokenKeysIn(tx, id, colleges, setup.TokenKeys); err != nil {
			return err
		}
	}
	if proxyCap > 0 {
		if err := standingProxiesAtOpeningIn(tx, cmd, id, keys, proxyCap); err != nil {
			return err
		}
	}
	collegesJSON := ""
	if colleges != nil {
		raw, _ := json.Marshal(colleges)
		collegesJSON = string(raw)
	}
	rule, _ := json.Marshal(ruleOf)
	deadline := cmd.Time.Add(time.Duration(row.draft.VotingMinutes) * time.Minute)
	if _, err := tx.Exec(`UPDATE proposals SET status = ?, rule = ?, opened_at = ?, deadline = ?, electorate = ?, colleges = ?, proxy_cap = ? WHERE id = ?`,
		string(StatusOpen), string(rule), cmd.Time.UnixNano(), deadline.UnixNano(), len(voters), collegesJSON, proxyCap, id); err != nil {
		return err
	}
	return tx.Emit("coop.proposal.opened", map[string]any{"proposal": id, "electorate": len(voters), "deadline": deadline})
}

// voterKey is the pseudonym of a voter in one proposal: not derivable from
// the account id without the salt, which never leaves the state.
func voterKey(salt, proposal, account string) string {
	h := sha256.Sum256([]byte(salt + "\x00" + proposal + "\x00" + account))
	return hex.EncodeToString(h[:16])
}

// ---- ballots ----

// Choices a ballot may carry.
const (
	ChoiceYes     = "yes"
	ChoiceNo      = "no"
	ChoiceAbstain = "abstain"
)

// checkChoice refuses a choice that is not yes, no or abstain.
func checkChoice(choice string) error {
	if choice != ChoiceYes && choice != ChoiceNo && choice != ChoiceAbstain {
		return errChoice(choice)
	}
	return nil
}

type ballotPayload struct {
	Proposal    string `json:"proposal"`
	Account     string `json:"account"`
	Choice      string `json:"choice"`
	ReceiptHash string `json:"receipt_hash"`
}

// ---- closing ----

type closedPayload struct {
	ID string `json:"id"`
}

func applyClosed(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p closedPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	row, err := loadRow(tx, p.ID)
	if err != nil {
		return nil, err
	}
	if row.status != StatusOpen {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "closed_already", "the proposal is %s already", row.status).With("proposal_status", row.status)
	}
	if cmd.Time.Before(row.deadline) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "vote_open_until", "the vote is open until %s", row.deadline.Format(time.RFC3339)).With("date", row.deadline)
	}
	c, err := countIn(tx, row)
	if err != nil {
		return nil, err
	}
	return nil, closeIn(tx, cmd, row, c)
}

// closeIn decides the vote with the rule fixed at opening, records the
// tally, publishes the lines of the votes cast by proxy, erases a secret
// vote's signing keys (and asks for a compaction, so that the log of its
// tokens and ballots goes too), and carries out a passed proposal: a
// grant for knowledge and reuse, the new rulebook for an amendment, the
// new custodian set for a custodians election.
func closeIn(tx *raftdata.Tx, cmd raftdata.Command, row proposalRow, c counted) error {
	t := c.tally
	d := governance.Decide(row.rule, t, c.scope)
	t.InScope = d.InScope
	if d.Outcome == governance.Passed && row.draft.Kind == governance.Custodians {
		// A custodian may have left or become an operator during the vote.
		if err := checkCandidatesIn(tx, row.draft.Custodians); raftdata.ErrorCode(err) == raftdata.CodeInvalid {
			d = governance.Decision{Outcome: governance.Rejected, Reason: "approved, but the set cannot take office: " + raftdata.ErrorMessage(err)}
		} else if err != nil {
			return err
		}
	}
	if d.Outcome == governance.Passed && row.draft.Kind == governance.Amendment {
		// Checked again when adopted: the hard limits of this release bind
		// a rulebook proposed under an older one.
		if err := row.draft.Rules.Validate(); err != nil {
			d = governance.Decision{Outcome: governance.Rejected, Reason: "approved, but the rulebook it proposes is refused: " + raftdata.ErrorMessage(err)}
		}
	}
	status := StatusRejected
	if d.Outcome == governance.Passed {
		status = StatusPassed
	}
	if err := storeTallyIn(tx, cmd, row, status, d.Reason, t); err != nil {
		return err
	}
	if err := publishProxiedIn(tx, cmd, row.id, c.proxied); err != nil {
		return err
	}
	if row.rule.Secret {
		if _, err := tx.Exec(`UPDATE proposals_token_keys SET private_key = '' WHERE proposal = ?`, row.id); err != nil {
			return err
		}
		tx.RequestCompaction()
	}
	if status == StatusPassed {
		switch row.draft.Kind {
		case governance.Amendment:
			if err := governance.Amend(tx, cmd, *row.draft.Rules, row.id); err != nil {
				return err
			}
		case governance.Custodians:
			if err := governance.ElectCustodians(tx, cmd, *row.draft.Custodians, row.id); err != nil {
				return err
			}
		default:
			q, _ := json.Marshal(row.draft.Query)
			pv := row.draft.Privacy
			expires := cmd.Time.AddDate(0, 0, row.draft.GrantDays)
			retention, err := retentionDays(tx, row.draft)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO proposals_grants(proposal, pool, query, min_cohort, epsilon_total, epsilon_per_query, starts_at, expires_at, retention_days)
				VALUES(?,?,?,?,?,?,?,?,?)`, row.id, row.draft.Pool, string(q), pv.MinCohort, pv.EpsilonTotal, pv.EpsilonPerQuery,
				cmd.Time.UnixNano(), expires.UnixNano(), retention); err != nil {
				return err
			}
		}
	}
	return tx.Emit("coop.proposal.closed", map[string]any{"proposal": row.id, "status": status, "tally": t, "reason": d.Reason})
}

// ---- discussion ----

type commentPayload struct {
	ID       string `json:"id"`
	Proposal string `json:"proposal"`
	Author   string `json:"author"`
	Body     string `json:"body"`
	// Key is a random secret drawn by the proposing node: the first
	// comment that carries one fixes the proposal's pseudonym key
	// (discussion.go). Older logs carry none.
	Key string `json:"key,omitempty"`
}

const maxComment = 4000

func applyCommented(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p commentPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if n := len(p.Body); n == 0 || n > maxComment {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "comment_length", "a comment has 1 to %d characters", maxComment).With("max", maxComment).On("body")
	}
	row, err := loadRow(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	// Roles and status decide here, not charter currency: no versions.
	acct, err := members.LookupIn(tx, p.Author, nil)
	if err != nil {
		return nil, err
	}
	isRequester := acct.ID == row.requester
	if !acct.Active() || !(acct.Has(members.RoleMember) || isRequester) {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "discussion_writers", "discussions are for members and the proposal's requester")
	}
	if row.status == StatusDraft {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "draft_discussion", "a draft is not open for discussion yet")
	}
	_, err = tx.Exec(`INSERT INTO proposals_comments(id, proposal, author, requester, body, at) VALUES(?,?,?,?,?,?)`,
		p.ID, p.Proposal, p.Author, isRequester, p.Body, cmd.Time.UnixNano())
	if err != nil {
		return nil, err
	}
	if err := keepPseudonymKey(tx, p.Proposal, p.Key); err != nil {
		return nil, err
	}
	return nil, tx.Emit("coop.proposal.commented", map[string]any{"proposal": p.Proposal})
}

// ---- grants ----

type objectionPayload struct {
	Proposal string `json:"proposal"`
	Account  string `json:"account"`
	Object   bool   `json:"object"`
}

func applyObjected(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p objectionPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	row, err := loadRow(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	if !row.draft.Kind.UsesData() {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "nothing_to_object", "this proposal uses no data: there is nothing to object to")
	}
	if _, err := members.LookupIn(tx, p.Account, nil); err != nil {
		return nil, err
	}
	if p.Object {
		_, err = tx.Exec(`INSERT OR IGNORE INTO proposals_objections(proposal, account_id, at) VALUES(?,?,?)`, p.Proposal, p.Account, cmd.Time.UnixNano())
	} else {
		_, err = tx.Exec(`DELETE FROM proposals_objections WHERE proposal = ? AND account_id = ?`, p.Proposal, p.Account)
	}
	return nil, err
}

type expiredPayload struct {
	ID string `json:"id"`
}

func applyGrantExpired(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p expiredPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	g, err := grantIn(tx, p.ID)
	if err != nil {
		return nil, err
	}
	if cmd.Time.Before(g.ExpiresAt) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "grant_runs_until", "the grant runs until %s", g.ExpiresAt.Format(time.RFC3339)).With("date", g.ExpiresAt)
	}
	res, err := tx.Exec(`UPDATE proposals SET status = ? WHERE id = ? AND status = ?`, string(StatusExpired), p.ID, string(StatusPassed))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "not_passed", "the proposal is not a passed one")
	}
	return nil, tx.Emit("coop.proposal.grant_expired", map[string]any{"proposal": p.ID})
}

// ---- erasure ----

// applyMemberDeleted cuts the link between an erased account and its
// ballots (the counts stay), and deletes its comments and objections.
func applyMemberDeleted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p members.Deleted
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	for _, q := range []string{
		`UPDATE proposals_electorate SET account_id = NULL WHERE account_id = ?`,
		`DELETE FROM proposals_standing_proxies WHERE giver = ?1 OR holder = ?1`,
		`DELETE FROM proposals_comments WHERE author = ?`,
		`DELETE FROM proposals_objections WHERE account_id = ?`,
	} {
		if _, err := tx.Exec(q, p.Account); err != nil {
			return nil, fmt.Errorf("erase proposals data: %w", err)
		}
	}
	return nil, nil
}
