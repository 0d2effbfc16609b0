package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// liveStreamFor is how long one live stream stays open: under the
// server's write timeout; the browser's EventSource reconnects by itself.
const liveStreamFor = 25 * time.Second

// liveProposal answers GET /live/proposals/{id} with Server-Sent Events:
// the participation while the vote runs (counts only, never a choice), and
// the close. Anyone may follow a proposal page, as anyone may read it.
func (s *web) liveProposal(c *fiber.Ctx) error {
	if s.Deps.Live == nil {
		return fiber.ErrNotFound
	}
	id := c.Params("id")
	if _, err := s.Deps.Proposals.Get(c.UserContext(), id); err != nil {
		return err
	}
	events := make(chan [2]string, 64)
	unsubscribe, err := s.Deps.Live.Subscribe("coop.proposal.*", func(subject string, data []byte) {
		var e struct {
			Proposal string `json:"proposal"`
		}
		if json.Unmarshal(data, &e) != nil || e.Proposal != id {
			return
		}
		select {
		case events <- [2]string{strings.TrimPrefix(subject, "coop.proposal."), string(data)}:
		default: // a slow reader misses an update, never blocks NATS
		}
	})
	if err != nil {
		return err
	}
	s.streamEvents(c, events, unsubscribe)
	return nil
}

// streamEvents answers c with Server-Sent Events: each [event, data] of
// events as it comes, a ping every 5 s, for liveStreamFor at most or until
// the node stops or the browser goes away; then unsubscribe.
func (s *web) streamEvents(c *fiber.Ctx, events <-chan [2]string, unsubscribe func()) {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		end := time.After(liveStreamFor)
		ping := time.NewTicker(5 * time.Second) // also finds a browser gone
		defer ping.Stop()
		fmt.Fprint(w, "retry: 2000\n\n")
		if w.Flush() != nil {
			return
		}
		for {
			select {
			case ev := <-events:
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev[0], ev[1])
			case <-ping.C:
				fmt.Fprint(w, ": ping\n\n")
			case <-end:
				return
			case <-s.Deps.Done:
				return
			}
			if w.Flush() != nil {
				return // the browser went away
			}
		}
	})
}
