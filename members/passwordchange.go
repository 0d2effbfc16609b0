package members

import (
	"context"
	"fmt"

	"coop/raftdata"
)

// PasswordChanged is the payload of CmdPasswordChanged.
type PasswordChanged struct {
	Account      string `json:"account"`
	PasswordHash string `json:"password_hash"`
}

// ChangePassword replaces the actor's password after checking the current
// one. Every session of the account ends (the ui logs the member in again
// with the new password); API tokens stay.
func (s *Service) ChangePassword(ctx context.Context, actor Account, current, next string) error {
	if err := actor.Require(); err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, actor.ID, current); err != nil {
		return err
	}
	row, err := accountByID(s.local(ctx), actor.ID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := CheckPassword(next, row.email, row.name); err != nil {
		return err
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.apply(ctx, CmdPasswordChanged, PasswordChanged{Account: actor.ID, PasswordHash: hash}, nil); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// checkCurrentPassword refuses a change that needs the account's current
// password when current is not it.
func (s *Service) checkCurrentPassword(ctx context.Context, accountID, current string) error {
	if err := s.sync(ctx); err != nil {
		return err
	}
	row, err := accountByID(s.local(ctx), accountID)
	if err != nil {
		return fmt.Errorf("check the current password: %w", err)
	}
	ok, err := s.verify(ctx, current, row.hash)
	if err != nil {
		return fmt.Errorf("check the current password: %w", err)
	}
	if !ok || current == "" {
		return raftdata.Refuse(raftdata.CodeForbidden, "current_password", "the current password is wrong").On("current_password")
	}
	return nil
}

func applyPasswordChanged(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p PasswordChanged
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if _, err := parsePHC(p.PasswordHash); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET password_hash = ? WHERE id = ?`, p.PasswordHash, p.Account); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_sessions WHERE account_id = ?`, p.Account); err != nil {
		return nil, fmt.Errorf("end sessions: %w", err)
	}
	return nil, emit(tx, "password_changed", map[string]any{"id": p.Account})
}
