package web

import "sync"

// stateCacheEntries bounds a stateCache: past it, the entries are dropped
// and the cache fills again (page numbers come from the query string).
const stateCacheEntries = 512

// stateCache keeps what a page derives from the replicated state alone
// (read models, fragments every visitor sees alike) for as long as the
// local state does not change. Every entry belongs to one applied index of
// the local store; the first load at a newer index drops them all. So a
// page read after a write, on the node that made it or on another once it
// has caught up, is drawn again from SQLite.
//
// Nothing that depends on the visitor goes in: the frame of a page
// (account, CSRF token, notice) and member-only parts are drawn for each
// request. Keys carry the language of what they hold.
type stateCache[V any] struct {
	mu      sync.Mutex
	index   uint64
	entries map[string]V
	loading map[string]*stateLoad[V] // one load per key at a time
}

// stateLoad is a load under way; its waiters read v once done is closed.
type stateLoad[V any] struct {
	index uint64
	done  chan struct{}
	v     V
	err   error
}

// get returns the value of key at the applied index, calling load when it
// is missing; requests that miss the same key meanwhile wait for that load
// rather than run their own. index must be read before load reads the
// state: a value loaded from a state that moved on meanwhile is then kept
// under the older index, and the next read at the newer index loads again.
// Errors are not kept, nor shared: a waiter whose load failed loads itself.
func (c *stateCache[V]) get(index uint64, key string, load func() (V, error)) (V, error) {
	c.mu.Lock()
	if v, ok := c.entries[key]; ok && c.index == index {
		c.mu.Unlock()
		return v, nil
	}
	// A load started at our index or later reads a state at least as new
	// as ours.
	if l, ok := c.loading[key]; ok && l.index >= index {
		c.mu.Unlock()
		<-l.done
		if l.err == nil {
			return l.v, nil
		}
		return load()
	}
	l := &stateLoad[V]{index: index, done: make(chan struct{})}
	if c.loading == nil {
		c.loading = map[string]*stateLoad[V]{}
	}
	c.loading[key] = l
	c.mu.Unlock()

	l.v, l.err = load()

	c.mu.Lock()
	if c.loading[key] == l {
		delete(c.loading, key)
	}
	if l.err == nil {
		c.keep(index, key, l.v)
	}
	c.mu.Unlock()
	close(l.done)
	return l.v, l.err
}

// keep stores v under key at index; c.mu is held.
func (c *stateCache[V]) keep(index uint64, key string, v V) {
	switch {
	case index > c.index || c.entries == nil || index == c.index && len(c.entries) >= stateCacheEntries:
		c.index, c.entries = index, map[string]V{key: v}
	case index == c.index:
		c.entries[key] = v
	}
	// index < c.index: a newer state is cached already; v is not kept.
}

// pageCaches are the state caches of the pages.
type pageCaches struct {
	lists     stateCache[string]         // a page of the proposals list, by language, status and page
	proposals stateCache[proposalShared] // a proposal's page, by language and id
}
