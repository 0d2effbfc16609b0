package ui

import (
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"coop/raftdata"
)

// natsLive is the live feed of a test coop: the store's events published
// on an embedded NATS server (in-process, no port), as coop serve does,
// and read back by plain subscriptions. It counts the open subscriptions,
// so a test knows when a page's stream is listening.
type natsLive struct {
	nc   *nats.Conn
	open atomic.Int64
}

func (l *natsLive) Subscribe(subject string, fn func(subject string, data []byte)) (func(), error) {
	sub, err := l.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Subject, m.Data) })
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return func() {
		sub.Unsubscribe()
		l.open.Add(-1)
	}, nil
}

// withLive gives w's app live updates fed by an embedded NATS server; the
// app is rebuilt with them.
func (w *webCoop) withLive(t *testing.T) *natsLive {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the embedded NATS server did not start")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	w.store.SetPublisher(func(evs []raftdata.Event) {
		for _, ev := range evs {
			nc.Publish(ev.Subject, ev.Data)
		}
	})
	live := &natsLive{nc: nc}
	w.deps.Live, w.deps.Done = live, done
	w.app = New(w.deps)
	return live
}
