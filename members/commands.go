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

// Register adds the members tables and command handlers to reg, and the
// authentication mirror they keep exact (authmirror.go). Call it before
// the store opens. Every handler goes through auth.handle, which knows
// what the command changes in authentication.
func Register(reg *raftdata.Registry) {
	auth := newAuthMirror()
	reg.Share(mirrorKey{}, auth)
	reg.Mirror(auth.dropAll)
	reg.Schema("members", schema)
	auth.handle(reg, CmdSignedUp, applySignedUp)
	auth.handle(reg, CmdOperatorBootstrapped, applyOperatorBootstrapped)
	auth.handle(reg, CmdLoginAttempted, applyLoginAttempted)
	auth.handle(reg, CmdLoginFailed, applyLoginFailed)
	auth.handle(reg, CmdSessionCreated, applySessionCreated)
	auth.handle(reg, CmdSessionTouched, applySessionTouched)
	auth.handle(reg, CmdSessionEnded, applySessionEnded)
	auth.handle(reg, CmdTokenCreated, applyTokenCreated)
	auth.handle(reg, CmdTokenTouched, applyTokenTouched)
	auth.handle(reg, CmdTokenDated, applyTokenDated)
	auth.handle(reg, CmdTokenRevoked, applyTokenRevoked)
	auth.handle(reg, CmdPasswordChanged, applyPasswordChanged)
	auth.handle(reg, CmdProfileUpdated, applyProfileUpdated)
	auth.handle(reg, CmdRoleGranted, applyRoleGranted)
	auth.handle(reg, CmdRoleRevoked, applyRoleRevoked)
	auth.handle(reg, CmdAdmitted, applyAdmitted)
	auth.handle(reg, CmdSponsored, applySponsored)
	auth.handle(reg, CmdSuspended, applySuspended)
	auth.handle(reg, CmdReinstated, applyReinstated)
	auth.handle(reg, CmdDeleted, applyDeleted)
	auth.handle(reg, CmdCharterSigned, applyCharterSigned)
	auth.handle(reg, CmdRetentionRun, applyRetentionRun)
	auth.handle(reg, CmdCollegeSet, applyCollegeSet)
	auth.handle(reg, CmdGuestInvited, applyGuestInvited)
	reg.Upgrade("members tokens and login attempts", upgradeCredentials)
	registerLinks(reg, auth)
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
