package pooling

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"coop/raftdata"
)

// Consent sets: the members a query run may read, fixed in the log when
// its budget is debited (the proposals package calls FixConsentSetIn from
// the debit's handler), so every node agrees on them and the engine reads
// exactly them. The set is the members who consent to the pool at that
// index, except those who object to the proposal and those whose personal
// yearly cap would be passed: those are left out, and their ledger says
// so. Each member in the set is charged the run's epsilon.
//
// The set's hash is published with the result. It commits to the set
// without revealing it: it is the SHA-256 of the sorted tokens of the
// members in the set, a token being HMAC-SHA256 keyed by the member's
// random key over the run's id. Without the member keys (which never
// leave the state, except each member's own, shown to them) nobody can
// tell from the hash who is in the set, nor how many. A member finds
// their token in their ledger and can recompute it from their key; an
// auditor with access to the state recomputes every token and the hash
// (ConsentSetHash), and so checks both the set and each member's line.

const consentSetSchema = `
CREATE TABLE IF NOT EXISTS pooling_consent_sets (
	run        TEXT NOT NULL,
	member_key TEXT NOT NULL,
	at         INTEGER NOT NULL,   -- the committed clock at the debit
	epsilon    REAL NOT NULL,      -- charged to the member (0 when left out)
	included   INTEGER NOT NULL,   -- 0: left out, their yearly cap spent
	PRIMARY KEY (run, member_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pooling_consent_sets_member ON pooling_consent_sets(member_key, at, epsilon);
CREATE TABLE IF NOT EXISTS pooling_consent_set_heads (
	run      TEXT PRIMARY KEY,
	pool     TEXT NOT NULL,
	proposal TEXT NOT NULL,
	idx      INTEGER NOT NULL,    -- the Raft index the set was fixed at
	at       INTEGER NOT NULL,
	epsilon  REAL NOT NULL,
	hash     TEXT NOT NULL
) WITHOUT ROWID;
`

// ConsentSet identifies the members a run read: the Raft index it was
// fixed at and the hash that commits to it.
type ConsentSet struct {
	Run   string `json:"-"`
	Index uint64 `json:"index"`
	Hash  string `json:"hash"`
}

// SetRequest is what fixing a consent set needs.
type SetRequest struct {
	Run      string
	Pool     string
	Proposal string
	// Objectors are the account ids that object to the proposal.
	Objectors []string
	// Epsilon is what the run charges each member in the set.
	Epsilon float64
	// CapPerYear is the personal cap: a member is left out when their
	// charges over the 12 months before the committed clock, plus
	// Epsilon, would pass it.
	CapPerYear float64
}

// FixConsentSetIn fixes a run's consent set inside the transaction of its
// debit, charges each member in it, and returns its hash.
func FixConsentSetIn(tx *raftdata.Tx, r SetRequest) (ConsentSet, error) {
	if r.Run == "" || !(r.Epsilon > 0) || !(r.CapPerYear > 0) {
		return ConsentSet{}, raftdata.Malformed("a consent set needs a run, a positive epsilon and a positive cap")
	}
	objectors, err := json.Marshal(append([]string{}, r.Objectors...))
	if err != nil {
		return ConsentSet{}, err
	}
	now := tx.Clock()
	// The room is read before any row of this run exists: the SELECT is
	// materialised first (SQLite does so when a statement inserts into a
	// table it reads), and a run id is new.
	if _, err := tx.Exec(`INSERT INTO pooling_consent_sets(run, member_key, at, epsilon, included)
		SELECT :run, m.k, :at, CASE WHEN m.spent + :eps <= :cap THEN :eps ELSE 0 END, m.spent + :eps <= :cap
		FROM (SELECT c.member_key AS k,
				COALESCE((SELECT ROUND(SUM(x.epsilon), 9) FROM pooling_consent_sets x WHERE x.member_key = c.member_key AND x.at > :year_ago), 0) AS spent
			FROM pooling_consents c
			WHERE c.pool = :pool AND c.granted = 1
				AND c.member_key NOT IN (SELECT k.member_key FROM pooling_member_keys k JOIN json_each(:objectors) o ON o.value = k.account_id)) m`,
		sql.Named("run", r.Run), sql.Named("at", now.UnixNano()), sql.Named("eps", r.Epsilon), sql.Named("cap", r.CapPerYear+1e-9),
		sql.Named("year_ago", now.AddDate(-1, 0, 0).UnixNano()), sql.Named("pool", r.Pool), sql.Named("objectors", string(objectors))); err != nil {
		return ConsentSet{}, fmt.Errorf("fix the consent set of run %s: %w", r.Run, err)
	}
	hash, err := consentSetHashIn(tx, r.Run, r.Pool, tx.Index())
	if err != nil {
		return ConsentSet{}, err
	}
	if _, err := tx.Exec(`INSERT INTO pooling_consent_set_heads(run, pool, proposal, idx, at, epsilon, hash) VALUES(?,?,?,?,?,?,?)`,
		r.Run, r.Pool, r.Proposal, tx.Index(), now.UnixNano(), r.Epsilon, hash); err != nil {
		return ConsentSet{}, fmt.Errorf("record the consent set of run %s: %w", r.Run, err)
	}
	return ConsentSet{Run: r.Run, Index: tx.Index(), Hash: hash}, nil
}

