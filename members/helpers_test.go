package members

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"coop/governance"
	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// goodPassword passes the rules; tests that do not test passwords use it.
const goodPassword = "plum orchard lantern 42"

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, time.January, 15, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// events records what a node publishes.
type events struct {
	mu  sync.Mutex
	all []raftdata.Event
}

func (e *events) publish(evs []raftdata.Event) {
	e.mu.Lock()
	e.all = append(e.all, evs...)
	e.mu.Unlock()
}

func (e *events) subjects() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.all))
	for i, ev := range e.all {
		out[i] = ev.Subject
	}
	return out
}

func (e *events) data() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		b.WriteString(ev.Subject + " " + string(ev.Data) + "\n")
	}
	return b.String()
}

// env is one real node with the members service and a fake clock.
type env struct {
	node   *raftdatatest.Node
	svc    *Service
	clock  *clock
	events *events
}

func newEnv(t testing.TB, opts ...Options) *env {
	t.Helper()
	n := raftdatatest.Start(t, register)
	return attach(n, newClock(), opts...)
}

// register adds members and the rulebook it reads (admission) to a store.
func register(reg *raftdata.Registry) {
	Register(reg)
	governance.Register(reg)
}

// attach builds a service over a running node.
func attach(n *raftdatatest.Node, c *clock, opts ...Options) *env {
	ev := &events{}
	n.SetPublisher(ev.publish)
	o := Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Now = c.Now
	if o.Pause == nil { // the slow-down of an account under attack costs tests no time
		o.Pause = func(context.Context, time.Duration) error { return nil }
	}
	return &env{node: n, svc: New(n.Store, o), clock: c, events: ev}
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// signUp creates a member or fails the test.
func (e *env) signUp(t testing.TB, name, email string) Account {
	t.Helper()
	a, err := e.svc.SignUp(ctxT(t), SignupInput{Name: name, Email: email, Password: goodPassword, AcceptCharter: true, Lang: "en"})
	if err != nil {
		t.Fatalf("sign up %s: %v", email, err)
	}
	return a
}

// login opens a session or fails the test.
func (e *env) login(t testing.TB, email, password, addr string) Session {
	t.Helper()
	s, err := e.svc.Login(ctxT(t), LoginInput{Email: email, Password: password, Address: addr})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return s
}

// operator bootstraps the first operator and returns their account.
func (e *env) operator(t testing.TB) Account {
	t.Helper()
	ctx := ctxT(t)
	if _, err := e.svc.BootstrapOperator(ctx, "root@coop.example", goodPassword); err != nil {
		t.Fatal(err)
	}
	s := e.login(t, "root@coop.example", goodPassword, "127.0.0.1")
	a, err := e.svc.Authenticate(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// wantCode fails the test unless err has code.
func wantCode(t testing.TB, err error, code raftdata.Code) {
	t.Helper()
	if got := raftdata.ErrorCode(err); got != code {
		t.Fatalf("want code %q, got %q (%v)", code, got, err)
	}
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// count runs a COUNT query on a node's local copy.
func count(t testing.TB, s *raftdata.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func isLimit(err error) (*LimitError, bool) {
	var le *LimitError
	ok := errors.As(err, &le)
	return le, ok
}
