package raftdata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A follower forwards the writes proposed on it to the leader. One HTTP
// call per write cost more than the write's own share of Raft and SQLite:
// under 64 clients spread over three nodes, a ballot cost 1.6 times the
// CPU of a ballot sent to the leader (BenchmarkHTTPVsRqlite). So the
// writes that wait together travel together: a call carries every command
// queued while the calls under way were out (group commit, as raft does
// with its log), at most forwardCalls calls at once. A lone write leaves
// at once, in a call of its own; under load a call carries many, and the
// follower then hands raft one commit notice for all of them.
//
// Each command keeps its id, so what the leader answers for one is what a
// call of its own would have answered, and a retry (after a leader change,
// a lost answer) applies nothing twice. A leader that does not know the
// batch path (an older version, during a rolling upgrade) answers 404:
// its commands then go one per call.
const (
	forwardCalls      = 2   // calls to the leader under way at once
	forwardBatchLimit = 256 // commands in one call, at most (raft's MaxAppendEntries)
)

// forwarder queues the commands a follower forwards and sends them in
// batches.
type forwarder struct {
	s       *Store
	closing context.Context // ends when the store closes
	mu      sync.Mutex
	queue   []*forwarding
	senders int
	// single holds the leaders (by URL) that answered 404 to a batch.
	single map[string]bool
	// commands forwarded, and the calls that carried them (Counters).
	commands, calls atomic.Uint64
}

// forwarding is one command waiting for its leader's answer.
type forwarding struct {
	ctx  context.Context
	data []byte
	out  chan forwarded // buffered: the sender never blocks on it
}

type forwarded struct {
	res Result
	err error
}

// forwardAnswer is the leader's answer for one command of a batch: its
// result, or why it was not applied (Fault: CodeUnavailable when sending
// it again may succeed, like after a leader change).
type forwardAnswer struct {
	Result
	Fault *Error `json:"fault,omitempty"`
}

// forward sends data to the leader with the commands waiting with it.
func (f *forwarder) forward(ctx context.Context, data []byte) (Result, error) {
	w := &forwarding{ctx: ctx, data: data, out: make(chan forwarded, 1)}
	f.mu.Lock()
	f.queue = append(f.queue, w)
	start := f.senders < forwardCalls
	if start {
		f.senders++
	}
	f.mu.Unlock()
	if start {
		go f.send()
	}
	select {
	case o := <-w.out:
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, retryError{ctx.Err()}
	}
}

// send makes calls while commands wait, then stops.
func (f *forwarder) send() {
	for {
		batch := f.take()
		if len(batch) == 0 {
			return
		}
		f.call(batch)
	}
}

// take removes from the queue the commands of the next call: those whose
// caller still waits, at most forwardBatchLimit and maxCommandBytes. With
// none, the sender is done.
func (f *forwarder) take() []*forwarding {
	f.mu.Lock()
	defer f.mu.Unlock()
	var batch []*forwarding
	size := 0
	for len(f.queue) > 0 && len(batch) < forwardBatchLimit {
		w := f.queue[0]
		if len(batch) > 0 && size+len(w.data)+1 > maxCommandBytes {
			break
		}
		f.queue = f.queue[1:]
		if w.ctx.Err() != nil {
			continue // its caller has gone: it forwards nothing
		}
		batch = append(batch, w)
		size += len(w.data) + 1
	}
	if len(batch) == 0 {
		f.senders--
		f.queue = nil // drops the backing array
	}
	return batch
}

// call sends one batch to the leader and hands each command its answer.
func (f *forwarder) call(batch []*forwarding) {
	leader, err := f.s.leaderURL()
	if err != nil {
		for _, w := range batch {
			w.out <- forwarded{err: err}
		}
		return
	}
	f.callTo(leader, batch)
}

