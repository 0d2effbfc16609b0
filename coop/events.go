package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"coop/raftdata"
	"coop/ui"
)

// eventQueueSize is how many batches of events wait for NATS before new
// ones are dropped. The log stays the source of truth: a dropped event
// costs a live page an update, never data.
const eventQueueSize = 4096

// events carries the events the FSM applied to JetStream. The FSM hands
// them over through publish, which never blocks; a goroutine publishes
// them, each with its id as Nats-Msg-Id so JetStream keeps one copy.
type events struct {
	log       *slog.Logger
	queue     chan []raftdata.Event
	stop      chan struct{}
	done      chan struct{}
	js        jetstream.JetStream // set by start
	published atomic.Uint64
	dropped   atomic.Uint64
	failed    atomic.Uint64
	activity  activity
}

func newEvents(log *slog.Logger) *events {
	return &events{
		log:   log,
		queue: make(chan []raftdata.Event, eventQueueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// publish is the store's publisher. It runs on the FSM's goroutine, so it
// only queues: when the queue is full the events are dropped and counted.
func (e *events) publish(evs []raftdata.Event) {
	e.activity.count(evs)
	select {
	case e.queue <- evs:
	default:
		n := uint64(len(evs))
		total := e.dropped.Add(n)
		// Warn on the first drop and then once per thousand, not per event.
		if total == n || total/1000 != (total-n)/1000 {
			e.log.Warn("event queue full: events dropped", "dropped_total", total)
		}
	}
}

// start publishes queued events to js until stop.
func (e *events) start(js jetstream.JetStream) {
	e.js = js
	go e.run()
}

func (e *events) run() {
	defer close(e.done)
	for {
		select {
		case evs := <-e.queue:
			e.send(evs)
		case <-e.stop:
			for {
				select {
				case evs := <-e.queue:
					e.send(evs)
				default:
					return
				}
			}
		}
	}
}

func (e *events) send(evs []raftdata.Event) {
	for _, ev := range evs {
		msg := &nats.Msg{Subject: ev.Subject, Data: ev.Data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
		if _, err := e.js.PublishMsgAsync(msg); err != nil {
			e.onError(nil, msg, err)
			continue
		}
		e.published.Add(1)
	}
}

// onError counts a publish that NATS did not acknowledge.
func (e *events) onError(_ jetstream.JetStream, msg *nats.Msg, err error) {
	total := e.failed.Add(1)
	if total == 1 || total%1000 == 0 {
		e.log.Warn("event not published", "subject", msg.Subject, "failed_total", total, "error", err)
	}
}

// close publishes what is queued and waits, up to timeout, for NATS to
// acknowledge it. Call it after the store is closed: no more events come.
func (e *events) close(timeout time.Duration) {
	if e.js == nil {
		return
	}
	close(e.stop)
	<-e.done
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(timeout):
		e.log.Warn("some events were not acknowledged by NATS before shutdown")
	}
}

// EventCounts reports events handed to NATS and events dropped.
func (e *events) EventCounts() (published, dropped uint64) {
	return e.published.Load(), e.dropped.Load()
}

// Activity reports the members' activity this node applied, for /metrics.
func (e *events) Activity() ui.Activity { return e.activity.read() }

// activity counts ballots, queries and privacy budget from the events of
// applied commands: the FSM's view, the same on every node.
type activity struct {
	ballots, queries atomic.Uint64
	microEpsilon     atomic.Uint64 // budget spent, in millionths
}

func (a *activity) count(evs []raftdata.Event) {
	for _, ev := range evs {
		switch ev.Subject {
		case "coop.proposal.ballot_cast":
			a.ballots.Add(1)
		case "coop.proposal.query_run":
			a.queries.Add(1)
		case "coop.proposal.budget_spent":
			var spent struct {
				Epsilon float64 `json:"epsilon"`
			}
			if json.Unmarshal(ev.Data, &spent) == nil && spent.Epsilon > 0 {
				a.microEpsilon.Add(uint64(math.Round(spent.Epsilon * 1e6)))
			}
		}
	}
}

func (a *activity) read() ui.Activity {
	return ui.Activity{Ballots: a.ballots.Load(), Queries: a.queries.Load(), EpsilonSpent: float64(a.microEpsilon.Load()) / 1e6}
}

// natsLive lets the ui follow applied events (live pages): a plain NATS
// subscription on this node's connection.
type natsLive struct{ nc *nats.Conn }

func (l natsLive) Subscribe(subject string, fn func(subject string, data []byte)) (func(), error) {
	sub, err := l.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Subject, m.Data) })
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	return func() { sub.Unsubscribe() }, nil
}

// Connected tells whether the node's NATS connection is up (the
// operators' health summary).
func (l natsLive) Connected() bool { return l.nc != nil && l.nc.IsConnected() }
