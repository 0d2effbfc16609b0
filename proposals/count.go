package proposals

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"coop/governance"
	"coop/raftdata"
)

// Counting a vote at its close (and its participation while it runs):
// the electorate with each voter's college and scope, the direct ballots,
// the proxies, and for a secret vote its ballots by pseudonym, handed to
// governance's pure functions.

// tallyExtra is what a tally holds besides the counts of the proposals
// table's columns, stored at the close (tally_extra).
type tallyExtra struct {
	Proxied      int                       `json:"proxied,omitempty"`
	Colleges     []governance.CollegeTally `json:"colleges,omitempty"`
	InScope      *governance.InScope       `json:"in_scope,omitempty"`
	TokensIssued int                       `json:"tokens_issued,omitempty"`
}

// counted is a vote counted at the close: the tally, the in-scope count
// (never stored) and the votes cast by proxy, whose lines the close
// publishes.
type counted struct {
	tally   governance.Tally
	scope   governance.ScopeCount
	proxied []proxiedVote
}

// proxiedVote is a vote a holder cast for a giver.
type proxiedVote struct {
	giverKey, holderKey, choice, receiptKey string
}

// electorateIn counts a vote's electorate by college (with one college,
// the size fixed at the opening).
func electorateIn(tx *raftdata.Tx, row proposalRow) (governance.Electorate, error) {
	if row.colleges == nil {
		return governance.Electorate{"": row.electorate}, nil
	}
	e := governance.Electorate{}
	rows, err := tx.Query(`SELECT college, COUNT(*) FROM proposals_electorate WHERE proposal = ? GROUP BY college`, row.id)
	if err != nil {
		return nil, fmt.Errorf("count electorate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		e[c] = n
	}
	return e, rows.Err()
}

// groupedVotesIn counts a vote's ballots in SQL, in groups of the same
// college, scope and choice (q selects those and the count).
func groupedVotesIn(tx *raftdata.Tx, q, proposal string) ([]governance.Vote, error) {
	rows, err := tx.Query(q, proposal)
	if err != nil {
		return nil, fmt.Errorf("count ballots: %w", err)
	}
	defer rows.Close()
	var out []governance.Vote
	for rows.Next() {
		var v governance.Vote
		if err := rows.Scan(&v.College, &v.InScope, &v.Choice, &v.Count); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// countIn counts a vote from its tables: the direct ballots in groups (in
// SQL: a vote of 100,000 ballots reads a few rows), and the votes cast by
// proxy through governance.Resolve over the members the proxies involve
// (givers and holders, in the electorate's order), of which it keeps the
// proxied votes: every elector counts once, as Resolve over the whole
// electorate would count them.
func countIn(tx *raftdata.Tx, row proposalRow) (counted, error) {
	electorate, err := electorateIn(tx, row)
	if err != nil {
		return counted{}, err
	}
	if row.rule.Secret {
		return countSecretIn(tx, row, electorate)
	}
	// With one college and no double majority, neither college nor scope
	// tells votes apart: the ballots alone are grouped.
	q := `SELECT '', 0, choice, COUNT(*) FROM proposals_ballots WHERE proposal = ? AND holder_receipt_hash = '' GROUP BY choice`
	if row.colleges != nil || row.rule.DoubleMajority {
		q = `SELECT e.college, e.in_scope, b.choice, COUNT(*) FROM proposals_ballots b
		JOIN proposals_electorate e ON e.proposal = b.proposal AND e.voter_key = b.voter_key
		WHERE b.proposal = ? AND b.holder_receipt_hash = '' GROUP BY e.college, e.in_scope, b.choice`
	}
	votes, err := groupedVotesIn(tx, q, row.id)
	if err != nil {
		return counted{}, err
	}
	holders, receiptKeys, err := proxiesIn(tx, row.id)
	if err != nil {
		return counted{}, err
	}
	c := counted{}
	if len(holders) > 0 {
		involved, direct, err := involvedIn(tx, row.id)
		if err != nil {
			return counted{}, err
		}
		for _, v := range governance.Resolve(involved, direct, holders, row.proxyCap) {
			if v.Proxied {
				votes = append(votes, v)
				c.proxied = append(c.proxied, proxiedVote{giverKey: v.Key, holderKey: holders[v.Key], choice: v.Choice, receiptKey: receiptKeys[v.Key]})
			}
		}
	}
	c.tally, c.scope = governance.Sum(electorate, votes, row.colleges)
	return c, nil
}

// involvedIn reads the electors a vote's proxies involve (givers and
// holders), in voter key order, and their direct ballots.
func involvedIn(tx *raftdata.Tx, proposal string) ([]governance.Elector, map[string]string, error) {
	rows, err := tx.Query(`SELECT e.voter_key, e.college, e.in_scope, COALESCE(b.choice, '') FROM proposals_electorate e
		LEFT JOIN proposals_ballots b ON b.proposal = e.proposal AND b.voter_key = e.voter_key AND b.holder_receipt_hash = ''
		WHERE e.proposal = ?1 AND e.voter_key IN (SELECT giver_key FROM proposals_proxies WHERE proposal = ?1 AND holder_key <> ''
			UNION SELECT holder_key FROM proposals_proxies WHERE proposal = ?1 AND holder_key <> '')
		ORDER BY e.voter_key`, proposal)
	if err != nil {
		return nil, nil, fmt.Errorf("read proxies' electors: %w", err)
	}
	defer rows.Close()
	var electors []governance.Elector
	direct := map[string]string{}
	for rows.Next() {
		var e governance.Elector
		var choice string
		if err := rows.Scan(&e.Key, &e.College, &e.InScope, &choice); err != nil {
			return nil, nil, err
		}
		electors = append(electors, e)
		if choice != "" {
			direct[e.Key] = choice
		}
	}
	return electors, direct, rows.Err()
}

// proxiesIn reads a vote's proxies in force: giver key to holder key, and
// to the receipt key of the giver's line.
func proxiesIn(tx *raftdata.Tx, proposal string) (holders, receiptKeys map[string]string, err error) {
	holders, receiptKeys = map[string]string{}, map[string]string{}
	rows, err := tx.Query(`SELECT giver_key, holder_key, receipt_key FROM proposals_proxies WHERE proposal = ? AND holder_key <> ''`, proposal)
	if err != nil {
		return nil, nil, fmt.Errorf("read proxies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, h, k string
		if err := rows.Scan(&g, &h, &k); err != nil {
			return nil, nil, err
		}
		holders[g], receiptKeys[g] = h, k
	}
	return holders, receiptKeys, rows.Err()
}

// participationIn counts, from the tables, the members whose vote counts
// so far: direct ballots, and givers who did not vote whose holder did.
// Commands that change proxies recount with it; ballots keep the count
// from memory (votes.go), by the same rule.
func participationIn(tx *raftdata.Tx, row proposalRow) (int, error) {
	var n int
	q := `SELECT (SELECT COUNT(*) FROM proposals_ballots WHERE proposal = ?1)
		+ (SELECT COUNT(*) FROM proposals_proxies x WHERE x.proposal = ?1 AND x.holder_key <> ''
			AND NOT EXISTS (SELECT 1 FROM proposals_ballots b WHERE b.proposal = ?1 AND b.voter_key = x.giver_key)
			AND EXISTS (SELECT 1 FROM proposals_ballots b WHERE b.proposal = ?1 AND b.voter_key = x.holder_key))`
	if row.rule.Secret {
		q = `SELECT COUNT(*) FROM proposals_secret_ballots WHERE proposal = ?1`
	}
	if err := tx.QueryRow(q, row.id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count participation: %w", err)
	}
	return n, nil
}

// setParticipationIn stores a recounted participation and publishes it;
// it closes the vote when the rule says the whole electorate has spoken.
func setParticipationIn(tx *raftdata.Tx, cmd raftdata.Command, row proposalRow, subject string) error {
	n, err := participationIn(tx, row)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO proposals_tallies(proposal, participation) VALUES(?,?)
		ON CONFLICT(proposal) DO UPDATE SET participation = excluded.participation`, row.id, n); err != nil {
		return err
	}
	if err := tx.Emit(subject, ballotCastEvent{Proposal: row.id, Participation: n, Electorate: row.electorate}); err != nil {
		return err
	}
	if governance.CanCloseEarly(row.rule, n, row.electorate) {
		c, err := countIn(tx, row)
		if err != nil {
			return err
		}
		return closeIn(tx, cmd, row, c)
	}
	return nil
}

// ProxyReceipt is the receipt of the line a proxy holder's ballot writes
// for a giver on one vote: derived from the proxy's receipt key (drawn
// when the proxy was given), so that the giver, signed in, can read it
// before and after the holder votes. The state holds the key: a proxy is
// delegated trust, and the receipt lets the giver check their line, not
// prove it to anyone.
func ProxyReceipt(receiptKey, proposal string) string {
	h := sha256.Sum256([]byte("coop proxy receipt\x00" + receiptKey + "\x00" + proposal))
	return hex.EncodeToString(h[:16])
}

// publishProxiedIn writes, at the close, one ballot line for each vote a
// holder cast for a giver: the giver's receipt, the holder's choice and
// the holder's receipt hash, so that both find the line.
func publishProxiedIn(tx *raftdata.Tx, cmd raftdata.Command, proposal string, votes []proxiedVote) error {
	for _, v := range votes {
		var holderReceipt string
		if err := tx.QueryRow(`SELECT receipt_hash FROM proposals_ballots WHERE proposal = ? AND voter_key = ?`, proposal, v.holderKey).Scan(&holderReceipt); err != nil {
			return fmt.Errorf("read the holder's ballot: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO proposals_ballots(proposal, voter_key, choice, receipt_hash, cast_at, holder_receipt_hash) VALUES(?,?,?,?,?,?)`,
			proposal, v.giverKey, v.choice, ReceiptHash(ProxyReceipt(v.receiptKey, proposal)), cmd.Time.UnixNano(), holderReceipt); err != nil {
			return fmt.Errorf("publish a proxied ballot: %w", err)
		}
	}
	return nil
}

// storeTallyIn writes a closed vote's tally: counts in their columns, the
// rest as JSON.
func storeTallyIn(tx *raftdata.Tx, cmd raftdata.Command, row proposalRow, status Status, reason string, t governance.Tally) error {
	extra := ""
	if x := (tallyExtra{Proxied: t.Proxied, Colleges: t.Colleges, InScope: t.InScope, TokensIssued: t.TokensIssued}); x.Proxied != 0 || x.Colleges != nil || x.InScope != nil || x.TokensIssued != 0 {
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		extra = string(raw)
	}
	_, err := tx.Exec(`UPDATE proposals SET status = ?, reason = ?, closed_at = ?, yes = ?, no = ?, abstain = ?, tally_extra = ? WHERE id = ?`,
		string(status), reason, cmd.Time.UnixNano(), t.Yes, t.No, t.Abstain, extra, row.id)
	return err
}
