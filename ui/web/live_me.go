package web

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/ui/server"
)

// dashboardEvents are the proposal events that change what a member's
// dashboard shows: a vote opens or closes, a query draws on pooled data.
var dashboardEvents = map[string]bool{"opened": true, "closed": true, "query_run": true}

// liveMe answers GET /live/me with Server-Sent Events for the logged-in
// member's dashboard: the name of the event and the proposal it is about,
// nothing else; the page then reads its own parts again.
func (s *web) liveMe(c *fiber.Ctx) error {
	if s.Deps.Live == nil {
		return fiber.ErrNotFound
	}
	if _, err := server.RequireAccount(c); err != nil {
		return err
	}
	events := make(chan [2]string, 64)
	unsubscribe, err := s.Deps.Live.Subscribe("coop.proposal.*", func(subject string, data []byte) {
		verb := strings.TrimPrefix(subject, "coop.proposal.")
		if !dashboardEvents[verb] {
			return
		}
		var e struct {
			Proposal string `json:"proposal"`
		}
		if json.Unmarshal(data, &e) != nil {
			return
		}
		out, _ := json.Marshal(map[string]string{"proposal": e.Proposal})
		select {
		case events <- [2]string{verb, string(out)}:
		default: // a slow reader misses an update, never blocks NATS
		}
	})
	if err != nil {
		return err
	}
	s.streamEvents(c, events, unsubscribe)
	return nil
}
