package web

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestStateCache_OneValuePerAppliedIndex(t *testing.T) {
	errLoad := errors.New("disk says no")
	type step struct {
		index    uint64
		key      string
		value    string // what load returns
		err      error  // what load returns
		want     string
		wantLoad bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"same index and key: loaded once", []step{
			{index: 5, key: "en/a", value: "v1", want: "v1", wantLoad: true},
			{index: 5, key: "en/a", value: "v2", want: "v1"},
		}},
		{"a newer index loads again and drops the rest", []step{
			{index: 5, key: "en/a", value: "v1", want: "v1", wantLoad: true},
			{index: 5, key: "en/b", value: "b1", want: "b1", wantLoad: true},
			{index: 6, key: "en/a", value: "v2", want: "v2", wantLoad: true},
			{index: 6, key: "en/b", value: "b2", want: "b2", wantLoad: true},
		}},
		{"keys do not mix", []step{
			{index: 5, key: "en/a", value: "english", want: "english", wantLoad: true},
			{index: 5, key: "fr/a", value: "français", want: "français", wantLoad: true},
			{index: 5, key: "en/a", value: "x", want: "english"},
		}},
		{"a load from an older index does not replace a newer state", []step{
			{index: 7, key: "en/a", value: "new", want: "new", wantLoad: true},
			{index: 6, key: "en/a", value: "old", want: "old", wantLoad: true},
			{index: 7, key: "en/a", value: "x", want: "new"},
		}},
		{"errors are not kept", []step{
			{index: 5, key: "en/a", err: errLoad, wantLoad: true},
			{index: 5, key: "en/a", value: "v1", want: "v1", wantLoad: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c stateCache[string]
			for i, s := range tt.steps {
				loaded := false
				got, err := c.get(s.index, s.key, func() (string, error) {
					loaded = true
					return s.value, s.err
				})
				if !errors.Is(err, s.err) || got != s.want || loaded != s.wantLoad {
					t.Fatalf("step %d: got %q, %v, loaded %v; want %q, %v, loaded %v", i, got, err, loaded, s.want, s.err, s.wantLoad)
				}
			}
		})
	}
}

// Requests that miss the same key together wait for one load (the load is
// held until every request has been sent).
func TestStateCache_ConcurrentMissesShareOneLoad(t *testing.T) {
	var c stateCache[int]
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]int, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.get(3, "k", func() (int, error) {
				loads.Add(1)
				<-release
				return 42, nil
			})
		}()
	}
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != 42 {
			t.Fatalf("request %d got %d", i, r)
		}
	}
	// A request finds the value kept, or the load under way, or starts it.
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d loads", n)
	}
	if got, _ := c.get(3, "k", func() (int, error) { return 0, errors.New("loaded again") }); got != 42 {
		t.Fatalf("after the shared load: %d", got)
	}
}
