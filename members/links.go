package members

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coop/raftdata"
)

// One-time links: a password reset, or the proof that a person reads the
// mailbox of their email address. The link carries a token of 256 random
// bits; the replicated state keeps only its SHA-256, the account, the
// purpose, the email it was sent to, and its end. A link works once.
const (
	ResetPrefix  = "coop_r_"
	VerifyPrefix = "coop_v_"

	// ResetTTL is how long a reset link sent by email works; an operator's
	// link (handed over by other means) works OperatorResetTTL.
	ResetTTL         = time.Hour
	OperatorResetTTL = 24 * time.Hour
	// VerifyTTL is how long an email verification link works.
	VerifyTTL = 48 * time.Hour
	// maxLiveLinks bounds the links of one purpose an account holds at
	// once: a stranger cannot fill a mailbox with resets.
	maxLiveLinks = 3
)

// Purposes of a one-time link.
const (
	LinkReset  = "reset"
	LinkVerify = "verify"
)

const linksSchema = `
CREATE TABLE IF NOT EXISTS members_links (
	hash       TEXT PRIMARY KEY,         -- hex SHA-256 of the token
	account_id TEXT NOT NULL,
	purpose    TEXT NOT NULL,            -- reset | verify
	email      TEXT NOT NULL,            -- the address it was sent to (verify: the one it proves)
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_links_account ON members_links(account_id, purpose, expires_at);

-- The email addresses whose owner followed a verification link.
CREATE TABLE IF NOT EXISTS members_email_verified (
	account_id  TEXT NOT NULL,
	email       TEXT NOT NULL,
	verified_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, email)
) WITHOUT ROWID;
`

// Command types of one-time links.
const (
	CmdLinkIssued    = "member.link_issued"
	CmdPasswordReset = "member.password_reset"
	CmdEmailVerified = "member.email_verified"
)

// registerLinks adds the tables and handlers of one-time links.
func registerLinks(reg *raftdata.Registry, auth *authMirror) {
	reg.Schema("members", linksSchema)
	auth.handle(reg, CmdLinkIssued, applyLinkIssued)
	auth.handle(reg, CmdPasswordReset, applyPasswordReset)
	auth.handle(reg, CmdEmailVerified, applyEmailVerified)
	// Second handlers of commands whose first (Register) drops already.
	reg.Handle(CmdDeleted, applyDeletedLinks)
	reg.Handle(CmdRetentionRun, applyRetentionLinks)
}

// LinkIssued is the payload of CmdLinkIssued.
type LinkIssued struct {
	Hash      string `json:"hash"`
	Account   string `json:"account"`
	Purpose   string `json:"purpose"`
	Email     string `json:"email"`
	ExpiresAt int64  `json:"expires_at"`
}

