package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"coop/raftdata"
)

// Custodians: who can open the cooperative's backups.
//
// A backup holds every member's records: sealed to the operator's key, the
// operator can read them. Members elect custodians instead, with a
// proposal of kind custodians that names n admitted members and a
// threshold k: once it passes, any k of them open a backup together and
// k-1 learn nothing (the backup's key is split with Shamir's scheme, one
// share sealed to each custodian's key: raftdata/backupshares.go).
//
// The set lives here, beside the rulebook, because it is the same sort of
// thing: a standing decision of the members that only a vote changes,
// adopted in the transaction that closes the vote (ElectCustodians, called
// by proposals as Amend is) and versioned. It is not a role in members:
// roles are granted by operators, and the custody exists to keep backups
// out of the operators' reach.
//
// Each custodian makes an age X25519 key pair on their own machine (coop
// custodian keygen) and registers the public key. Sealing rule: backups
// are sealed to the newest set whose every custodian has registered a key.
// While the newest set waits for keys, backups stay sealed to the set
// before it, if any, else to the operator's key: a share sealed to no one
// would be lost, and sealing to fewer custodians than the members elected
// would change the k of n they voted for.

// Bounds of a custodian set: at least two custodians must come together
// (no one opens a backup alone), and a set stays small enough for every
// backup to carry a share for each.
const (
	MinCustodianThreshold = 2
	MaxCustodians         = 15
)

// CustodianSet is what a custodians proposal asks: Threshold (k) of the
// named accounts (n) open a backup together.
type CustodianSet struct {
	Threshold int      `json:"threshold"`
	Accounts  []string `json:"accounts"`
}

// Validate checks 2 <= k <= n <= MaxCustodians and that no account is
// named twice. Whether each account may be a custodian (an active,
// admitted member, not an operator) is for the proposals package, which
// reads accounts.
func (c CustodianSet) Validate() error {
	n := len(c.Accounts)
	if n < MinCustodianThreshold || n > MaxCustodians {
		return raftdata.Refuse(raftdata.CodeInvalid, "custodians_count", "a custodians proposal names %d to %d members, got %d", MinCustodianThreshold, MaxCustodians, n).
			With("min", MinCustodianThreshold).With("max", MaxCustodians).On("accounts")
	}
	if c.Threshold < MinCustodianThreshold || c.Threshold > n {
		return raftdata.Refuse(raftdata.CodeInvalid, "custodians_threshold", "the threshold must be within %d..%d (at least two custodians open a backup together, and at most all of them), got %d", MinCustodianThreshold, n, c.Threshold).
			With("min", MinCustodianThreshold).With("max", n).On("threshold")
	}
	seen := map[string]bool{}
	for _, a := range c.Accounts {
		if strings.TrimSpace(a) == "" {
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_empty", "a custodian's account id is empty").On("accounts")
		}
		if seen[a] {
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_twice", "account %s is named twice", a).On("accounts")
		}
		seen[a] = true
	}
	return nil
}

// Custodian is one seat of a set.
type Custodian struct {
	Account      string     `json:"account"`
	PublicKey    string     `json:"public_key,omitempty"` // age X25519 recipient; empty until registered
	RegisteredAt *time.Time `json:"registered_at,omitempty"`
}

// ElectedSet is a custodian set as adopted.
type ElectedSet struct {
	Version    int         `json:"version"`
	Threshold  int         `json:"threshold"`
	ProposalID string      `json:"proposal"`
	ElectedAt  time.Time   `json:"elected_at"`
	Custodians []Custodian `json:"custodians"`
}

// Complete tells whether every custodian of the set registered a key: only
// then are backups sealed to it.
func (s ElectedSet) Complete() bool {
	for _, c := range s.Custodians {
		if c.PublicKey == "" {
			return false
		}
	}
	return len(s.Custodians) > 0
}

// Registered counts the custodians who registered a key.
func (s ElectedSet) Registered() int {
	n := 0
	for _, c := range s.Custodians {
		if c.PublicKey != "" {
			n++
		}
	}
	return n
}

// Has tells whether account holds a seat of the set.
func (s ElectedSet) Has(account string) bool {
	return slices.ContainsFunc(s.Custodians, func(c Custodian) bool { return c.Account == account })
}

