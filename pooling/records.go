package pooling

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coop/members"
	"coop/raftdata"
)

// BatchError refuses a contribution whole and lists every bad row.
type BatchError struct {
	Rows []RowError
	err  *raftdata.Error
}

// NewBatchError refuses a batch whole, listing its bad rows.
func NewBatchError(rows []RowError) *BatchError {
	msg := fmt.Sprintf("%d problem(s) in the rows; nothing was imported", len(rows))
	if len(rows) > 0 {
		msg += " (" + rows[0].String() + ")"
	}
	return &BatchError{Rows: rows, err: raftdata.Refuse(raftdata.CodeInvalid, "rows_refused", "%s", msg).With("count", len(rows))}
}

func (e *BatchError) Error() string { return e.err.Error() }
func (e *BatchError) Unwrap() error { return e.err }

// contributePayload carries the rows already validated against the pool's
// schema and encoded in canonical form by the proposing node (a pool's
// schema never changes once created, so the check holds at apply time):
// the FSM stores them as they are, without decoding 1,000 rows per batch
// on every node.
type contributePayload struct {
	Account string            `json:"account"`
	Key     string            `json:"key"`
	Pool    string            `json:"pool"`
	IdemKey string            `json:"idem_key"`
	Rows    []json.RawMessage `json:"rows"`
}

// Contribution is the answer to an accepted upload.
type Contribution struct {
	Pool     string `json:"pool"`
	Accepted int    `json:"accepted"`
	// Replayed is true when this upload's idempotency key was seen before:
	// nothing was added again.
	Replayed bool `json:"replayed,omitempty"`
}

func applyContributed(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p contributePayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	pool, err := PoolIn(tx, p.Pool) // the pool exists
	if err != nil {
		return nil, err
	}
	key, err := memberKeyIn(tx, p.Account, p.Key)
	if err != nil {
		return nil, err
	}
	if ok, err := hasConsentIn(tx, key, p.Pool); err != nil {
		return nil, err
	} else if !ok {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "no_consent", "you have not given your consent to the pool %q: grant it before contributing", p.Pool).With("pool", p.Pool)
	}
	if p.IdemKey != "" {
		var rows int
		err := tx.QueryRow(`SELECT rows FROM pooling_uploads WHERE member_key = ? AND idem_key = ?`, key, p.IdemKey).Scan(&rows)
		if err == nil {
			return Contribution{Pool: p.Pool, Accepted: rows, Replayed: true}, nil
		}
	}
	if len(p.Rows) == 0 || len(p.Rows) > MaxBatchRows {
		return nil, raftdata.Malformed("a contribution has 1 to %d rows", MaxBatchRows)
	}
	stmt, err := tx.Prepare(insertRecordSQL(pool))
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	at := cmd.Time.UnixNano()
	for i, r := range p.Rows {
		if _, err := stmt.Exec(key, recordID(cmd.ID, i), string(r), at); err != nil {
			return nil, err
		}
	}
	if p.IdemKey != "" {
		if _, err := tx.Exec(`INSERT INTO pooling_uploads(member_key, idem_key, pool, rows, at) VALUES(?,?,?,?,?)`, key, p.IdemKey, p.Pool, len(p.Rows), at); err != nil {
			return nil, err
		}
	}
	return Contribution{Pool: p.Pool, Accepted: len(p.Rows)}, tx.Emit("coop.pool.records_contributed", map[string]any{"pool": p.Pool, "rows": len(p.Rows)})
}

// recordID derives a record's id from the command that created it, so
// that every node gives it the same id.
func recordID(cmdID string, i int) string { return cmdID[:20] + "-" + strconv.Itoa(i) }