// Link is a one-time link just issued: Token goes into the link, once.
type Link struct {
	Token     string    `json:"-"`
	Account   Account   `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueReset issues a password reset link for the active account that
// uses email. ok is false when there is none, or when the account holds
// enough live links already: the caller answers the same either way, so
// that no one learns whether an address has an account.
func (s *Service) IssueReset(ctx context.Context, email string) (link Link, ok bool, err error) {
	email, err = NormalizeEmail(email)
	if err != nil {
		return Link{}, false, nil
	}
	if err := s.sync(ctx); err != nil {
		return Link{}, false, err
	}
	row, err := accountByEmail(s.local(ctx), email)
	if errors.Is(err, errNoAccount) || err == nil && row.status != StatusActive {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, err
	}
	return s.issue(ctx, row, LinkReset, ResetPrefix, ResetTTL)
}

// IssueResetFor is an operator's one-time reset link for an account, when
// no email can carry it: the operator hands it over, once.
func (s *Service) IssueResetFor(ctx context.Context, actor Account, accountID string) (Link, error) {
	if err := actor.Require(RoleOperator); err != nil {
		return Link{}, err
	}
	if err := s.sync(ctx); err != nil {
		return Link{}, err
	}
	row, err := accountByID(s.local(ctx), accountID)
	if errors.Is(err, errNoAccount) || err == nil && row.status == StatusDeleted {
		return Link{}, errNoSuchAccount(accountID)
	}
	if err != nil {
		return Link{}, err
	}
	if row.status != StatusActive {
		return Link{}, errReinstateFirst(row.status)
	}
	link, ok, err := s.issue(ctx, row, LinkReset, ResetPrefix, OperatorResetTTL)
	if err == nil && !ok {
		err = raftdata.Refuse(raftdata.CodeTooMany, "reset_links_live", "this account holds %d reset links already: wait until one expires", maxLiveLinks).With("max", maxLiveLinks)
	}
	return link, err
}

// IssueVerification issues a link that proves the actor reads the mailbox
// of their current email address.
func (s *Service) IssueVerification(ctx context.Context, actor Account) (Link, error) {
	if err := actor.Require(); err != nil {
		return Link{}, err
	}
	row, err := accountByID(s.local(ctx), actor.ID)
	if err != nil {
		return Link{}, fmt.Errorf("verification link: %w", err)
	}
	link, ok, err := s.issue(ctx, row, LinkVerify, VerifyPrefix, VerifyTTL)
	if err == nil && !ok {
		err = raftdata.Refuse(raftdata.CodeTooMany, "verify_links_live", "%d verification links are on their way already: use one of them, or wait until one expires", maxLiveLinks).With("max", maxLiveLinks)
	}
	return link, err
}

func (s *Service) issue(ctx context.Context, row accountRow, purpose, prefix string, ttl time.Duration) (Link, bool, error) {
	token, hash := newSecret(prefix)
	expires := s.now().Add(ttl)
	var res struct {
		Issued bool `json:"issued"`
	}
	p := LinkIssued{Hash: hash, Account: row.id, Purpose: purpose, Email: row.email, ExpiresAt: expires.UnixNano()}
	if err := s.apply(ctx, CmdLinkIssued, p, &res); err != nil {
		return Link{}, false, fmt.Errorf("issue a %s link: %w", purpose, err)
	}
	if !res.Issued {
		return Link{}, false, nil
	}
	a, err := loadAccount(s.local(ctx), row, CharterVersions())
	if err != nil {
		return Link{}, false, err
	}
	return Link{Token: token, Account: a, ExpiresAt: expires.UTC()}, true, nil
}

func applyLinkIssued(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p LinkIssued
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if len(p.Hash) != 64 || (p.Purpose != LinkReset && p.Purpose != LinkVerify) || p.ExpiresAt <= nanos(cmd) {
		return nil, raftdata.Malformed("a link needs a hash, a purpose and an end")
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive || row.email != p.Email {
		return map[string]bool{"issued": false}, nil
	}
	if _, err := tx.Exec(`DELETE FROM members_links WHERE expires_at <= ?`, nanos(cmd)); err != nil {
		return nil, fmt.Errorf("drop expired links: %w", err)
	}
	var live int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM members_links WHERE account_id = ? AND purpose = ?`, p.Account, p.Purpose).Scan(&live); err != nil {
		return nil, fmt.Errorf("count links: %w", err)
	}
	if live >= maxLiveLinks {
		return map[string]bool{"issued": false}, nil
	}
	if _, err := tx.Exec(`INSERT INTO members_links(hash, account_id, purpose, email, created_at, expires_at) VALUES(?,?,?,?,?,?)`,
		p.Hash, p.Account, p.Purpose, p.Email, nanos(cmd), p.ExpiresAt); err != nil {
		return nil, fmt.Errorf("issue link: %w", err)
	}
	return map[string]bool{"issued": true}, emit(tx, "link_issued", map[string]any{"id": p.Account, "purpose": p.Purpose})
}

// errBadLink is the one answer to a link that is unknown, used, expired or
// for another purpose: the caller learns nothing more.
func errBadLink() error {
	return raftdata.Refuse(raftdata.CodeInvalid, "bad_link", "this link is not valid (any more): links work once and expire; ask for a new one")
}

// spendLink finds a live link of purpose by its hash in a handler, checks
// that its account is active and still uses the address it went to, and
// deletes it: a link works once.
func spendLink(tx *raftdata.Tx, cmd raftdata.Command, hash, purpose string) (account, email string, err error) {
	err = tx.QueryRow(`SELECT account_id, email FROM members_links WHERE hash = ? AND purpose = ? AND expires_at > ?`,
		hash, purpose, nanos(cmd)).Scan(&account, &email)
	if err != nil {
		return "", "", errBadLink()
	}
	row, err := targetIn(tx, account)
	if err != nil || row.status != StatusActive || row.email != email {
		return "", "", errBadLink()
	}
	if _, err := tx.Exec(`DELETE FROM members_links WHERE hash = ?`, hash); err != nil {
		return "", "", fmt.Errorf("spend link: %w", err)
	}
	return account, email, nil
}

