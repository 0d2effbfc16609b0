package proposals

// The tables proposals owns. Ballots are linked to a voter key, not to an
// account: the link (proposals_electorate.account_id) is cut when the
// member is erased, and the published ballot list shows only receipt
// hashes, so tallies keep their counts without the person.
const schema = `
-- Small, hot columns first and the definition last: a ballot reads the
-- status, deadline and rule without loading the definition's pages.
CREATE TABLE IF NOT EXISTS proposals (
	id             TEXT PRIMARY KEY,
	requester      TEXT NOT NULL,
	kind           TEXT NOT NULL,
	pool           TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL,
	reason         TEXT NOT NULL DEFAULT '',
	rule           TEXT NOT NULL DEFAULT '', -- voting rule fixed at opening (JSON)
	created_at     INTEGER NOT NULL,
	opened_at      INTEGER,
	deadline       INTEGER,
	closed_at      INTEGER,
	electorate     INTEGER NOT NULL DEFAULT 0,
	yes            INTEGER NOT NULL DEFAULT 0,
	no             INTEGER NOT NULL DEFAULT 0,
	abstain        INTEGER NOT NULL DEFAULT 0,
	definition     TEXT NOT NULL   -- the Draft as submitted (JSON)
);
CREATE INDEX IF NOT EXISTS proposals_status_deadline ON proposals(status, deadline);
CREATE INDEX IF NOT EXISTS proposals_newest ON proposals(created_at, id);
CREATE INDEX IF NOT EXISTS proposals_status_newest ON proposals(status, created_at, id);

CREATE TABLE IF NOT EXISTS proposals_electorate (
	proposal   TEXT NOT NULL,
	voter_key  TEXT NOT NULL,
	account_id TEXT,                -- NULL once the member is erased
	PRIMARY KEY (proposal, voter_key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS proposals_electorate_account ON proposals_electorate(proposal, account_id) WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS proposals_electorate_by_account ON proposals_electorate(account_id);

-- The participation while the vote runs: how many of the electorate have
-- a ballot, kept by each first ballot (a small row: the hot path does not
-- rewrite the proposal's definition). The choices are counted only at the
-- close, from the ballots.
CREATE TABLE IF NOT EXISTS proposals_tallies (
	proposal      TEXT PRIMARY KEY,
	participation INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS proposals_ballots (
	proposal     TEXT NOT NULL,
	voter_key    TEXT NOT NULL,
	choice       TEXT NOT NULL,
	receipt_hash TEXT NOT NULL,
	cast_at      INTEGER NOT NULL,
	PRIMARY KEY (proposal, voter_key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS proposals_comments (
	id         TEXT PRIMARY KEY,
	proposal   TEXT NOT NULL,
	author     TEXT NOT NULL,
	requester  INTEGER NOT NULL,    -- 1 when the requester answers
	body       TEXT NOT NULL,
	at         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proposals_comments_proposal ON proposals_comments(proposal, at);

-- The secret each proposal's comment pseudonyms are derived from
-- (discussion.go): random, fixed by the first comment that carried one,
-- never shown.
CREATE TABLE IF NOT EXISTS proposals_comment_keys (
	proposal TEXT PRIMARY KEY,
	key      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS proposals_grants (
	proposal          TEXT PRIMARY KEY,
	pool              TEXT NOT NULL,
	query             TEXT NOT NULL,
	min_cohort        INTEGER NOT NULL,
	epsilon_total     REAL NOT NULL,
	epsilon_per_query REAL NOT NULL,
	epsilon_spent     REAL NOT NULL DEFAULT 0,
	starts_at         INTEGER NOT NULL,
	expires_at        INTEGER NOT NULL,
	retention_days    INTEGER NOT NULL DEFAULT 0 -- reuse: days a run's result is kept
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS proposals_objections (
	proposal   TEXT NOT NULL,
	account_id TEXT NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (proposal, account_id)
) WITHOUT ROWID;

-- A run: at is the committed clock at its debit (raftdata Tx.Clock), the
-- consent set is pooling's (pooling_consent_set_heads), members_noisy is
-- the answer's noisy size (for operators), deleted_at is set when a reuse
-- result passed its retention and was deleted.
CREATE TABLE IF NOT EXISTS proposals_runs (
	id            TEXT PRIMARY KEY,
	proposal      TEXT NOT NULL,
	by_account    TEXT NOT NULL,
	at            INTEGER NOT NULL,
	epsilon       REAL NOT NULL,
	cohort        INTEGER NOT NULL DEFAULT 0, -- no longer written (an exact count)
	result        TEXT NOT NULL DEFAULT '',   -- JSON; empty until released, and once deleted
	consent_index INTEGER NOT NULL DEFAULT 0,
	consent_hash  TEXT NOT NULL DEFAULT '',
	members_noisy INTEGER NOT NULL DEFAULT 0,
	deleted_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proposals_runs_proposal ON proposals_runs(proposal, at);

-- The noisy count of a pool's consenting members shown before votes: one
-- per pool and day (of the committed clock), paid from the pool's yearly
-- preview budget.
CREATE TABLE IF NOT EXISTS proposals_preview_counts (
	pool    TEXT NOT NULL,
	day     TEXT NOT NULL,
	count   INTEGER NOT NULL,
	epsilon REAL NOT NULL,
	at      INTEGER NOT NULL,
	PRIMARY KEY (pool, day)
) WITHOUT ROWID;

-- What a reuse requester must do once the coop deleted results past their
-- retention: delete their own copies.
CREATE TABLE IF NOT EXISTS proposals_obligations (
	proposal     TEXT NOT NULL,
	run          TEXT NOT NULL,
	requester    TEXT NOT NULL,
	organisation TEXT NOT NULL,
	at           INTEGER NOT NULL,
	PRIMARY KEY (proposal, run)
) WITHOUT ROWID;
`