// Contribute adds rows to a pool for the member. Rows are validated here
// first (a clear answer without a round through the log) and again by the
// FSM; a batch with any bad row is refused whole. An idempotency key makes
// a retried upload harmless.
func (s *Service) Contribute(ctx context.Context, accountID, pool string, rows []map[string]any, idemKey string) (Contribution, error) {
	if len(rows) == 0 {
		return Contribution{}, raftdata.Refuse(raftdata.CodeInvalid, "no_records", "no records given")
	}
	if len(rows) > MaxBatchRows {
		return Contribution{}, raftdata.Refuse(raftdata.CodeInvalid, "too_many_records", "at most %d records per upload, got %d", MaxBatchRows, len(rows)).
			With("max", MaxBatchRows).With("got", len(rows))
	}
	if len(idemKey) > 200 {
		return Contribution{}, raftdata.Refuse(raftdata.CodeInvalid, "idempotency_key_long", "the idempotency key is longer than 200 characters").With("max", 200)
	}
	p, err := s.Pool(ctx, pool)
	if err != nil {
		return Contribution{}, err
	}
	recs, rowErrs := p.ValidateBatch(rows)
	if len(rowErrs) > 0 {
		return Contribution{}, NewBatchError(rowErrs)
	}
	encoded := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		if encoded[i], err = json.Marshal(r); err != nil {
			return Contribution{}, fmt.Errorf("encode record: %w", err)
		}
	}
	raw, err := s.store.Apply(ctx, cmdContributed, contributePayload{Account: accountID, Key: raftdata.NewID(), Pool: pool, IdemKey: idemKey, Rows: encoded})
	if err != nil {
		return Contribution{}, err
	}
	var c Contribution
	return c, json.Unmarshal(raw, &c)
}

