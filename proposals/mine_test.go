package proposals

import (
	"context"
	"testing"
	"time"
)

// A requester's list holds their proposals only, newest first, the passed
// one with its grant; a member's objection reads back as set, then unset.
func TestByRequesterAndObjecting(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	voters := c.contributors(6)
	passed := passedProposal(t, c, voters, knowledgeDraft())
	c.clock.Advance(time.Minute) // newest first: the draft comes later
	d := knowledgeDraft()
	d.Title, d.Draft = "Later", true
	draft, err := c.props.Create(ctx, c.researcher, d)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := c.props.ByRequester(ctx, c.researcher.ID)
	if err != nil || len(mine) != 2 || mine[0].ID != draft.ID || mine[1].ID != passed.ID || mine[1].Grant == nil || mine[0].Grant != nil {
		t.Fatalf("the researcher's proposals: %+v %v", mine, err)
	}
	if others, err := c.props.ByRequester(ctx, voters[0].ID); err != nil || len(others) != 0 {
		t.Fatalf("a voter's proposals: %+v %v", others, err)
	}

	for _, object := range []bool{true, false} {
		if err := c.props.Object(ctx, voters[0], passed.ID, object); err != nil {
			t.Fatal(err)
		}
		if got, err := c.props.Objecting(ctx, passed.ID, voters[0].ID); err != nil || got != object {
			t.Fatalf("objecting after Object(%v): %v %v", object, got, err)
		}
	}
	if got, _ := c.props.Objecting(ctx, passed.ID, voters[1].ID); got {
		t.Fatal("a member who never objected is objecting")
	}
}
