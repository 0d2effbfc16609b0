package members

import (
	"database/sql"
	"fmt"

	"coop/raftdata"
)

// upgradeCredentials brings the tables of a data directory from before
// scoped tokens and per-(email, address) login limits up to date: API
// tokens gain their scopes and expiry (” and 0: a token from before,
// which keeps read, vote and contribute and is dated at its first use, the
// same as a replayed older log makes it), login attempts their email key
// and its index. It does nothing once done. Every node runs it at open and
// after a snapshot restore, on the same state, so every node ends the
// same.
func upgradeCredentials(tx *sql.Tx) error {
	if err := raftdata.AddColumns(tx,
		raftdata.Column{Table: "members_tokens", Name: "scopes", DDL: `ALTER TABLE members_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT ''`},
		raftdata.Column{Table: "members_tokens", Name: "expires_at", DDL: `ALTER TABLE members_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0`},
		raftdata.Column{Table: "members_login_attempts", Name: "email_key", DDL: `ALTER TABLE members_login_attempts ADD COLUMN email_key TEXT NOT NULL DEFAULT ''`},
	); err != nil {
		return err
	}
	if _, err := tx.Exec(`CREATE INDEX IF NOT EXISTS members_login_attempts_email ON members_login_attempts(email_key, address_key, expires_at)`); err != nil {
		return fmt.Errorf("upgrade members_login_attempts: %w", err)
	}
	return nil
}

// upgradeAccounts gives the accounts of an older data directory their
// college (”: not assigned) and guest expiry (NULL: not a guest), and the
// membership journal its college column. It does nothing once done.
func upgradeAccounts(tx *sql.Tx) error {
	return raftdata.AddColumns(tx,
		raftdata.Column{Table: "members_accounts", Name: "college", DDL: `ALTER TABLE members_accounts ADD COLUMN college TEXT NOT NULL DEFAULT ''`},
		raftdata.Column{Table: "members_accounts", Name: "expires_at", DDL: `ALTER TABLE members_accounts ADD COLUMN expires_at INTEGER`},
		raftdata.Column{Table: "members_role_journal", Name: "college", DDL: `ALTER TABLE members_role_journal ADD COLUMN college TEXT NOT NULL DEFAULT ''`},
	)
}
