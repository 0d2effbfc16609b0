package members

import (
	"database/sql"
	"fmt"
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
	if err := addColumns(tx, []column{
		{"members_tokens", "scopes", `ALTER TABLE members_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT ''`},
		{"members_tokens", "expires_at", `ALTER TABLE members_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0`},
		{"members_login_attempts", "email_key", `ALTER TABLE members_login_attempts ADD COLUMN email_key TEXT NOT NULL DEFAULT ''`},
	}); err != nil {
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
	return addColumns(tx, []column{
		{"members_accounts", "college", `ALTER TABLE members_accounts ADD COLUMN college TEXT NOT NULL DEFAULT ''`},
		{"members_accounts", "expires_at", `ALTER TABLE members_accounts ADD COLUMN expires_at INTEGER`},
		{"members_role_journal", "college", `ALTER TABLE members_role_journal ADD COLUMN college TEXT NOT NULL DEFAULT ''`},
	})
}

// column is a column an upgrade adds to a table that lacks it.
type column struct{ table, name, ddl string }

func addColumns(tx *sql.Tx, cols []column) error {
	for _, c := range cols {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.name).Scan(&n); err != nil {
			return fmt.Errorf("upgrade %s: %w", c.table, err)
		}
		if n > 0 {
			continue
		}
		if _, err := tx.Exec(c.ddl); err != nil {
			return fmt.Errorf("upgrade %s: %w", c.table, err)
		}
	}
	return nil
}