// callTo sends one batch to the leader at url: in one call, or one call
// per command to a leader that serves no batches.
func (f *forwarder) callTo(leader string, batch []*forwarding) {
	answer := func(w *forwarding, res Result, err error) { w.out <- forwarded{res, err} }
	f.commands.Add(uint64(len(batch)))
	ctx, cancel := f.callContext(batch)
	defer cancel()
	f.mu.Lock()
	single := f.single[leader] || len(batch) == 1
	f.mu.Unlock()
	if !single {
		f.calls.Add(1)
		answers, err := f.s.applyBatchAt(ctx, leader, batch)
		if !errors.Is(err, errNoBatchPath) {
			f.s.catchUpAll(ctx, answers)
			for i, w := range batch {
				if err != nil {
					answer(w, Result{}, err)
					continue
				}
				res, aerr := answers[i].result()
				answer(w, res, aerr)
			}
			return
		}
		f.mu.Lock()
		if f.single == nil {
			f.single = map[string]bool{}
		}
		f.single[leader] = true
		f.mu.Unlock()
	}
	for _, w := range batch {
		f.calls.Add(1)
		var res Result
		err := f.s.call(w.ctx, http.MethodPost, leader+pathApply, w.data, &res)
		answer(w, res, err)
	}
}

// callContext ends with the last caller's deadline, or when the store
// closes.
func (f *forwarder) callContext(batch []*forwarding) (context.Context, context.CancelFunc) {
	end := time.Now()
	for _, w := range batch {
		if d := deadline(w.ctx); d.After(end) {
			end = d
		}
	}
	return context.WithDeadline(f.closing, end)
}

func newForwarder(s *Store) *forwarder {
	closing, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.closed
		cancel()
	}()
	return &forwarder{s: s, closing: closing}
}

// result is what the follower's caller gets for one command of a batch.
func (a forwardAnswer) result() (Result, error) {
	switch {
	case a.Fault == nil:
		return a.Result, nil
	case a.Fault.Code == CodeUnavailable:
		return Result{}, retryError{a.Fault}
	default:
		return Result{}, a.Fault
	}
}

// errNoBatchPath: the leader does not know pathApplyBatch.
var errNoBatchPath = errors.New("the leader forwards no batches")

// applyBatchAt posts the batch's commands to the leader at url.
func (s *Store) applyBatchAt(ctx context.Context, url string, batch []*forwarding) ([]forwardAnswer, error) {
	// A JSON array of the encoded commands, written as they are.
	var body bytes.Buffer
	body.WriteByte('[')
	for i, w := range batch {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(w.data)
	}
	body.WriteByte(']')
	var answers []forwardAnswer
	if err := s.call(ctx, http.MethodPost, url+pathApplyBatch, body.Bytes(), &answers); err != nil {
		var nf notFoundError
		if errors.As(err, &nf) {
			return nil, errNoBatchPath
		}
		return nil, err
	}
	if len(answers) != len(batch) {
		return nil, retryError{errors.New("the leader answered a batch with another number of results")}
	}
	return answers, nil
}

// catchUpAll lets this node's state hold the last of the applied commands
// of a batch (one commit notice for the batch); the callers check their
// own command again.
func (s *Store) catchUpAll(ctx context.Context, answers []forwardAnswer) {
	var last forwardAnswer
	for _, a := range answers {
		if a.Fault == nil && a.Index > last.Index {
			last = a
		}
	}
	if last.Index > 0 {
		s.catchUp(ctx, last.Index, last.Term)
	}
}

// handleApplyBatch applies, on the leader, the commands a follower
// forwards together, and answers each one's result in their order.
func (s *Store) handleApplyBatch(w http.ResponseWriter, r *http.Request) {
	var raw []json.RawMessage
	if err := json.NewDecoder(io.LimitReader(r.Body, maxCommandBytes)).Decode(&raw); err != nil {
		writeError(w, Errorf(CodeInvalid, "read commands: %v", err))
		return
	}
	cmds := make([][]byte, len(raw))
	for i, c := range raw {
		cmds[i] = c
	}
	if len(cmds) > forwardBatchLimit {
		writeError(w, Errorf(CodeInvalid, "at most %d commands in one call", forwardBatchLimit))
		return
	}
	if s.refuseCommands(w, cmds...) {
		return
	}
	answers := make([]forwardAnswer, len(cmds))
	for i, res := range s.applyLocalAll(r.Context(), cmds...) {
		if res.err != nil {
			answers[i].Fault = wireError(res.err)
			continue
		}
		answers[i].Result = res.res
		answers[i].Term = s.termOf(res.res.Index)
	}
	writeJSON(w, http.StatusOK, answers)
}
