package proposals

import (
	"context"
	"testing"
	"time"

	"coop/raftdata"
)

// A comment of an older log (before pseudonyms: no key) shows without a
// pseudonym until the discussion's next comment draws the proposal's key;
// from then on every comment, old ones included, carries its author's
// pseudonym, the same for one author, another on another proposal.
func TestDiscussionPseudonyms(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	ann, bob := c.signup("ann"), c.signup("bob")
	first, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	old := commentPayload{ID: raftdata.NewID(), Proposal: first.ID, Author: ann.ID, Body: "from an older log"}
	if _, err := c.node.Store.Apply(ctx, cmdCommented, old); err != nil {
		t.Fatal(err)
	}
	list, err := c.props.Comments(ctx, bob.ID, first.ID)
	if err != nil || len(list) != 1 || list[0].Pseudonym != "" || list[0].Mine {
		t.Fatalf("an older comment: %+v %v", list, err)
	}
	for _, say := range []struct {
		who  string
		prop Proposal
	}{{bob.ID, first}, {ann.ID, first}, {ann.ID, second}} {
		a := ann
		if say.who == bob.ID {
			a = bob
		}
		c.clock.Advance(time.Second) // oldest first
		if err := c.props.Comment(ctx, a, say.prop.ID, "a word"); err != nil {
			t.Fatal(err)
		}
	}
	list, err = c.props.Comments(ctx, ann.ID, first.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("comments %+v %v", list, err)
	}
	annP, bobP := list[0].Pseudonym, list[1].Pseudonym
	if len(annP) != 5 || list[2].Pseudonym != annP || bobP == annP || !list[0].Mine || list[1].Mine {
		t.Fatalf("pseudonyms %q %q %q, mine %v %v %v", annP, bobP, list[2].Pseudonym, list[0].Mine, list[1].Mine, list[2].Mine)
	}
	// Another reader, another service over the state: the same names.
	again, err := New(c.node.Store, Options{}).Comments(ctx, bob.ID, first.ID)
	if err != nil || again[0].Pseudonym != annP || again[1].Pseudonym != bobP || !again[1].Mine {
		t.Fatalf("as bob: %+v %v", again, err)
	}
	other, err := c.props.Comments(ctx, ann.ID, second.ID)
	if err != nil || len(other) != 1 || other[0].Pseudonym == annP {
		t.Fatalf("ann on another proposal: %+v %v (on the first: %q)", other, err, annP)
	}
	// A second key never replaces the first.
	var key string
	if err := c.node.Store.DB().QueryRow(`SELECT key FROM proposals_comment_keys WHERE proposal = ?`, first.ID).Scan(&key); err != nil || len(key) != 32 {
		t.Fatalf("key %q %v", key, err)
	}
	if pseudonym(key, ann.ID) != annP {
		t.Fatal("the pseudonym is not the HMAC of the stored key")
	}
}