// consentSetHashIn computes the hash of a run's set from the state.
func consentSetHashIn(tx *raftdata.Tx, run, pool string, index uint64) (string, error) {
	rows, err := tx.Query(`SELECT member_key FROM pooling_consent_sets WHERE run = ? AND included = 1`, run)
	if err != nil {
		return "", fmt.Errorf("read the consent set of run %s: %w", run, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return "", err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return ConsentSetHash(run, pool, index, keys), nil
}

// ConsentSetToken is a member's token in a run's consent set: only the
// holder of the member key can compute it.
func ConsentSetToken(memberKey, run string) string {
	m := hmac.New(sha256.New, []byte(memberKey))
	m.Write([]byte("coop consent set\x00" + run))
	return hex.EncodeToString(m.Sum(nil))
}

// ConsentSetHash is the published hash of a consent set: SHA-256 over a
// version line, the run, the pool, the Raft index and the sorted tokens of
// its members, one per line. An auditor recomputes it from the member
// keys of the set.
func ConsentSetHash(run, pool string, index uint64, memberKeys []string) string {
	tokens := make([]string, len(memberKeys))
	for i, k := range memberKeys {
		tokens[i] = ConsentSetToken(k, run)
	}
	slices.Sort(tokens)
	h := sha256.New()
	h.Write([]byte("coop consent set v1\n" + run + "\n" + pool + "\n" + strconv.FormatUint(index, 10) + "\n"))
	h.Write([]byte(strings.Join(tokens, "\n")))
	return hex.EncodeToString(h.Sum(nil))
}

// LedgerLine is one run in a member's privacy ledger: whether their data
// was in its consent set, what it charged them, and their token.
type LedgerLine struct {
	Run      string    `json:"run"`
	Proposal string    `json:"proposal"`
	Pool     string    `json:"pool"`
	At       time.Time `json:"at"`
	Included bool      `json:"included"`
	// LeftOut says why a consenting member was not in the set.
	LeftOut string  `json:"left_out,omitempty"`
	Epsilon float64 `json:"epsilon"`
	Index   uint64  `json:"index"`
	Hash    string  `json:"hash"`
	Token   string  `json:"token,omitempty"`
}

// Ledger is a member's privacy ledger: their key (to recompute their
// tokens), what the runs of the last 12 months charged them against their
// cap, and every run whose consent set they were considered for.
type Ledger struct {
	MemberKey     string       `json:"member_key,omitempty"`
	SpentThisYear float64      `json:"spent_this_year"`
	Lines         []LedgerLine `json:"runs"`
}

// LeftOutCapSpent is why a member was left out of a run.
const LeftOutCapSpent = "yearly_cap_spent"

// Ledger reads the member's privacy ledger, newest first; the year is
// counted back from now (the caller's clock; the debits count on the
// committed clock).
func (s *Service) Ledger(ctx context.Context, accountID string, now time.Time) (Ledger, error) {
	key, err := s.memberKey(ctx, accountID)
	if err != nil || key == "" {
		return Ledger{Lines: []LedgerLine{}}, err
	}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT s.run, h.proposal, h.pool, s.at, s.included, s.epsilon, h.idx, h.hash
		FROM pooling_consent_sets s INDEXED BY pooling_consent_sets_member JOIN pooling_consent_set_heads h ON h.run = s.run
		WHERE s.member_key = ? ORDER BY s.at DESC, h.idx DESC LIMIT 1000`, key)
	if err != nil {
		return Ledger{}, fmt.Errorf("read the privacy ledger: %w", err)
	}
	defer rows.Close()
	out := Ledger{MemberKey: key, Lines: []LedgerLine{}}
	yearAgo := now.AddDate(-1, 0, 0)
	for rows.Next() {
		var l LedgerLine
		var at int64
		if err := rows.Scan(&l.Run, &l.Proposal, &l.Pool, &at, &l.Included, &l.Epsilon, &l.Index, &l.Hash); err != nil {
			return Ledger{}, err
		}
		l.At = time.Unix(0, at).UTC()
		if l.Included {
			l.Token = ConsentSetToken(key, l.Run)
			if l.At.After(yearAgo) {
				out.SpentThisYear += l.Epsilon
			}
		} else {
			l.LeftOut = LeftOutCapSpent
		}
		out.Lines = append(out.Lines, l)
	}
	out.SpentThisYear = math.Round(out.SpentThisYear*1e9) / 1e9
	return out, rows.Err()
}
