package pooling

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/differential-privacy/go/v3/dpagg"
	"github.com/google/differential-privacy/go/v3/noise"

	"coop/members"
	"coop/raftdata"
)

// Commands owned by pooling. Payloads name members by their account id
// only, never by email or name.
const (
	cmdPoolCreated    = "pool.created"
	cmdConsentSet     = "pool.consent_set"
	cmdContributed    = "pool.records_contributed"
	cmdRecordRectifed = "pool.record_rectified"
	cmdRecordDeleted  = "pool.record_deleted"
	cmdMemberErased   = "pool.member_erased"
)

// The walled storage: pooled records are keyed by a random member key;
// the only link from an account to that key is pooling_member_keys, which
// erasure deletes with the records. Records live in one table per pool
// (pooltables.go), created with the pool.
const schema = `
CREATE TABLE IF NOT EXISTS pooling_pools (
	id         TEXT PRIMARY KEY,
	definition TEXT NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pooling_member_keys (
	account_id TEXT PRIMARY KEY,
	member_key TEXT NOT NULL UNIQUE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pooling_consents (
	member_key TEXT NOT NULL,
	pool       TEXT NOT NULL,
	granted    INTEGER NOT NULL,
	changed_at INTEGER NOT NULL,
	PRIMARY KEY (member_key, pool)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pooling_consent_history (
	member_key TEXT NOT NULL,
	pool       TEXT NOT NULL,
	granted    INTEGER NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pooling_consent_history_member ON pooling_consent_history(member_key);
CREATE TABLE IF NOT EXISTS pooling_uploads (
	member_key TEXT NOT NULL,
	idem_key   TEXT NOT NULL,
	pool       TEXT NOT NULL,
	rows       INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (member_key, idem_key)
) WITHOUT ROWID;
`

// Register adds pooling's tables and command handlers.
func Register(reg *raftdata.Registry) {
	reg.Schema("pooling", schema)
	reg.Schema("pooling journal", journalSchema)
	reg.Schema("pooling consent sets", consentSetSchema)
	reg.Upgrade("pooling records", upgradeSharedRecords)
	reg.Upgrade("pooling access events", upgradeAccessEvents)
	reg.Handle(cmdAccessed, applyAccessed)
	reg.Handle(cmdPoolCreated, applyPoolCreated)
	reg.Handle(cmdConsentSet, applyConsentSet)
	reg.Handle(cmdContributed, applyContributed)
	reg.Handle(cmdRecordRectifed, applyRecordRectified)
	reg.Handle(cmdRecordDeleted, applyRecordDeleted)
	reg.Handle(cmdMemberErased, applyMemberErased)
	reg.Handle(members.CmdDeleted, applyAccountDeleted)
}

// Service is the pooling side of the cooperative.
type Service struct {
	store *raftdata.Store
	twins twins
}

// New returns the pooling service over store.
func New(store *raftdata.Store) *Service { return &Service{store: store} }

// ---- pools ----

func applyPoolCreated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p Pool
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p.CreatedAt = cmd.Time
	def, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	res, err := tx.Exec(`INSERT INTO pooling_pools(id, definition, created_at) VALUES(?,?,?) ON CONFLICT(id) DO NOTHING`,
		p.ID, string(def), cmd.Time.UnixNano())
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "pool_exists", "a pool %q exists already", p.ID).With("pool", p.ID).On("id")
	}
	if err := createRecordsTable(tx, p); err != nil {
		return nil, err
	}
	return p, tx.Emit("coop.pool.created", map[string]any{"pool": p.ID})
}

// CreatePool adds a documented pool. Operators call it.
func (s *Service) CreatePool(ctx context.Context, p Pool) (Pool, error) {
	if err := p.Validate(); err != nil {
		return Pool{}, err
	}
	raw, err := s.store.Apply(ctx, cmdPoolCreated, p)
	if err != nil {
		return Pool{}, err
	}
	var out Pool
	return out, json.Unmarshal(raw, &out)
}

