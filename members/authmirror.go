package members

import (
	"slices"
	"sync"

	"coop/raftdata"
)

// authMirror keeps in memory, for each session and API token in use on
// this node, what Access would read from SQLite: the credential's row and
// the account behind it (status, roles, admission, charters). A request
// then authenticates without a query; the clock checks (absolute end, idle
// time) still run at every request, on the times kept.
//
// It follows raftdata/DESIGN.md, "Memory mirrors tables": it is loaded
// from the tables and never a source (dropping it loses nothing), the
// handlers of the commands that change what Access returns drop what they
// changed after their writes (authEffects), and raftdata drops it whole
// (Registry.Mirror) when a batch is rolled back, a command refused after
// one of its handlers succeeded, or a snapshot restored.
//
// A load races with the FSM: it reads committed rows while a handler may
// be changing them in a transaction that commits later. So an entry is
// kept only if its load started at an applied index no lower than the
// index of the last command that dropped anything (a drop at index i
// happens before i commits, and the applied index reaches i only after
// the commit: a load that starts at i or later reads i's rows), and no
// drop of the whole mirror happened since (gen). An entry kept before a
// drop is removed by it. So the mirror is exact at the node's applied
// index: a revoke, a suspension, a role change is seen by the next request
// once the node has applied it.
type authMirror struct {
	mu      sync.Mutex
	entries map[string]authEntry // by SHA-256 of the session or token
	tokens  map[string]string    // API token id -> hash, for drops by id
	dropped uint64               // index of the last command that dropped entries
	gen     uint64               // drops of the whole mirror
}

// authEntryLimit bounds the mirror: past it, it is emptied and fills
// again with the credentials in use.
const authEntryLimit = 100_000

// authEntry is a credential as loaded, and what it lets a request do
// (Access without its end, which the clock checks decide).
type authEntry struct {
	cred    credential
	session bool
	access  Access
}

// authMark is where a load started: it keeps its result only if nothing
// was dropped since.
type authMark struct{ applied, gen uint64 }

// mirrorKey is the key under which Register shares the mirror with the
// services of the store (raftdata.Registry.Share).
type mirrorKey struct{}

func newAuthMirror() *authMirror {
	return &authMirror{entries: map[string]authEntry{}, tokens: map[string]string{}}
}

// authMirrorOf is the mirror Register shared in the store's registry.
func authMirrorOf(store *raftdata.Store) *authMirror {
	m, ok := store.Shared(mirrorKey{}).(*authMirror)
	if !ok {
		panic("members: the store's registry has no members handlers (call members.Register before the store opens)")
	}
	return m
}

func (m *authMirror) get(hash string) (authEntry, bool) {
	m.mu.Lock()
	e, ok := m.entries[hash]
	m.mu.Unlock()
	return e, ok
}

// mark is taken before a load reads the tables; applied is the store's
// applied index at that moment.
func (m *authMirror) mark(applied uint64) authMark {
	m.mu.Lock()
	defer m.mu.Unlock()
	return authMark{applied: applied, gen: m.gen}
}

// keep stores what a load read, unless a drop happened since its mark.
func (m *authMirror) keep(mark authMark, hash string, e authEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mark.gen != m.gen || mark.applied < m.dropped {
		return
	}
	if len(m.entries) >= authEntryLimit {
		clear(m.entries)
		clear(m.tokens)
	}
	// The slices are shared by every request that hits the entry: no
	// append may write into them.
	e.access.Account.Roles = slices.Clip(e.access.Account.Roles)
	m.entries[hash] = e
	if !e.session {
		m.tokens[e.cred.id] = hash
	}
}

// forget removes one entry (an expired credential found by a request).
func (m *authMirror) forget(hash string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(hash)
}

// remove deletes the entry of hash; m.mu is held.
func (m *authMirror) remove(hash string) {
	if e, ok := m.entries[hash]; ok {
		delete(m.entries, hash)
		if !e.session {
			delete(m.tokens, e.cred.id)
		}
	}
}

