package members

import (
	"fmt"

	"coop/raftdata"
)

// Command types owned by members. Payloads name accounts by their opaque id;
// the only commands that carry an email or a name are the three that create
// an account (sign-up, bootstrap, a guest's invitation) and the one that
// rectifies it. Other packages may register handlers on these types (pooling
// and proposals on CmdDeleted, to erase what they hold about the account),
// decoding the payload types exported beside them.
const (
	CmdSignedUp             = "member.signed_up"
	CmdOperatorBootstrapped = "member.operator_bootstrapped"
	CmdLoginAttempted       = "member.login_attempted"
	CmdLoginFailed          = "member.login_failed"
	CmdSessionCreated       = "member.session_created"
	CmdSessionTouched       = "member.session_touched"
	CmdSessionEnded         = "member.session_ended"
	CmdTokenCreated         = "member.token_created"
	CmdTokenTouched         = "member.token_touched"
	CmdTokenDated           = "member.token_dated"
	CmdTokenRevoked         = "member.token_revoked"
	CmdPasswordChanged      = "member.password_changed"
	CmdProfileUpdated       = "member.profile_updated"
	CmdRoleGranted          = "member.role_granted"
	CmdRoleRevoked          = "member.role_revoked"
	CmdAdmitted             = "member.admitted"
	CmdSponsored            = "member.sponsored"
	CmdSuspended            = "member.suspended"
	CmdReinstated           = "member.reinstated"
	CmdDeleted              = "member.deleted"
	CmdCharterSigned        = "member.charter_signed"
	CmdRetentionRun         = "member.retention_run"
	CmdCollegeSet           = "member.college_set"
	CmdGuestInvited         = "member.guest_invited"
)

// Register adds the members tables and command handlers to reg. Call it
// before the store opens.
func Register(reg *raftdata.Registry) {
	reg.Schema("members", schema)
	reg.Handle(CmdSignedUp, applySignedUp)
	reg.Handle(CmdOperatorBootstrapped, applyOperatorBootstrapped)
	reg.Handle(CmdLoginAttempted, applyLoginAttempted)
	reg.Handle(CmdLoginFailed, applyLoginFailed)
	reg.Handle(CmdSessionCreated, applySessionCreated)
	reg.Handle(CmdSessionTouched, applySessionTouched)
	reg.Handle(CmdSessionEnded, applySessionEnded)
	reg.Handle(CmdTokenCreated, applyTokenCreated)
	reg.Handle(CmdTokenTouched, applyTokenTouched)
	reg.Handle(CmdTokenDated, applyTokenDated)
	reg.Handle(CmdTokenRevoked, applyTokenRevoked)
	reg.Handle(CmdPasswordChanged, applyPasswordChanged)
	reg.Handle(CmdProfileUpdated, applyProfileUpdated)
	reg.Handle(CmdRoleGranted, applyRoleGranted)
	reg.Handle(CmdRoleRevoked, applyRoleRevoked)
	reg.Handle(CmdAdmitted, applyAdmitted)
	reg.Handle(CmdSponsored, applySponsored)
	reg.Handle(CmdSuspended, applySuspended)
	reg.Handle(CmdReinstated, applyReinstated)
	reg.Handle(CmdDeleted, applyDeleted)
	reg.Handle(CmdCharterSigned, applyCharterSigned)
	reg.Handle(CmdRetentionRun, applyRetentionRun)
	reg.Handle(CmdCollegeSet, applyCollegeSet)
	reg.Handle(CmdGuestInvited, applyGuestInvited)
	reg.Upgrade("members tokens and login attempts", upgradeCredentials)
	registerLinks(reg)
	reg.Upgrade("members colleges and guests", upgradeAccounts)
}

// decode reads a command's payload; a payload that does not decode is a
// refusal, the same on every node.
func decode(cmd raftdata.Command, v any) error {
	if err := cmd.Decode(v); err != nil {
		return raftdata.Malformed("%v", err)
	}
	return nil
}

// emit leaves an event for subject coop.member.<verb>. Events carry ids and
// counts only: never an email, a name, a password or a hash.
func emit(tx *raftdata.Tx, verb string, payload any) error {
	if err := tx.Emit("coop.member."+verb, payload); err != nil {
		return fmt.Errorf("emit %s: %w", verb, err)
	}
	return nil
}

// nanos is the storage form of a command time.
func nanos(cmd raftdata.Command) int64 { return cmd.Time.UnixNano() }