// Recipients are the registered keys, in seat order.
func (s ElectedSet) Recipients() []string {
	out := make([]string, 0, len(s.Custodians))
	for _, c := range s.Custodians {
		out = append(out, c.PublicKey)
	}
	return out
}

// CustodianStatus is who holds the backups now.
type CustodianStatus struct {
	// Newest is the last set the members elected; nil before any.
	Newest *ElectedSet `json:"newest,omitempty"`
	// Sealing is the set backups are sealed to now: the newest complete
	// set. Nil: backups are sealed to the operator's key.
	Sealing *ElectedSet `json:"sealing,omitempty"`
}

const custodianSchema = `
CREATE TABLE IF NOT EXISTS governance_custodian_sets (
	version     INTEGER PRIMARY KEY,
	threshold   INTEGER NOT NULL,
	proposal_id TEXT NOT NULL,
	elected_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS governance_custodians (
	version       INTEGER NOT NULL,
	seat          INTEGER NOT NULL,
	account_id    TEXT NOT NULL,
	public_key    TEXT NOT NULL DEFAULT '',
	registered_at INTEGER,
	PRIMARY KEY (version, seat)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS governance_custodians_account ON governance_custodians(version, account_id);`

// ElectCustodians adopts set as the newest custodian set, inside the
// transaction of the command that closed the passed proposal (the
// proposals package calls it). A custodian re-elected keeps the key they
// registered last.
func ElectCustodians(tx *raftdata.Tx, cmd raftdata.Command, set CustodianSet, proposalID string) error {
	if err := set.Validate(); err != nil {
		return err
	}
	version, err := newestSetIn(tx)
	if err != nil {
		return err
	}
	version++
	if _, err := tx.Exec(`INSERT INTO governance_custodian_sets(version, threshold, proposal_id, elected_at) VALUES(?,?,?,?)`,
		version, set.Threshold, proposalID, cmd.Time.UnixNano()); err != nil {
		return err
	}
	for seat, account := range set.Accounts {
		if _, err := tx.Exec(`INSERT INTO governance_custodians(version, seat, account_id, public_key, registered_at)
			SELECT ?, ?, ?, COALESCE(k.public_key, ''), k.registered_at
			FROM (SELECT 1) LEFT JOIN (SELECT public_key, registered_at FROM governance_custodians
				WHERE account_id = ? AND public_key <> '' ORDER BY version DESC LIMIT 1) k
				ON k.public_key NOT IN (SELECT public_key FROM governance_custodians WHERE version = ?)`,
			version, seat, account, account, version); err != nil {
			return err
		}
	}
	return tx.Emit("coop.governance.custodians_elected", map[string]any{"version": version, "proposal": proposalID, "threshold": set.Threshold, "size": len(set.Accounts)})
}

// newestSetIn is the version of the newest set; 0 before any election.
func newestSetIn(tx *raftdata.Tx) (int, error) {
	var version int
	err := tx.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM governance_custodian_sets`).Scan(&version)
	return version, err
}

// cmdCustodianKey registers a custodian's public key.
const cmdCustodianKey = "governance.custodian_key_registered"

type custodianKeyPayload struct {
	Account   string `json:"account"`
	PublicKey string `json:"public_key"`
}

// applyCustodianKey records the key of a custodian of the newest set.
func applyCustodianKey(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p custodianKeyPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	key, err := ParseCustodianKey(p.PublicKey)
	if err != nil {
		return nil, err
	}
	version, err := newestSetIn(tx)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "no_custodians", "the members have elected no custodians: there is no key to register")
	}
	var seat int
	err = tx.QueryRow(`SELECT seat FROM governance_custodians WHERE version = ? AND account_id = ?`, version, p.Account).Scan(&seat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "not_custodian", "only the custodians the members elected register a key, and you are not one of them")
	}
	if err != nil {
		return nil, err
	}
	var other int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM governance_custodians WHERE version = ? AND public_key = ? AND account_id <> ?`,
		version, key, p.Account).Scan(&other); err != nil {
		return nil, err
	}
	if other > 0 {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "custodian_key_taken", "another custodian registered this key: each custodian makes their own key pair (coop custodian keygen)").On("public_key")
	}
	if _, err := tx.Exec(`UPDATE governance_custodians SET public_key = ?, registered_at = ? WHERE version = ? AND seat = ?`,
		key, cmd.Time.UnixNano(), version, seat); err != nil {
		return nil, err
	}
	return nil, tx.Emit("coop.governance.custodian_key_registered", map[string]any{"version": version, "account": p.Account})
}

