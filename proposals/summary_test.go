package proposals

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Summaries is List cut down to what a list shows: same proposals, order,
// pages and figures, whatever their status.
func TestSummaries_AgreeWithList(t *testing.T) {
	c := startCoop(t)
	ctx := t.Context()
	voters := c.contributors(3)
	for _, choice := range []string{"yes", "no"} { // one passes, one is rejected
		p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range voters {
			if _, err := c.props.Vote(ctx, v, p.ID, choice); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	draft := knowledgeDraft()
	draft.Draft = true
	if _, err := c.props.Create(ctx, c.researcher, draft); err != nil {
		t.Fatal(err)
	}
	var last Proposal
	for i := 0; i < PageSize+1; i++ { // the open ones fill more than a page
		d := knowledgeDraft()
		d.Title = fmt.Sprintf("Open proposal %d", i)
		p, err := c.props.Create(ctx, c.researcher, d)
		if err != nil {
			t.Fatal(err)
		}
		last = p
	}
	for _, v := range voters[:2] {
		if _, err := c.props.Vote(ctx, v, last.ID, "abstain"); err != nil {
			t.Fatal(err)
		}
	}

	seen := map[Status]int{}
	for _, status := range []string{"", "open", "passed", "rejected", "draft", "expired"} {
		for page := 1; page <= 3; page++ {
			list, more, err := c.props.List(ctx, status, page)
			if err != nil {
				t.Fatal(err)
			}
			got, gotMore, err := c.props.Summaries(ctx, status, page)
			if err != nil {
				t.Fatal(err)
			}
			want := []Summary{}
			for _, p := range list {
				want = append(want, Summary{ID: p.ID, Title: p.Title, Kind: p.Kind, Status: p.Status,
					Deadline: p.Deadline, ClosedAt: p.ClosedAt, Participation: p.Participation})
				if status == "" {
					seen[p.Status]++
				}
			}
			if gotMore != more || !reflect.DeepEqual(got, want) {
				t.Fatalf("status %q page %d: summaries (more %v)\n%+v\nlist (more %v)\n%+v", status, page, gotMore, got, more, want)
			}
		}
	}
	if seen[StatusOpen] != PageSize+1 || seen[StatusPassed] != 1 || seen[StatusRejected] != 1 || seen[StatusDraft] != 1 {
		t.Fatalf("the fixture is not what the test needs: %v", seen)
	}
}
