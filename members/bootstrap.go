package members

import (
	"context"
	"fmt"

	"coop/raftdata"
)

// BootstrapOperatorName is the display name of the first operator.
const BootstrapOperatorName = "Operator"

// BootstrapOperator creates the first operator account, holding the
// operator role only and having signed the operator charter, if the
// cluster has no operator yet. It is idempotent: once an operator exists,
// on any node, it returns created=false and changes nothing. The password
// follows the same rules as members' (coop serve writes a GeneratePassword
// one to an owner-only file when none is given).
func (s *Service) BootstrapOperator(ctx context.Context, email, password string) (created bool, err error) {
	email, err = NormalizeEmail(email)
	if err != nil {
		return false, fmt.Errorf("bootstrap operator: %w", err)
	}
	if err := CheckPassword(password, email); err != nil {
		return false, fmt.Errorf("bootstrap operator: %w", err)
	}
	if exists, err := operatorExists(s.local(ctx)); err != nil {
		return false, err
	} else if exists {
		return false, nil
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return false, fmt.Errorf("bootstrap operator: %w", err)
	}
	p := SignedUp{
		ID: raftdata.NewID(), Name: BootstrapOperatorName, Email: email, PasswordHash: hash, Role: RoleOperator,
		Charter: CharterOperator, CharterVersion: CharterVersion(CharterOperator), Lang: DefaultLang,
	}
	var res struct {
		Created bool `json:"created"`
	}
	if err := s.apply(ctx, CmdOperatorBootstrapped, p, &res); err != nil {
		return false, fmt.Errorf("bootstrap operator: %w", err)
	}
	return res.Created, nil
}

func operatorExists(q querier) (bool, error) {
	var n int
	err := q.QueryRow(`SELECT COUNT(*) FROM members_roles r JOIN members_accounts a ON a.id = r.account_id
		WHERE r.role = ? AND a.status <> 'deleted'`, RoleOperator).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for an operator: %w", err)
	}
	return n > 0, nil
}

func applyOperatorBootstrapped(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p SignedUp
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Role != RoleOperator || p.Charter != CharterOperator {
		return nil, raftdata.Malformed("the bootstrap operator holds the operator role and signs the operator charter")
	}
	exists, err := operatorExists(tx)
	if err != nil {
		return nil, err
	}
	if exists {
		return map[string]bool{"created": false}, nil
	}
	if err := createAccount(tx, cmd, p, "bootstrap"); err != nil {
		return nil, err
	}
	if err := journalRoleIn(tx, cmd, p.ID, ChangeRoleGranted, RoleOperator, "", "bootstrap"); err != nil {
		return nil, err
	}
	return map[string]bool{"created": true}, emit(tx, "operator_bootstrapped", map[string]any{"id": p.ID})
}
