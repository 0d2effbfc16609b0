package members

import (
	"context"
	"fmt"

	"coop/raftdata"
)

// ProfileUpdated is the payload of CmdProfileUpdated.
type ProfileUpdated struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	Email   string `json:"email"`
}

// UpdateProfile rectifies the actor's name and email (the right to
// rectification). Empty values keep the current ones; an email another
// account uses is CodeConflict. A new email needs the current password
// (CodeForbidden when it is wrong): whoever holds an open session must not
// take the account over by moving its resets to their own mailbox.
func (s *Service) UpdateProfile(ctx context.Context, actor Account, name, email, currentPassword string) (Account, error) {
	if err := actor.Require(); err != nil {
		return Account{}, err
	}
	p := ProfileUpdated{Account: actor.ID, Name: actor.Name, Email: actor.Email}
	var err error
	if name != "" {
		if p.Name, err = CheckName(name); err != nil {
			return Account{}, err
		}
	}
	if email != "" {
		if p.Email, err = NormalizeEmail(email); err != nil {
			return Account{}, err
		}
	}
	if p.Email != actor.Email {
		if err := s.checkCurrentPassword(ctx, actor.ID, currentPassword); err != nil {
			return Account{}, err
		}
	}
	if err := s.apply(ctx, CmdProfileUpdated, p, nil); err != nil {
		return Account{}, fmt.Errorf("update profile: %w", err)
	}
	actor.Name, actor.Email = p.Name, p.Email
	return actor, nil
}

func applyProfileUpdated(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p ProfileUpdated
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if _, err := CheckName(p.Name); err != nil {
		return nil, err
	}
	if email, err := NormalizeEmail(p.Email); err != nil || email != p.Email {
		return nil, raftdata.Malformed("the email address is not normalised")
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	var taken int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM members_accounts WHERE email = ? AND status <> 'deleted' AND id <> ?`, p.Email, p.Account).Scan(&taken); err != nil {
		return nil, fmt.Errorf("check email: %w", err)
	}
	if taken > 0 {
		return nil, errEmailTaken()
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET name = ?, email = ? WHERE id = ?`, p.Name, p.Email, p.Account); err != nil {
		return nil, fmt.Errorf("update profile: %w", err)
	}
	return nil, emit(tx, "profile_updated", map[string]any{"id": p.Account})
}
