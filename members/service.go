// Package members holds who belongs to the cooperative and what each may do:
// accounts, roles, charter signatures, passwords, sessions and API tokens,
// the connection journal, and the retention of identity data after an
// account is deleted (seed 003). Everything lives in the replicated store:
// the service computes ids, salts, hashes and random tokens, then applies a
// typed command whose handler checks the invariants on every node. The ui
// layer calls the Service; it never touches the tables. See DESIGN.md.
package members

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// Defaults of Options.
const (
	DefaultSessionIdle     = 2 * time.Hour  // a session unused this long ends
	DefaultSessionAbsolute = 12 * time.Hour // a session ends this long after login, used or not
	DefaultFailureWindow   = 15 * time.Minute
	DefaultPerPair         = 10 // failed logins for one account from one client address in the window
	DefaultPerAddress      = 50 // failed logins from one client address, whatever the accounts, in the window

	// An account whose failures in the window reach DefaultSlowAfter
	// answers every login, right or wrong, from any address, after a
	// delay: DefaultFirstDelay, doubling with each further failure, at
	// most DefaultMaxDelay. It slows a guesser spread over many addresses
	// and never locks the member out.
	DefaultSlowAfter  = 5
	DefaultFirstDelay = 125 * time.Millisecond
	DefaultMaxDelay   = 2 * time.Second

	// TouchInterval is how often, at most, the last use of a session or a
	// token is written to the replicated state: idle expiry needs it, but
	// not on every request.
	TouchInterval = time.Minute
)

// Options tune the service. Zero values take the defaults.
type Options struct {
	// Now is the clock: command times, expiries and limits are read from
	// it. Tests inject a fake one. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger

	// Retention periods; defaults DefaultRetention(). When Rulebook is
	// set, the periods of the rulebook in force are used instead.
	Retention Retention
	Rulebook  *governance.Service

	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	Limits          LoginLimits

	// Pause waits d, or until ctx ends: the slow-down of an account
	// under attack (LoginLimits). Tests record it instead. Default: a
	// timer.
	Pause func(ctx context.Context, d time.Duration) error

	// MaxConcurrentHashes bounds the argon2id computations running at once
	// (each takes 19 MiB): a burst of logins waits instead of exhausting
	// memory. Default GOMAXPROCS.
	MaxConcurrentHashes int
}

// LoginLimits bound failed logins, counted in the replicated state so that
// the limit holds for the whole cluster. They travel in each attempt's
// payload, so that every node decides with the same numbers.
type LoginLimits struct {
	PerPair    int           `json:"per_pair,omitempty"` // per account and address
	PerAddress int           `json:"per_address"`
	Window     time.Duration `json:"window"`
	// PerAccount is the limit of an older log, which counted failures per
	// account whatever the address (a lock-out): kept to replay it.
	PerAccount int `json:"per_account,omitempty"`

	// The slow-down of an account under attack (not in the log: each
	// node waits, the state does not change).
	SlowAfter  int           `json:"-"`
	FirstDelay time.Duration `json:"-"`
	MaxDelay   time.Duration `json:"-"`
}

func (o *Options) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Retention == (Retention{}) {
		o.Retention = DefaultRetention()
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = DefaultSessionIdle
	}
	if o.SessionAbsolute <= 0 {
		o.SessionAbsolute = DefaultSessionAbsolute
	}
	if o.Limits.PerPair <= 0 {
		o.Limits.PerPair = DefaultPerPair
	}
	if o.Limits.SlowAfter <= 0 {
		o.Limits.SlowAfter = DefaultSlowAfter
	}
	if o.Limits.FirstDelay <= 0 {
		o.Limits.FirstDelay = DefaultFirstDelay
	}
	if o.Limits.MaxDelay <= 0 {
		o.Limits.MaxDelay = DefaultMaxDelay
	}
	if o.Limits.PerAddress <= 0 {
		o.Limits.PerAddress = DefaultPerAddress
	}
	if o.Limits.Window <= 0 {
		o.Limits.Window = DefaultFailureWindow
	}
	if o.Pause == nil {
		o.Pause = pause
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
}

// Service is the members side of the cooperative, over one node's store.
type Service struct {
	store     *raftdata.Store
	opts      Options
	log       *slog.Logger
	hashSlots chan struct{}
	auth      *authMirror // shared by every service over the store

	dummyOnce sync.Once
	dummyHash string // verified against when the email is unknown
}

// New returns the members service over store. Register must have added the
// members tables and handlers to the store's registry.
func New(store *raftdata.Store, opts Options) *Service {
	opts.setDefaults()
	return &Service{
		store:     store,
		opts:      opts,
		log:       opts.Logger,
		hashSlots: make(chan struct{}, opts.MaxConcurrentHashes),
		auth:      authMirrorOf(store),
	}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// apply stamps a command with the service's clock and applies it through
// the cluster. The result is the handler's value, decoded into out when out
// is not nil.
func (s *Service) apply(ctx context.Context, typ string, payload, out any) error {
	cmd, err := raftdata.NewCommand(typ, payload, s.now())
	if err != nil {
		return err
	}
	raw, err := s.store.ApplyCommand(ctx, cmd)
	if err != nil {
		return err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode result of %s: %w", typ, err)
		}
	}
	return nil
}

// withHashSlot runs fn once one of the argon2id slots is free.
func (s *Service) withHashSlot(ctx context.Context, fn func()) error {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return raftdata.Refuse(raftdata.CodeUnavailable, "busy_passwords", "the server is busy checking passwords; try again in a moment")
	}
	defer func() { <-s.hashSlots }()
	fn()
	return nil
}

// hash computes an argon2id hash of password in a slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var encoded string
	var err error
	if serr := s.withHashSlot(ctx, func() { encoded, err = HashPassword(password) }); serr != nil {
		return "", serr
	}
	return encoded, err
}

// verify checks password against encoded in a slot. An empty encoded (an
// unknown email, a deleted account) is checked against a dummy hash so that
// the answer takes the same time either way.
func (s *Service) verify(ctx context.Context, password, encoded string) (bool, error) {
	if encoded == "" {
		s.dummyOnce.Do(func() {
			s.dummyHash, _ = HashPassword("coop dummy password for unknown accounts")
		})
		encoded = s.dummyHash
	}
	var ok bool
	var err error
	if serr := s.withHashSlot(ctx, func() { ok, err = VerifyPassword(password, encoded) }); serr != nil {
		return false, serr
	}
	return ok, err
}

// sync lets this node catch up with the leader before a read that must see
// every earlier write.
func (s *Service) sync(ctx context.Context) error {
	if err := s.store.Sync(ctx); err != nil {
		return fmt.Errorf("catch up with the leader: %w", err)
	}
	return nil
}
