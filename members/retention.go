package members

import (
	"context"
	"fmt"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// Retention gives how long data about a member is kept, in calendar months
// (seed 003): the identity (name, email, roles) after the account is
// deleted, the charter signatures after it is deleted, and each entry of
// the connection journal after it was written.
type Retention struct {
	IdentityMonths int `json:"identity_months"`
	CharterMonths  int `json:"charter_months"`
	JournalMonths  int `json:"journal_months"`
}

// DefaultRetention is 3 months for the identity, 1 year for the signed
// charter, 1 year for the connection journal: the periods of seed 003, and
// those of governance's default rulebook.
func DefaultRetention() Retention {
	return Retention{IdentityMonths: 3, CharterMonths: 12, JournalMonths: 12}
}

// RetentionFrom reads the periods of a governance rulebook.
func RetentionFrom(r governance.Retention) Retention {
	return Retention{IdentityMonths: r.IdentityMonthsAfterDeletion, CharterMonths: r.CharterMonthsAfterDeletion, JournalMonths: r.ConnectionLogMonths}
}

func (r Retention) validate() error {
	if r.IdentityMonths < 0 || r.CharterMonths < 0 || r.JournalMonths < 1 {
		return raftdata.Malformed("retention periods must be whole months, at least 0 (1 for the journal)")
	}
	return nil
}

// RetentionRun is the payload of CmdRetentionRun: the periods in force. It
// names no account: the handler finds what is due from the command's time,
// so every node purges the same rows.
type RetentionRun struct {
	Retention Retention `json:"retention"`
}

// RetentionReport counts what one run removed.
type RetentionReport struct {
	IdentitiesPurged int64 `json:"identities_purged"` // name, email, roles of accounts deleted long enough ago
	SignaturesPurged int64 `json:"signatures_purged"`
	AccountsRemoved  int64 `json:"accounts_removed"` // last trace of an account, once both periods are over
	JournalPurged    int64 `json:"journal_purged"`
	SessionsExpired  int64 `json:"sessions_expired"`
	AttemptsExpired  int64 `json:"attempts_expired"`
	GuestsEnded      int64 `json:"guests_ended"` // guests past their end, deleted from it
}

// retention is the policy in force: the rulebook's when the service has
// one, else Options.Retention.
func (s *Service) retention(ctx context.Context) (Retention, error) {
	if s.opts.Rulebook == nil {
		return s.opts.Retention, nil
	}
	v, err := s.opts.Rulebook.Current(ctx)
	if err != nil {
		return Retention{}, fmt.Errorf("read retention periods: %w", err)
	}
	return RetentionFrom(v.Rules.Retention), nil
}

// RunRetention applies one CmdRetentionRun stamped with the service's
// clock: every node deletes the same rows past their period, and, when an
// identity was purged, compacts so that no copy stays in its files. It is
// meant to run on the leader periodically (RetentionLoop); running it
// anywhere, or twice, is harmless.
func (s *Service) RunRetention(ctx context.Context) (RetentionReport, error) {
	r, err := s.retention(ctx)
	if err != nil {
		return RetentionReport{}, err
	}
	if err := r.validate(); err != nil {
		return RetentionReport{}, err
	}
	var rep RetentionReport
	if err := s.apply(ctx, CmdRetentionRun, RetentionRun{Retention: r}, &rep); err != nil {
		return RetentionReport{}, fmt.Errorf("retention: %w", err)
	}
	return rep, nil
}

// RetentionLoop runs RunRetention every interval while this node leads,
// until ctx ends. The composition root starts it on every node.
func (s *Service) RetentionLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.store.IsLeader() {
			continue
		}
		rep, err := s.RunRetention(ctx)
		if err != nil {
			s.log.Warn("retention run failed; next one will retry", "error", err)
			continue
		}
		s.log.Info("retention run", "identities_purged", rep.IdentitiesPurged, "signatures_purged", rep.SignaturesPurged,
			"accounts_removed", rep.AccountsRemoved, "journal_purged", rep.JournalPurged)
	}
}

// cutoff is the latest time whose data, at now, has been kept months.
func cutoff(now time.Time, months int) int64 { return now.AddDate(0, -months, 0).UnixNano() }

func applyRetentionRun(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p RetentionRun
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := p.Retention.validate(); err != nil {
		return nil, err
	}
	now := cmd.Time.UTC()
	identityCut := cutoff(now, p.Retention.IdentityMonths)
	charterCut := cutoff(now, p.Retention.CharterMonths)
	var rep RetentionReport
	var err error
	if rep.GuestsEnded, err = endGuestsIn(tx, now.UnixNano()); err != nil {
		return nil, err
	}

	ids, err := idsOf(tx, `SELECT id FROM members_accounts WHERE status = 'deleted' AND identity_purged_at IS NULL AND deleted_at <= ? ORDER BY id`, identityCut)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.Exec(`UPDATE members_accounts SET name = NULL, email = NULL, password_hash = NULL, identity_purged_at = ? WHERE id = ?`, now.UnixNano(), id); err != nil {
			return nil, fmt.Errorf("purge identity: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM members_roles WHERE account_id = ?`, id); err != nil {
			return nil, fmt.Errorf("purge roles: %w", err)
		}
		if err := emit(tx, "purged", map[string]any{"id": id, "what": "identity"}); err != nil {
			return nil, err
		}
	}
	rep.IdentitiesPurged = int64(len(ids))

	ids, err = idsOf(tx, `SELECT DISTINCT s.account_id FROM members_charter_signatures s JOIN members_accounts a ON a.id = s.account_id
		WHERE a.status = 'deleted' AND a.deleted_at <= ? ORDER BY s.account_id`, charterCut)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		res, err := tx.Exec(`DELETE FROM members_charter_signatures WHERE account_id = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("purge charter signatures: %w", err)
		}
		n, _ := res.RowsAffected()
		rep.SignaturesPurged += n
		if err := emit(tx, "purged", map[string]any{"id": id, "what": "charter"}); err != nil {
			return nil, err
		}
	}

	// The last trace (id, status, dates) goes once both periods are over.
	if rep.AccountsRemoved, err = affected(tx, `DELETE FROM members_accounts WHERE status = 'deleted' AND identity_purged_at IS NOT NULL
		AND deleted_at <= ? AND deleted_at <= ?`, identityCut, charterCut); err != nil {
		return nil, err
	}
	if rep.JournalPurged, err = affected(tx, `DELETE FROM members_journal WHERE at <= ?`, cutoff(now, p.Retention.JournalMonths)); err != nil {
		return nil, err
	}
	if rep.SessionsExpired, err = affected(tx, `DELETE FROM members_sessions WHERE expires_at <= ? OR last_used_at + idle_ns <= ?`, now.UnixNano(), now.UnixNano()); err != nil {
		return nil, err
	}
	if rep.AttemptsExpired, err = affected(tx, `DELETE FROM members_login_attempts WHERE expires_at <= ?`, now.UnixNano()); err != nil {
		return nil, err
	}
	if rep.IdentitiesPurged+rep.SignaturesPurged+rep.AccountsRemoved+rep.JournalPurged > 0 {
		tx.RequestCompaction()
	}
	return rep, emit(tx, "retention_run", rep)
}

func idsOf(tx *raftdata.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func affected(tx *raftdata.Tx, query string, args ...any) (int64, error) {
	res, err := tx.Exec(query, args...)
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	return res.RowsAffected()
}