// StoredRecord is one of the member's records as they see it.
type StoredRecord struct {
	ID            string    `json:"id"`
	Pool          string    `json:"pool"`
	Values        Record    `json:"values"`
	ContributedAt time.Time `json:"contributed_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Records lists the member's own records, in one pool or all ("").
func (s *Service) Records(ctx context.Context, accountID, pool string) ([]StoredRecord, error) {
	key, err := s.memberKey(ctx, accountID)
	if err != nil || key == "" {
		return []StoredRecord{}, err
	}
	pools, err := poolIDs(ctx, s.store.DB())
	if err != nil {
		return nil, err
	}
	var parts []string
	var args []any
	for _, id := range pools {
		if pool == "" || pool == id {
			parts = append(parts, fmt.Sprintf(`SELECT record_id, ? AS pool, data, contributed_at, updated_at FROM %q WHERE member_key = ?`, recordsTable(id)))
			args = append(args, id, key)
		}
	}
	if len(parts) == 0 {
		return []StoredRecord{}, nil
	}
	rows, err := s.store.DB().QueryContext(ctx, strings.Join(parts, " UNION ALL ")+` ORDER BY pool, contributed_at, record_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	out := []StoredRecord{}
	for rows.Next() {
		var r StoredRecord
		var data string
		var c, u int64
		if err := rows.Scan(&r.ID, &r.Pool, &data, &c, &u); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &r.Values); err != nil {
			return nil, err
		}
		r.ContributedAt, r.UpdatedAt = time.Unix(0, c).UTC(), time.Unix(0, u).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

type recordPayload struct {
	Account string         `json:"account"`
	ID      string         `json:"id"`
	Values  map[string]any `json:"values,omitempty"`
}

// ownRecord finds the pool and member key of a record the member owns;
// another member's record is "not found", never "forbidden", so ids
// reveal nothing.
func ownRecord(tx *raftdata.Tx, accountID, id string) (pool, memberKey string, err error) {
	notFound := raftdata.Refuse(raftdata.CodeNotFound, "no_record", "you have no record %q", id)
	err = tx.QueryRow(`SELECT member_key FROM pooling_member_keys WHERE account_id = ?`, accountID).Scan(&memberKey)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", notFound
	}
	if err != nil {
		return "", "", err
	}
	pools, err := poolIDs(context.Background(), txQueryer{tx})
	if err != nil {
		return "", "", err
	}
	for _, p := range pools {
		var n int
		if err := tx.QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE member_key = ? AND record_id = ?`, recordsTable(p)), memberKey, id).Scan(&n); err != nil {
			return "", "", err
		}
		if n > 0 {
			return p, memberKey, nil
		}
	}
	return "", "", notFound
}

func applyRecordRectified(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p recordPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	poolID, key, err := ownRecord(tx, p.Account, p.ID)
	if err != nil {
		return nil, err
	}
	pool, err := PoolIn(tx, poolID)
	if err != nil {
		return nil, err
	}
	rec, rowErrs := pool.ValidateRecord(p.Values)
	if len(rowErrs) > 0 {
		return nil, NewBatchError(rowErrs).err
	}
	data, _ := json.Marshal(rec)
	if _, err := tx.Exec(rectifyRecordSQL(pool), key, p.ID, string(data), cmd.Time.UnixNano()); err != nil {
		return nil, err
	}
	return nil, tx.Emit("coop.pool.record_rectified", map[string]any{"pool": poolID})
}

func applyRecordDeleted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p recordPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	poolID, key, err := ownRecord(tx, p.Account, p.ID)
	if err != nil {
		return nil, err
	}
	if err := deleteRecord(tx, poolID, key, p.ID); err != nil {
		return nil, err
	}
	tx.RequestCompaction()
	return nil, tx.Emit("coop.pool.record_deleted", map[string]any{"pool": poolID})
}

// Rectify replaces the values of one of the member's records.
func (s *Service) Rectify(ctx context.Context, accountID, recordID string, values map[string]any) error {
	if values == nil {
		return raftdata.Refuse(raftdata.CodeInvalid, "no_values", "the corrected values are missing")
	}
	_, err := s.store.Apply(ctx, cmdRecordRectifed, recordPayload{Account: accountID, ID: recordID, Values: values})
	return unwrapBatch(err)
}

// DeleteRecord deletes one of the member's records; the next compaction
// removes it from every file.
func (s *Service) DeleteRecord(ctx context.Context, accountID, recordID string) error {
	_, err := s.store.Apply(ctx, cmdRecordDeleted, recordPayload{Account: accountID, ID: recordID})
	return err
}

func unwrapBatch(err error) error {
	var e *raftdata.Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// ---- erasure ----

type erasePayload struct {
	Account string `json:"account"`
}

func applyMemberErased(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p erasePayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	return nil, EraseMember(tx, p.Account)
}

// applyAccountDeleted erases the pooled data of an account deleted by
// members (the same command, the same transaction).
func applyAccountDeleted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p members.Deleted
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	return nil, EraseMember(tx, p.Account)
}

// EraseMember deletes everything pooling holds about an account, inside
// the transaction of the command that erases it (members' account deletion
// calls it too), and asks every node to compact so no copy remains.
func EraseMember(tx *raftdata.Tx, accountID string) error {
	var key string
	err := tx.QueryRow(`SELECT member_key FROM pooling_member_keys WHERE account_id = ?`, accountID).Scan(&key)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return nil
		}
		return err
	}
	if err := eraseRecords(tx, key); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM pooling_consents WHERE member_key = ?`,
		`DELETE FROM pooling_consent_history WHERE member_key = ?`,
		`DELETE FROM pooling_uploads WHERE member_key = ?`,
		`DELETE FROM pooling_consent_sets WHERE member_key = ?`,
		`DELETE FROM pooling_access_journal WHERE member_key = ?`,
		`DELETE FROM pooling_member_keys WHERE member_key = ?`,
	} {
		if _, err := tx.Exec(q, key); err != nil {
			return fmt.Errorf("erase member data: %w", err)
		}
	}
	tx.RequestCompaction()
	return tx.Emit("coop.pool.member_erased", map[string]any{})
}

// Erase removes all of the member's pooled data at once.
func (s *Service) Erase(ctx context.Context, accountID string) error {
	_, err := s.store.Apply(ctx, cmdMemberErased, erasePayload{Account: accountID})
	return err
}
