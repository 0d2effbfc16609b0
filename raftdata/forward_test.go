package raftdata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCluster3_FollowerForwardsConcurrentWritesTogether: writes proposed
// at once on a follower share calls to the leader, and each caller still
// gets its own command's result: the value its handler returned (the
// counter after its own increment, each value once) or its refusal. The
// follower holds every write when its caller returns.
func TestCluster3_FollowerForwardsConcurrentWritesTogether(t *testing.T) {
	c := startCluster(t, 3)
	c.waitLeader()
	f := c.followers()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const writes = 300
	values := make([]int, writes)
	errs := make([]error, writes)
	var wg sync.WaitGroup
	for i := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := f.Apply(ctx, "test.add", map[string]any{"name": "c", "n": 1, "refuse": i%5 == 0})
			if err == nil {
				err = json.Unmarshal(raw, &values[i])
				if got := counter(t, f.Store, "c"); got < values[i] {
					err = fmt.Errorf("the follower reads %d after its write made %d", got, values[i])
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var got []int
	for i, err := range errs {
		switch {
		case i%5 == 0 && ErrorCode(err) != CodeConflict:
			t.Errorf("write %d: want its refusal, got %v", i, err)
		case i%5 != 0 && err != nil:
			t.Errorf("write %d: %v", i, err)
		case i%5 != 0:
			got = append(got, values[i])
		}
	}
	slices.Sort(got)
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("the accepted writes returned %v: want each of 1..%d once", got, len(got))
		}
	}
	if n := counter(t, f.Store, "c"); n != len(got) {
		t.Errorf("the follower counts %d, %d writes accepted", n, len(got))
	}
	k := f.Counters()
	if k.Forwarded != writes || k.ForwardCalls >= writes {
		t.Errorf("%d commands forwarded in %d calls: want %d in fewer calls", k.Forwarded, k.ForwardCalls, writes)
	}
	t.Logf("%d writes forwarded in %d calls", k.Forwarded, k.ForwardCalls)
}

// TestCluster3_ForwardingToALeaderWithoutBatches: a leader of an older
// version (no batch path: 404) gets the commands one per call, and each
// still gets its own result.
func TestCluster3_ForwardingToALeaderWithoutBatches(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.waitLeader()
	f := c.followers()[0]
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathApplyBatch {
			http.NotFound(w, r)
			return
		}
		leader.Store.Handler().ServeHTTP(w, r)
	}))
	defer old.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var batch []*forwarding
	for i := range 5 {
		cmd, err := NewCommand("test.add", map[string]any{"name": "old", "n": 1, "refuse": i == 2}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := encodeCommand(cmd)
		batch = append(batch, &forwarding{ctx: ctx, data: data, out: make(chan forwarded, 1)})
	}
	calls := f.Counters().ForwardCalls
	f.forwarder.callTo(old.URL, batch)
	for i, w := range batch {
		o := <-w.out
		switch {
		case o.err != nil:
			t.Errorf("command %d: %v", i, o.err)
		case i == 2 && (o.res.Err == nil || o.res.Err.Code != CodeConflict):
			t.Errorf("command %d: want its refusal, got %+v", i, o.res)
		case i != 2 && o.res.Err != nil:
			t.Errorf("command %d: refused: %v", i, o.res.Err)
		}
	}
	// One batch call (404), then one call per command (the follower may
	// forward a command of its own meanwhile).
	if got := f.Counters().ForwardCalls - calls; got < 1+5 {
		t.Errorf("%d calls, want 6", got)
	}
	if !f.forwarder.single[old.URL] {
		t.Error("the leader without batches is not remembered")
	}
	if n := counter(t, leader.Store, "old"); n != 4 {
		t.Errorf("the leader counts %d, want 4", n)
	}
}
