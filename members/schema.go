package members

// The tables members owns in the replicated store. Times are Unix
// nanoseconds (UTC) taken from command times; secrets are stored only as
// hashes: argon2id for passwords, SHA-256 (hex) for session and API tokens.
const schema = `
CREATE TABLE IF NOT EXISTS members_accounts (
	id                 TEXT PRIMARY KEY,
	name               TEXT,             -- NULL once the identity is purged
	email              TEXT,             -- normalised; NULL once purged
	password_hash      TEXT,             -- argon2id PHC string; NULL from deletion on
	status             TEXT NOT NULL,    -- active | suspended | deleted
	created_at         INTEGER NOT NULL,
	suspended_at       INTEGER,
	deleted_at         INTEGER,
	identity_purged_at INTEGER,
	college            TEXT NOT NULL DEFAULT '', -- assigned by an operator; '' until then (upgradeAccounts adds it to older tables)
	expires_at         INTEGER               -- a guest's end; NULL for everyone else
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS members_accounts_email ON members_accounts(email) WHERE status <> 'deleted';
CREATE INDEX IF NOT EXISTS members_accounts_deleted ON members_accounts(deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS members_accounts_signup ON members_accounts(created_at, id); -- the operators' pages of accounts

CREATE TABLE IF NOT EXISTS members_roles (
	account_id TEXT NOT NULL,
	role       TEXT NOT NULL,
	granted_at INTEGER NOT NULL,
	granted_by TEXT NOT NULL,            -- account id, or 'signup' / 'bootstrap' / 'sponsors' / 'open'
	PRIMARY KEY (account_id, role)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_roles_role ON members_roles(role);

CREATE TABLE IF NOT EXISTS members_charter_signatures (
	account_id TEXT NOT NULL,
	charter    TEXT NOT NULL,            -- member | operator
	version    INTEGER NOT NULL,
	lang       TEXT NOT NULL,
	signed_at  INTEGER NOT NULL,
	PRIMARY KEY (account_id, charter, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS members_sessions (
	hash         TEXT PRIMARY KEY,       -- hex SHA-256 of the token
	account_id   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,       -- absolute end
	idle_ns      INTEGER NOT NULL        -- ends when unused this long
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_sessions_account ON members_sessions(account_id);

CREATE TABLE IF NOT EXISTS members_tokens (
	id           TEXT PRIMARY KEY,
	account_id   TEXT NOT NULL,
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the token
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	scopes       TEXT NOT NULL DEFAULT '',    -- sorted, space-separated; '' before scopes (read, vote, contribute)
	expires_at   INTEGER NOT NULL DEFAULT 0   -- 0 before expiries: set at the first use since
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_tokens_account ON members_tokens(account_id);

CREATE TABLE IF NOT EXISTS members_journal (
	id         INTEGER PRIMARY KEY,
	account_id TEXT NOT NULL,
	at         INTEGER NOT NULL,
	address    TEXT NOT NULL,
	outcome    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS members_journal_account ON members_journal(account_id, at);
CREATE INDEX IF NOT EXISTS members_journal_at ON members_journal(at);

-- Login attempts still counted by the limiter: one row per attempt that
-- has not succeeded, until its window ends. A row is written before the
-- password is checked and deleted if the login succeeds, so an attempt cut
-- short by a crash counts as a failure.
CREATE TABLE IF NOT EXISTS members_login_attempts (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL,           -- the account, once the attempt failed; '' for an unknown email
	address_key TEXT NOT NULL,           -- IPv4 address or IPv6 /64
	at          INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	email_key   TEXT NOT NULL DEFAULT '' -- loginKey of the email ('' in older logs); indexed by upgradeCredentials
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_login_attempts_account ON members_login_attempts(account_id, expires_at);
CREATE INDEX IF NOT EXISTS members_login_attempts_address ON members_login_attempts(address_key, expires_at);
CREATE INDEX IF NOT EXISTS members_login_attempts_expires ON members_login_attempts(expires_at);

-- Who vouches for an applicant (membership.admission "sponsors"): one row
-- per sponsor, until the applicant is admitted or either account erased.
CREATE TABLE IF NOT EXISTS members_sponsorships (
	account_id TEXT NOT NULL,            -- the applicant
	sponsor_id TEXT NOT NULL,            -- an admitted member
	at         INTEGER NOT NULL,
	PRIMARY KEY (account_id, sponsor_id)
) WITHOUT ROWID;

-- The membership journal every member reads: each admission, sponsorship
-- and role change, who made it and when, so that a wave is seen.
CREATE TABLE IF NOT EXISTS members_role_journal (
	id         INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	account_id TEXT NOT NULL,            -- whose membership or role changed
	change     TEXT NOT NULL,            -- admitted | sponsored | role_granted | role_revoked
	role       TEXT NOT NULL DEFAULT '',
	actor      TEXT NOT NULL,            -- account id; '' when the rulebook admitted (open) or the sponsors did
	via        TEXT NOT NULL DEFAULT '', -- for an admission: operator | sponsors | open
	college    TEXT NOT NULL DEFAULT ''  -- for a college assignment: the college ('' when cleared)
);
CREATE INDEX IF NOT EXISTS members_role_journal_at ON members_role_journal(at);
`
