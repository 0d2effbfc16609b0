package members

import (
	"context"
	"fmt"
	"slices"

	"coop/raftdata"
)

// Deleted is the payload of CmdDeleted. Other packages registering a
// handler on CmdDeleted (to erase what they hold about the account) decode
// Account from it.
type Deleted struct {
	Account string `json:"account"`
	Actor   string `json:"actor"`
}

// DeleteAccount deletes an account, by the member themselves or by an
// operator. It stops working at once: status deleted, every session and
// API token gone, and the password hash erased (seed 003 keeps
// identification data only while the account exists). The name and email
// stay for the identity retention period (3 months by default), the charter
// signatures for theirs (1 year); RunRetention purges them. The last active
// operator cannot be deleted.
func (s *Service) DeleteAccount(ctx context.Context, actor Account, accountID string) error {
	if actor.ID == accountID {
		if err := actor.Require(); err != nil {
			return err
		}
	} else if err := actor.Require(RoleOperator); err != nil {
		return err
	}
	if err := s.apply(ctx, CmdDeleted, Deleted{Account: accountID, Actor: actor.ID}, nil); err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

func applyDeleted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p Deleted
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Actor != p.Account {
		if err := activeOperatorIn(tx, p.Actor); err != nil {
			return nil, err
		}
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if p.Actor == p.Account && row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	roles, err := rolesOf(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if slices.Contains(roles, RoleOperator) && row.status == StatusActive {
		if others, err := otherActiveOperators(tx, p.Account); err != nil {
			return nil, err
		} else if others == 0 {
			return nil, errLastOperator()
		}
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET status = 'deleted', deleted_at = ?, password_hash = NULL WHERE id = ?`,
		nanos(cmd), p.Account); err != nil {
		return nil, fmt.Errorf("delete account: %w", err)
	}
	if err := dropCredentials(tx, p.Account); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`DELETE FROM members_login_attempts WHERE account_id = ?`, p.Account); err != nil {
		return nil, fmt.Errorf("forget attempts: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_sponsorships WHERE account_id = ? OR sponsor_id = ?`, p.Account, p.Account); err != nil {
		return nil, fmt.Errorf("forget sponsorships: %w", err)
	}
	// The password hash leaves the log and snapshots at the compaction.
	tx.RequestCompaction()
	return nil, emit(tx, "deleted", map[string]any{"id": p.Account})
}
