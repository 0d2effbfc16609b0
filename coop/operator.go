package main

import (
	"coop/members"

	"context"
	"fmt"
	"os"
	"path/filepath"
)

// defaultOperatorEmail names the first operator when COOP_OPERATOR_EMAIL
// is not set.
const defaultOperatorEmail = "operator@coop.local"

// operatorPasswordFile is where a generated operator password is written,
// in the data directory, readable only by its owner.
const operatorPasswordFile = "operator-password"

// bootstrapOperator creates the first operator of a new cluster (a
// bootstrap step: idempotent). Without COOP_OPERATOR_PASSWORD a random
// password is drawn and written, before the account exists, to a file only
// the owner can read; its path is printed, the password never is (nor
// logged).
func (n *Node) bootstrapOperator(ctx context.Context) error {
	email, password := n.Config.OperatorEmail, n.Config.OperatorPassword
	if email == "" {
		email = defaultOperatorEmail
	}
	path := ""
	if password == "" {
		password = members.GeneratePassword()
		path = filepath.Join(n.Config.Data, operatorPasswordFile)
		content := fmt.Sprintf("email: %s\npassword: %s\n", email, password)
		if err := os.WriteFile(path+".new", []byte(content), 0o600); err != nil {
			return fmt.Errorf("write the operator's password file: %w", err)
		}
	}
	created, err := n.members.BootstrapOperator(ctx, email, password)
	if err != nil || !created {
		if path != "" {
			os.Remove(path + ".new")
		}
		return err
	}
	if path != "" {
		if err := os.Rename(path+".new", path); err != nil {
			return fmt.Errorf("keep the operator's password file: %w", err)
		}
		fmt.Fprintf(n.logs, "coop: operator account %s created; its password is in %s (readable only by you)\n", email, path)
	}
	n.log.Info("operator account created", "password_file", path)
	return nil
}
