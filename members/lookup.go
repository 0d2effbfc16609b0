package members

import (
	"context"
	"errors"
	"strings"

	"coop/raftdata"
)

// MemberByEmail finds the admitted, active member who uses email, for a
// member who names another (a custodians proposal names its custodians by
// email). It tells a member no more than sign-up tells anyone (an email
// that is taken answers 409 there).
func (s *Service) MemberByEmail(ctx context.Context, actor Account, email string) (Account, error) {
	if err := actor.Require(RoleMember); err != nil {
		return Account{}, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	q := s.local(ctx)
	row, err := accountByEmail(q, email)
	if errors.Is(err, errNoAccount) {
		if err := s.sync(ctx); err != nil {
			return Account{}, err
		}
		row, err = accountByEmail(q, email)
	}
	if errors.Is(err, errNoAccount) {
		return Account{}, raftdata.Refuse(raftdata.CodeNotFound, "no_member_email", "no member uses the email %s", email).With("email", email).On("email")
	}
	if err != nil {
		return Account{}, err
	}
	a, err := loadAccount(q, row, CharterVersions())
	if err != nil {
		return Account{}, err
	}
	if !a.Active() || !a.Has(RoleMember) {
		return Account{}, raftdata.Refuse(raftdata.CodeNotFound, "no_member_email", "no member uses the email %s", email).With("email", email).On("email")
	}
	return a, nil
}