// PasswordReset is the payload of CmdPasswordReset.
type PasswordReset struct {
	Hash         string `json:"hash"`
	PasswordHash string `json:"password_hash"`
}

// ResetPassword sets a new password with a reset link's token. The link
// is spent, every session of the account ends (API tokens stay), and the
// reset proves the mailbox, so the address counts as verified.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	hash := hashSecret(token)
	if err := s.sync(ctx); err != nil {
		return err
	}
	var accountID string
	err := s.local(ctx).QueryRow(`SELECT account_id FROM members_links WHERE hash = ? AND purpose = ? AND expires_at > ?`,
		hash, LinkReset, s.now().UnixNano()).Scan(&accountID)
	if err != nil {
		return errBadLink()
	}
	row, err := accountByID(s.local(ctx), accountID)
	if err != nil {
		return errBadLink()
	}
	if err := CheckPassword(password, row.email, row.name); err != nil {
		return err
	}
	phc, err := s.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	return s.apply(ctx, CmdPasswordReset, PasswordReset{Hash: hash, PasswordHash: phc}, nil)
}

func applyPasswordReset(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p PasswordReset
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if _, err := parsePHC(p.PasswordHash); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	account, email, err := spendLink(tx, cmd, p.Hash, LinkReset)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`UPDATE members_accounts SET password_hash = ? WHERE id = ?`, p.PasswordHash, account); err != nil {
		return nil, fmt.Errorf("reset password: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_sessions WHERE account_id = ?`, account); err != nil {
		return nil, fmt.Errorf("end sessions: %w", err)
	}
	if err := markVerified(tx, cmd, account, email); err != nil {
		return nil, err
	}
	return nil, emit(tx, "password_reset", map[string]any{"id": account})
}

// EmailVerified is the payload of CmdEmailVerified.
type EmailVerified struct {
	Hash string `json:"hash"`
}

// VerifyEmail spends a verification link: its address counts as verified
// for its account, as long as the account keeps it.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.apply(ctx, CmdEmailVerified, EmailVerified{Hash: hashSecret(token)}, nil)
}

func applyEmailVerified(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p EmailVerified
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	account, email, err := spendLink(tx, cmd, p.Hash, LinkVerify)
	if err != nil {
		return nil, err
	}
	if err := markVerified(tx, cmd, account, email); err != nil {
		return nil, err
	}
	return nil, emit(tx, "email_verified", map[string]any{"id": account})
}

func markVerified(tx *raftdata.Tx, cmd raftdata.Command, account, email string) error {
	if _, err := tx.Exec(`INSERT OR IGNORE INTO members_email_verified(account_id, email, verified_at) VALUES(?,?,?)`,
		account, email, nanos(cmd)); err != nil {
		return fmt.Errorf("mark verified: %w", err)
	}
	return nil
}

// EmailVerified tells whether the account's current address was verified.
func (s *Service) EmailVerified(ctx context.Context, a Account) (bool, error) {
	var n int
	err := s.local(ctx).QueryRow(`SELECT COUNT(*) FROM members_email_verified WHERE account_id = ? AND email = ?`, a.ID, a.Email).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read verification: %w", err)
	}
	return n > 0, nil
}

// applyDeletedLinks forgets an erased account's links and verified
// addresses with it.
func applyDeletedLinks(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p Deleted
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	for _, q := range []string{`DELETE FROM members_links WHERE account_id = ?`, `DELETE FROM members_email_verified WHERE account_id = ?`} {
		if _, err := tx.Exec(q, p.Account); err != nil {
			return nil, fmt.Errorf("forget links: %w", err)
		}
	}
	return nil, nil
}

// applyRetentionLinks drops expired links, and verified addresses an
// account no longer uses.
func applyRetentionLinks(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	if _, err := tx.Exec(`DELETE FROM members_links WHERE expires_at <= ?`, nanos(cmd)); err != nil {
		return nil, fmt.Errorf("drop expired links: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM members_email_verified WHERE NOT EXISTS (SELECT 1 FROM members_accounts a
		WHERE a.id = members_email_verified.account_id AND a.email = members_email_verified.email AND a.status <> 'deleted')`); err != nil {
		return nil, fmt.Errorf("drop old verified addresses: %w", err)
	}
	return nil, nil
}