// Pools lists every pool, public information.
func (s *Service) Pools(ctx context.Context) ([]Pool, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT definition FROM pooling_pools ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	defer rows.Close()
	out := []Pool{}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		var p Pool
		if err := json.Unmarshal([]byte(def), &p); err != nil {
			return nil, fmt.Errorf("decode pool: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Pool returns one pool; an id the local copy lacks is looked up again
// after catching up with the leader before answering not found.
func (s *Service) Pool(ctx context.Context, id string) (Pool, error) {
	p, err := readPool(ctx, s.store.DB(), id)
	if raftdata.ErrorCode(err) == raftdata.CodeNotFound {
		if serr := s.store.Sync(ctx); serr == nil {
			p, err = readPool(ctx, s.store.DB(), id)
		}
	}
	return p, err
}

type rowQueryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

type ctxRowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readPool(ctx context.Context, db ctxRowQueryer, id string) (Pool, error) {
	var def string
	err := db.QueryRowContext(ctx, `SELECT definition FROM pooling_pools WHERE id = ?`, id).Scan(&def)
	return decodePool(id, def, err)
}

// PoolIn reads a pool inside a handler's transaction (proposals check
// the pool a proposal targets).
func PoolIn(tx rowQueryer, id string) (Pool, error) {
	var def string
	err := tx.QueryRow(`SELECT definition FROM pooling_pools WHERE id = ?`, id).Scan(&def)
	return decodePool(id, def, err)
}

func decodePool(id, def string, err error) (Pool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return Pool{}, raftdata.Refuse(raftdata.CodeNotFound, "no_pool", "no pool %q", id).With("pool", id)
	}
	if err != nil {
		return Pool{}, fmt.Errorf("read pool %s: %w", id, err)
	}
	var p Pool
	if err := json.Unmarshal([]byte(def), &p); err != nil {
		return Pool{}, fmt.Errorf("decode pool %s: %w", id, err)
	}
	return p, nil
}

// ---- member keys ----

// memberKeyIn returns the member's pseudonymous key, creating it from
// proposed (a random key stamped by the proposing node) the first time.
func memberKeyIn(tx *raftdata.Tx, accountID, proposed string) (string, error) {
	if accountID == "" {
		return "", raftdata.Malformed("no member given")
	}
	var key string
	err := tx.QueryRow(`SELECT member_key FROM pooling_member_keys WHERE account_id = ?`, accountID).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if proposed == "" {
		return "", nil
	}
	_, err = tx.Exec(`INSERT INTO pooling_member_keys(account_id, member_key) VALUES(?,?)`, accountID, proposed)
	return proposed, err
}

func (s *Service) memberKey(ctx context.Context, accountID string) (string, error) {
	var key string
	err := s.store.DB().QueryRowContext(ctx, `SELECT member_key FROM pooling_member_keys WHERE account_id = ?`, accountID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return key, err
}

// ---- consent ----

type consentPayload struct {
	Account string `json:"account"`
	Key     string `json:"key"`
	Pool    string `json:"pool"`
	Granted bool   `json:"granted"`
}

func applyConsentSet(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p consentPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	if _, err := PoolIn(tx, p.Pool); err != nil {
		return nil, err
	}
	key, err := memberKeyIn(tx, p.Account, p.Key)
	if err != nil {
		return nil, err
	}
	at := cmd.Time.UnixNano()
	if _, err := tx.Exec(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?,?,?,?)
		ON CONFLICT(member_key, pool) DO UPDATE SET granted = excluded.granted, changed_at = excluded.changed_at`,
		key, p.Pool, p.Granted, at); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`INSERT INTO pooling_consent_history(member_key, pool, granted, at) VALUES(?,?,?,?)`, key, p.Pool, p.Granted, at); err != nil {
		return nil, err
	}
	return Consent{Pool: p.Pool, Granted: p.Granted, ChangedAt: cmd.Time}, tx.Emit("coop.pool.consent_changed", map[string]any{"pool": p.Pool, "granted": p.Granted})
}

// Consent is a member's current decision for one pool.
type Consent struct {
	Pool      string    `json:"pool"`
	Granted   bool      `json:"granted"`
	ChangedAt time.Time `json:"changed_at"`
}

// SetConsent grants or withdraws the member's consent to a pool. A
// withdrawal applies to every query made after it.
func (s *Service) SetConsent(ctx context.Context, accountID, pool string, granted bool) (Consent, error) {
	raw, err := s.store.Apply(ctx, cmdConsentSet, consentPayload{Account: accountID, Key: raftdata.NewID(), Pool: pool, Granted: granted})
	if err != nil {
		return Consent{}, err
	}
	var c Consent
	return c, json.Unmarshal(raw, &c)
}

// Consents lists the member's current consents, and the history of their
// decisions, newest first.
func (s *Service) Consents(ctx context.Context, accountID string) (current []Consent, history []Consent, err error) {
	key, err := s.memberKey(ctx, accountID)
	if err != nil || key == "" {
		return []Consent{}, []Consent{}, err
	}
	current, err = s.consentRows(ctx, `SELECT pool, granted, changed_at FROM pooling_consents WHERE member_key = ? ORDER BY pool`, key)
	if err != nil {
		return nil, nil, err
	}
	history, err = s.consentRows(ctx, `SELECT pool, granted, at FROM pooling_consent_history WHERE member_key = ? ORDER BY at DESC, rowid DESC`, key)
	return current, history, err
}

func (s *Service) consentRows(ctx context.Context, q, key string) ([]Consent, error) {
	rows, err := s.store.DB().QueryContext(ctx, q, key)
	if err != nil {
		return nil, fmt.Errorf("read consents: %w", err)
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		var c Consent
		var at int64
		if err := rows.Scan(&c.Pool, &c.Granted, &at); err != nil {
			return nil, err
		}
		c.ChangedAt = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

func hasConsentIn(tx rowQueryer, key, pool string) (bool, error) {
	var granted bool
	err := tx.QueryRow(`SELECT granted FROM pooling_consents WHERE member_key = ? AND pool = ?`, key, pool).Scan(&granted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return granted, err
}

// NoisyConsentCount is the number of members whose consent to pool stands
// now, with Laplace noise at epsilon (one member moves it by at most 1),
// never below zero. The exact count never leaves this function: the
// caller pays epsilon for what it returns, and should keep it rather than
// ask again (repeated counts average the noise away).
func (s *Service) NoisyConsentCount(ctx context.Context, pool string, epsilon float64) (int64, error) {
	var n int64
	err := s.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pooling_consents WHERE pool = ? AND granted = 1`, pool).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count consents: %w", err)
	}
	c, err := dpagg.NewCount(&dpagg.CountOptions{Epsilon: epsilon, MaxPartitionsContributed: 1, Noise: noise.Laplace()})
	if err != nil {
		return 0, raftdata.Malformed("noisy count: %v", err)
	}
	if err := c.IncrementBy(n); err != nil {
		return 0, err
	}
	noisy, err := c.Result()
	return max(noisy, 0), err
}
