package members

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"coop/governance"
	"coop/raftdata"
)

// MaxNameChars bounds a display name.
const MaxNameChars = 100

// SignupInput is what a person gives to join: the body of POST /signup.
type SignupInput struct {
	Name          string `json:"name"`
	Email         string `json:"email"`
	Password      string `json:"password"`
	AcceptCharter bool   `json:"accept_charter"`
	// Lang is the language the charter was shown in ("fr" or "en").
	Lang string `json:"lang,omitempty"`
}

// CheckName validates a display name and returns it trimmed.
func CheckName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", raftdata.Refuse(raftdata.CodeInvalid, "name_required", "a name is required").On("name")
	case !utf8.ValidString(name):
		return "", raftdata.Refuse(raftdata.CodeInvalid, "name_utf8", "the name is not valid UTF-8 text").On("name")
	case utf8.RuneCountInString(name) > MaxNameChars:
		return "", raftdata.Refuse(raftdata.CodeInvalid, "name_long", "the name is too long: at most %d characters", MaxNameChars).With("max", MaxNameChars).On("name")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", raftdata.Refuse(raftdata.CodeInvalid, "name_control", "the name must not contain control characters").On("name")
	}
	return name, nil
}

// Validate checks a sign-up and returns it normalised (name trimmed,
// email trimmed and lower-cased). The error is CodeInvalid and says what to
// fix; for a weak password, why it is weak. It does not hash anything.
func (in SignupInput) Validate() (SignupInput, error) {
	name, err := CheckName(in.Name)
	if err != nil {
		return in, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return in, err
	}
	if err := CheckPassword(in.Password, email, name); err != nil {
		return in, err
	}
	if !in.AcceptCharter {
		return in, raftdata.Refuse(raftdata.CodeInvalid, "charter", "joining means accepting the member charter: read it and tick accept_charter").On("accept_charter")
	}
	out := in
	out.Name, out.Email = name, email
	out.Lang = charterLang(CharterMember, in.Lang)
	return out, nil
}

// SignedUp is the payload of CmdSignedUp and CmdOperatorBootstrapped: the
// account as created, with its argon2id hash and the charter it signed.
type SignedUp struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Email          string      `json:"email"`
	PasswordHash   string      `json:"password_hash"`
	Role           Role        `json:"role"`
	Charter        CharterKind `json:"charter"`
	CharterVersion int         `json:"charter_version"`
	Lang           string      `json:"lang"`
}

// SignUp creates an applicant's account, the current member charter signed
// now; the handler admits them at once when the rulebook's admission is
// "open". A taken email is CodeConflict, decided by the handler so that
// two sign-ups racing on two nodes cannot both win.
func (s *Service) SignUp(ctx context.Context, in SignupInput) (Account, error) {
	in, err := in.Validate()
	if err != nil {
		return Account{}, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return Account{}, fmt.Errorf("sign up: %w", err)
	}
	p := SignedUp{
		ID: raftdata.NewID(), Name: in.Name, Email: in.Email, PasswordHash: hash, Role: RoleApplicant,
		Charter: CharterMember, CharterVersion: CharterVersion(CharterMember), Lang: in.Lang,
	}
	var res signedUpResult
	if err := s.apply(ctx, CmdSignedUp, p, &res); err != nil {
		return Account{}, fmt.Errorf("sign up: %w", err)
	}
	role := RoleApplicant
	if res.Admitted {
		role = RoleMember
	}
	return Account{
		ID: p.ID, Name: p.Name, Email: p.Email, Roles: []Role{role}, Status: StatusActive,
		CreatedAt: s.now(), CharterCurrent: true, Admitted: res.Admitted,
	}, nil
}

// signedUpResult is what the sign-up handler answers.
type signedUpResult struct {
	ID       string `json:"id"`
	Admitted bool   `json:"admitted"`
}

func applySignedUp(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p SignedUp
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	// A sign-up from before admission existed carries the member role: its
	// account stays admitted when an old log is replayed.
	if (p.Role != RoleApplicant && p.Role != RoleMember) || p.Charter != CharterMember {
		return nil, raftdata.Malformed("a sign-up creates an applicant who signs the member charter")
	}
	if err := createAccount(tx, cmd, p, "signup"); err != nil {
		return nil, err
	}
	res := signedUpResult{ID: p.ID, Admitted: p.Role == RoleMember}
	if err := emit(tx, "signed_up", map[string]any{"id": p.ID}); err != nil {
		return nil, err
	}
	if p.Role == RoleApplicant {
		rules, _, err := governance.CurrentIn(tx)
		if err != nil {
			return nil, err
		}
		if rules.Membership.Admission == governance.AdmitOpen {
			res.Admitted = true
			return res, admitIn(tx, cmd, p.ID, "", governance.AdmitOpen)
		}
	}
	return res, nil
}

// createAccount inserts an account with its one role and its charter
// signature, refusing an email already in use.
func createAccount(tx *raftdata.Tx, cmd raftdata.Command, p SignedUp, grantedBy string) error {
	if p.ID == "" || p.Name == "" || p.PasswordHash == "" || p.CharterVersion < 1 {
		return raftdata.Malformed("an account needs an id, a name, a password and a charter")
	}
	if email, err := NormalizeEmail(p.Email); err != nil || email != p.Email {
		return raftdata.Malformed("the email address is not normalised")
	}
	if err := insertAccount(tx, cmd, p, grantedBy, nil); err != nil {
		return err
	}
	return insertSignature(tx, cmd, CharterSigned{Account: p.ID, Charter: p.Charter, Version: p.CharterVersion, Lang: p.Lang})
}

// insertAccount inserts an active account with its one role, refusing an
// email already in use; expires ends a guest's account (nil otherwise).
func insertAccount(tx *raftdata.Tx, cmd raftdata.Command, p SignedUp, grantedBy string, expires *int64) error {
	var taken int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM members_accounts WHERE email = ? AND status <> 'deleted'`, p.Email).Scan(&taken); err != nil {
		return fmt.Errorf("check email: %w", err)
	}
	if taken > 0 {
		return errEmailTaken()
	}
	at := nanos(cmd)
	if _, err := tx.Exec(`INSERT INTO members_accounts(id, name, email, password_hash, status, created_at, expires_at) VALUES(?,?,?,?,?,?,?)`,
		p.ID, p.Name, p.Email, p.PasswordHash, StatusActive, at, expires); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO members_roles(account_id, role, granted_at, granted_by) VALUES(?,?,?,?)`,
		p.ID, p.Role, at, grantedBy); err != nil {
		return fmt.Errorf("grant %s: %w", p.Role, err)
	}
	return nil
}

func errEmailTaken() error {
	return raftdata.Refuse(raftdata.CodeConflict, "email_taken", "an account with this email address already exists").On("email")
}