// ParseCustodianKey checks that text is an age X25519 public key
// ("age1..."), and returns it as age writes it.
func ParseCustodianKey(text string) (string, error) {
	text = strings.TrimSpace(text)
	r, err := age.ParseX25519Recipient(text)
	if err != nil {
		return "", raftdata.Refuse(raftdata.CodeInvalid, "custodian_key_invalid", "not an age X25519 public key (it starts with age1; coop custodian keygen prints it)").On("public_key")
	}
	return r.String(), nil
}

// checkKeyWraps seals a throwaway key to the recipient: a public key that
// parses may still be a point no share can be sealed to (age refuses a
// low-order point). It draws randomness, so it runs before Apply.
func checkKeyWraps(key string) error {
	r, err := age.ParseX25519Recipient(key)
	if err != nil {
		return raftdata.Refuse(raftdata.CodeInvalid, "custodian_key_invalid", "not an age X25519 public key").On("public_key")
	}
	w, err := age.Encrypt(io.Discard, r)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return raftdata.Refuse(raftdata.CodeInvalid, "custodian_key_unusable", "this public key cannot receive a share (%v): make a new one with coop custodian keygen", err).On("public_key")
	}
	return nil
}

// RegisterCustodianKey records account's public key for the newest
// custodian set. The caller checked that account is an active member.
func (s *Service) RegisterCustodianKey(ctx context.Context, account, publicKey string) error {
	key, err := ParseCustodianKey(publicKey)
	if err != nil {
		return err
	}
	if err := checkKeyWraps(key); err != nil {
		return err
	}
	if _, err := s.store.Apply(ctx, cmdCustodianKey, custodianKeyPayload{Account: account, PublicKey: key}); err != nil {
		return err
	}
	return nil
}

// Custodians reads who holds the backups, from this node's copy.
func (s *Service) Custodians(ctx context.Context) (CustodianStatus, error) {
	sets, err := s.custodianSets(ctx)
	if err != nil {
		return CustodianStatus{}, err
	}
	var st CustodianStatus
	for i := range sets { // newest first
		if st.Newest == nil {
			st.Newest = &sets[i]
		}
		if sets[i].Complete() {
			st.Sealing = &sets[i]
			break
		}
	}
	return st, nil
}

// custodianSets reads every set, newest first.
func (s *Service) custodianSets(ctx context.Context) ([]ElectedSet, error) {
	db := s.store.DB()
	rows, err := db.QueryContext(ctx, `SELECT version, threshold, proposal_id, elected_at FROM governance_custodian_sets ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("read custodian sets: %w", err)
	}
	var sets []ElectedSet
	for rows.Next() {
		var e ElectedSet
		var at int64
		if err := rows.Scan(&e.Version, &e.Threshold, &e.ProposalID, &at); err != nil {
			rows.Close()
			return nil, err
		}
		e.ElectedAt = time.Unix(0, at).UTC()
		sets = append(sets, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range sets {
		if err := readSeats(ctx, db, &sets[i]); err != nil {
			return nil, err
		}
	}
	return sets, nil
}

func readSeats(ctx context.Context, db *sql.DB, e *ElectedSet) error {
	rows, err := db.QueryContext(ctx, `SELECT account_id, public_key, registered_at FROM governance_custodians WHERE version = ? ORDER BY seat`, e.Version)
	if err != nil {
		return fmt.Errorf("read custodians: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Custodian
		var at sql.NullInt64
		if err := rows.Scan(&c.Account, &c.PublicKey, &at); err != nil {
			return err
		}
		if at.Valid {
			t := time.Unix(0, at.Int64).UTC()
			c.RegisteredAt = &t
		}
		e.Custodians = append(e.Custodians, c)
	}
	return rows.Err()
}
