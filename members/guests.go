package members

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"time"

	"coop/raftdata"
)

// Guests (seed 003's invited-guest profile): an operator invites someone
// for a number of days. A guest reads proposals, discussions and published
// results; never votes, never sees ballots, holds no data (no consent, no
// record, no proposal, no comment). At its end the account stops at once
// (Access refuses it), and the next retention run deletes it, from which
// the identity's retention period runs.

// MaxGuestDays bounds an invitation: a guest who stays longer is asked
// again.
const MaxGuestDays = 365

// ChangeGuestInvited is the membership journal's line for an invitation.
const ChangeGuestInvited = "guest_invited"

// GuestInput is the body of POST /api/v1/guests.
type GuestInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Days  int    `json:"days"`
}

// NewGuest is a guest just invited. Password is how the guest signs in
// (with the email, on the login page): drawn by the node, shown this once,
// never stored (only its argon2id hash) and never logged.
type NewGuest struct {
	Account  Account `json:"account"`
	Password string  `json:"password"`
}

// GuestInvited is the payload of CmdGuestInvited.
type GuestInvited struct {
	SignedUp
	Days  int    `json:"days"`
	Actor string `json:"actor"`
}

// InviteGuest creates a guest's account for days days.
func (s *Service) InviteGuest(ctx context.Context, actor Account, in GuestInput) (NewGuest, error) {
	if err := actor.Require(RoleOperator); err != nil {
		return NewGuest{}, err
	}
	name, err := CheckName(in.Name)
	if err != nil {
		return NewGuest{}, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return NewGuest{}, err
	}
	if in.Days < 1 || in.Days > MaxGuestDays {
		return NewGuest{}, raftdata.Refuse(raftdata.CodeInvalid, "guest_days", "a guest is invited for 1 to %d days, got %d", MaxGuestDays, in.Days).
			With("max", MaxGuestDays).With("got", in.Days).On("days")
	}
	password := guestPassword()
	hash, err := s.hash(ctx, password)
	if err != nil {
		return NewGuest{}, fmt.Errorf("invite guest: %w", err)
	}
	p := GuestInvited{SignedUp: SignedUp{ID: raftdata.NewID(), Name: name, Email: email, PasswordHash: hash, Role: RoleGuest}, Days: in.Days, Actor: actor.ID}
	var res struct {
		ExpiresAt int64 `json:"expires_at"`
		CreatedAt int64 `json:"created_at"`
	}
	if err := s.apply(ctx, CmdGuestInvited, p, &res); err != nil {
		return NewGuest{}, fmt.Errorf("invite guest: %w", err)
	}
	end := time.Unix(0, res.ExpiresAt).UTC()
	return NewGuest{Password: password, Account: Account{ID: p.ID, Name: name, Email: email, Roles: []Role{RoleGuest},
		Status: StatusActive, CreatedAt: time.Unix(0, res.CreatedAt).UTC(), CharterCurrent: true, ExpiresAt: &end}}, nil
}

// guestPassword is 20 random bytes in base32: 160 bits, far beyond any
// guessing, typed or pasted once.
func guestPassword() string {
	b := make([]byte, 20)
	rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func applyGuestInvited(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p GuestInvited
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := activeOperatorIn(tx, p.Actor); err != nil {
		return nil, err
	}
	if p.Role != RoleGuest || p.ID == "" || p.Name == "" || p.PasswordHash == "" || p.Days < 1 || p.Days > MaxGuestDays {
		return nil, raftdata.Malformed("a guest needs an id, a name, a password and 1 to %d days", MaxGuestDays)
	}
	if email, err := NormalizeEmail(p.Email); err != nil || email != p.Email {
		return nil, raftdata.Malformed("the email address is not normalised")
	}
	end := cmd.Time.AddDate(0, 0, p.Days).UnixNano()
	if err := insertAccount(tx, cmd, p.SignedUp, p.Actor, &end); err != nil {
		return nil, err
	}
	if err := journalRoleIn(tx, cmd, p.ID, ChangeGuestInvited, RoleGuest, p.Actor, ""); err != nil {
		return nil, err
	}
	if err := emit(tx, "guest_invited", map[string]any{"id": p.ID, "by": p.Actor}); err != nil {
		return nil, err
	}
	return map[string]any{"expires_at": end, "created_at": nanos(cmd)}, nil
}

// errGuestEnded is how a guest's account past its end is refused.
func errGuestEnded(end time.Time) error {
	return raftdata.Refuse(raftdata.CodeUnauthorized, "guest_ended", "this guest account ended on %s", end.UTC().Format(time.DateOnly)).With("date", end)
}

// endGuestsIn deletes, in a retention run, the guests whose end has come:
// from their end on, the identity's retention period runs. It returns how
// many.
func endGuestsIn(tx *raftdata.Tx, now int64) (int64, error) {
	ids, err := idsOf(tx, `SELECT id FROM members_accounts WHERE expires_at IS NOT NULL AND expires_at <= ? AND status <> 'deleted' ORDER BY id`, now)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := tx.Exec(`UPDATE members_accounts SET status = 'deleted', deleted_at = expires_at, password_hash = NULL WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("end guest: %w", err)
		}
		if err := dropCredentials(tx, id); err != nil {
			return 0, err
		}
		if err := emit(tx, "guest_ended", map[string]any{"id": id}); err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}
