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
	definition     TEXT NOT NULL,  -- the Draft as submitted (JSON)
	-- Added with proxies, colleges and secret ballots (upgradeBallots adds
	-- them to older tables):
	colleges       TEXT NOT NULL DEFAULT '', -- the colleges and weights fixed at opening (JSON); '' for one college
	proxy_cap      INTEGER NOT NULL DEFAULT 0, -- proxies one member may carry, fixed at opening; 0: none
	tally_extra    TEXT NOT NULL DEFAULT ''  -- the tally's proxied count, colleges, in-scope majority, tokens issued (JSON), at the close
);
CREATE INDEX IF NOT EXISTS proposals_status_deadline ON proposals(status, deadline);
CREATE INDEX IF NOT EXISTS proposals_newest ON proposals(created_at, id);
CREATE INDEX IF NOT EXISTS proposals_status_newest ON proposals(status, created_at, id);

CREATE TABLE IF NOT EXISTS proposals_electorate (
	proposal   TEXT NOT NULL,
	voter_key  TEXT NOT NULL,
	account_id TEXT,                -- NULL once the member is erased
	college    TEXT NOT NULL DEFAULT '', -- the college the voter votes in, fixed at opening
	in_scope   INTEGER NOT NULL DEFAULT 0, -- 1: their data was in scope at opening (double majority only)
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
	-- A line written at the close for a member whose proxy holder voted
	-- for them: the holder's receipt hash ('' for a direct ballot).
	holder_receipt_hash TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (proposal, voter_key)
) WITHOUT ROWID;

-- Proxies on one open ballot, by the voter keys of its electorate. A row
-- comes from the giver (standing 0), or from their standing proxy
-- (standing 1, written when the vote opened or when the standing proxy
-- changed). holder_key '' is a giver who takes their vote back. A holder
-- carries at most the vote's proxy_cap rows.
CREATE TABLE IF NOT EXISTS proposals_proxies (
	proposal    TEXT NOT NULL,
	giver_key   TEXT NOT NULL,
	holder_key  TEXT NOT NULL,
	receipt_key TEXT NOT NULL,      -- the giver's receipt on this vote derives from it (ProxyReceipt)
	standing    INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	PRIMARY KEY (proposal, giver_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proposals_proxies_holder ON proposals_proxies(proposal, holder_key);

-- Standing proxies: a member's vote goes to another member on every open
-- ballot where both are in the electorate, until revoked.
CREATE TABLE IF NOT EXISTS proposals_standing_proxies (
	giver       TEXT PRIMARY KEY,   -- account ids
	holder      TEXT NOT NULL,
	receipt_key TEXT NOT NULL,
	at          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proposals_standing_proxies_holder ON proposals_standing_proxies(holder);

-- Secret ballots (secret.go, DESIGN.md). The RSA keys that sign voting
-- tokens, one per college; the private key is erased at the close.
CREATE TABLE IF NOT EXISTS proposals_token_keys (
	proposal    TEXT NOT NULL,
	college     TEXT NOT NULL,
	public_key  TEXT NOT NULL,      -- PKIX DER, base64
	private_key TEXT NOT NULL,      -- PKCS #8 DER, base64; '' once the vote closed
	PRIMARY KEY (proposal, college)
) WITHOUT ROWID;

-- Who took their voting token (one each): no time, no token, no
-- signature; the blinded message's hash only, so that a retry gets the
-- same signature again.
CREATE TABLE IF NOT EXISTS proposals_tokens_issued (
	proposal     TEXT NOT NULL,
	voter_key    TEXT NOT NULL,
	blinded_hash TEXT NOT NULL,
	PRIMARY KEY (proposal, voter_key)
) WITHOUT ROWID;

-- The ballots of secret votes, by the token's pseudonym: nothing names a
-- voter. The token (ballot key and signature) and the proof are published
-- at the close, so that anyone can check every line and recount.
CREATE TABLE IF NOT EXISTS proposals_secret_ballots (
	proposal     TEXT NOT NULL,
	pseudonym    TEXT NOT NULL,
	college      TEXT NOT NULL,
	ballot_key   TEXT NOT NULL,     -- the voter's ECDSA P-256 public key (base64)
	signature    TEXT NOT NULL,     -- the token: the blind RSA signature over the ballot key (base64)
	choice       TEXT NOT NULL,
	seq          INTEGER NOT NULL,  -- grows with each replacement
	receipt_hash TEXT NOT NULL,
	proof        TEXT NOT NULL,     -- the ballot key's signature over the choice, seq and receipt hash (base64)
	PRIMARY KEY (proposal, pseudonym)
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
