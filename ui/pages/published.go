package pages

import (
	"time"

	"coop/ui/components"
)

// Published is the public page of results: every knowledge proposal that
// passed and released results, with its latest run as a chart.
type Published struct {
	Page  components.Page
	Items []PublishedItem
}

// PublishedItem is one proposal's published results.
type PublishedItem struct {
	ID       string
	Title    string
	ClosedAt *time.Time
	Runs     int
	Latest   ResultView
}