// dropAll empties the mirror: raftdata calls it (Registry.Mirror) when the
// tables may no longer hold what it was loaded from.
func (m *authMirror) dropAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	clear(m.entries)
	clear(m.tokens)
}

// drop removes what a command applied at index changed.
func (m *authMirror) drop(index uint64, d authDrop) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped = max(m.dropped, index)
	switch {
	case d.all:
		clear(m.entries)
		clear(m.tokens)
	case d.session != "":
		m.remove(d.session)
	case d.token != "":
		if hash, ok := m.tokens[d.token]; ok {
			m.remove(hash)
		}
	case d.account != "":
		for hash, e := range m.entries {
			if e.cred.account == d.account {
				m.remove(hash)
			}
		}
	}
}

func (m *authMirror) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// authEffect is what a members command changes in what Access returns.
type authEffect int

const (
	// authNone: the command creates (an account, a credential: nothing
	// cached refers to it yet) or changes nothing Access reads.
	authNone    authEffect = iota + 1
	authSession            // one session: the payload's "hash"
	authToken              // one API token: the payload's "id"
	authAccount            // every credential of the payload's "account"
	authAll                // everything: the payload does not name what changes (rare commands)
)

// authEffects classifies every members command. A command missing here
// cannot be registered (handle panics), so that a new command says what
// it does to authentication; TestAuthEffectsCoverEveryCommand checks the
// list against the package's command constants.
var authEffects = map[string]authEffect{
	CmdSignedUp:             authNone,
	CmdOperatorBootstrapped: authNone,
	CmdLoginAttempted:       authNone,
	CmdLoginFailed:          authNone,
	CmdSessionCreated:       authNone,
	CmdSessionTouched:       authSession, // last use: idle expiry and the next touch read it
	CmdSessionEnded:         authSession,
	CmdTokenCreated:         authNone,
	CmdTokenTouched:         authToken,
	CmdTokenDated:           authToken,
	CmdTokenRevoked:         authToken,
	CmdPasswordChanged:      authAccount, // ends the account's sessions
	CmdProfileUpdated:       authAccount, // name, email
	CmdRoleGranted:          authAccount,
	CmdRoleRevoked:          authAccount,
	CmdAdmitted:             authAccount,
	CmdSponsored:            authAccount, // may admit
	CmdSuspended:            authAccount,
	CmdReinstated:           authAccount,
	CmdDeleted:              authAccount,
	CmdCharterSigned:        authAccount,
	CmdRetentionRun:         authAll,
	CmdLinkIssued:           authNone,
	CmdPasswordReset:        authAll, // names its link, not the account whose sessions it ends
	CmdEmailVerified:        authNone,
	CmdCollegeSet:           authAccount, // the college a request shows
	CmdGuestInvited:         authNone,    // a new account, in no entry yet
}

// authDrop is what one applied command drops.
type authDrop struct {
	all                     bool
	session, token, account string
}

// dropOf reads, from the payload of a command that succeeded, what its
// effect drops.
func dropOf(effect authEffect, cmd raftdata.Command) authDrop {
	var p struct {
		Hash    string `json:"hash"`
		ID      string `json:"id"`
		Account string `json:"account"`
	}
	if effect != authAll && cmd.Decode(&p) != nil {
		return authDrop{all: true} // the handler read it; be safe anyway
	}
	switch effect {
	case authSession:
		return authDrop{session: p.Hash}
	case authToken:
		return authDrop{token: p.ID}
	case authAccount:
		return authDrop{account: p.Account}
	}
	return authDrop{all: true}
}

// handle registers h for typ, dropping from the mirror, once h has
// succeeded, what typ changes (authEffects).
func (m *authMirror) handle(reg *raftdata.Registry, typ string, h raftdata.Handler) {
	effect, ok := authEffects[typ]
	if !ok {
		panic("members: command " + typ + " does not say what it changes in authentication (authEffects)")
	}
	if effect == authNone {
		reg.Handle(typ, h)
		return
	}
	reg.Handle(typ, func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		v, err := h(tx, cmd)
		if err == nil {
			m.drop(tx.Index(), dropOf(effect, cmd))
		}
		return v, err
	})
}
