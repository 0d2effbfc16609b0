package proposals

import (
	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// checkCandidatesIn checks, inside a handler's transaction, that every
// account a custodians proposal names may hold a share of the backups: an
// active, admitted member (the member role), and not an operator (the
// custody exists to keep backups out of the operators' reach). A nil set
// (another kind) passes. It runs at creation, at opening and again at the
// close, since an account may change during the vote.
func checkCandidatesIn(tx *raftdata.Tx, set *governance.CustodianSet) error {
	if set == nil {
		return nil
	}
	for _, id := range set.Accounts {
		acct, err := members.LookupIn(tx, id, nil)
		if raftdata.ErrorCode(err) == raftdata.CodeNotFound {
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_no_account", "custodian %s: no such account", id).On("accounts")
		}
		if err != nil {
			return err
		}
		switch {
		case !acct.Active():
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_inactive", "custodian %s: the account is %s", id, acct.Status).With("name", acct.Name).On("accounts")
		case acct.Has(members.RoleOperator):
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_operator", "custodian %s: an operator cannot be a custodian (custody keeps backups out of the operators' reach)", id).With("name", acct.Name).On("accounts")
		case !acct.Has(members.RoleMember):
			return raftdata.Refuse(raftdata.CodeInvalid, "custodian_not_member", "custodian %s: a custodian is an admitted member", id).With("name", acct.Name).On("accounts")
		}
	}
	return nil
}
