package ui

import (
	"context"
	"testing"
)

// DESIGN.md: the discussion and, after the close, the published ballot
// list are read by every signed-in account: the operator reads both
// (and writes nothing), recounts the tally, and checks a receipt; the
// API answers alike.
func TestPagesReaders_OperatorReadsDiscussionAndBallots(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Grace", "grace@coop.test")
	prop := w.propose(t, "Heating by region")
	ctx := context.Background()
	if err := w.deps.Proposals.Comment(ctx, w.session(t, "ada@coop.test"), prop.ID, "Why winter only?"); err != nil {
		t.Fatal(err)
	}
	op := w.browserAs(t, "fr", "op@coop.test")
	d := op.get("/proposals/" + prop.ID + "/discussion")
	if d.resp.StatusCode != 200 || d.testID("comment-author").Length() != 1 || d.testID("comment-form").Length() != 0 || d.testID("discussion-read-only").Length() != 1 {
		t.Fatalf("the operator on the discussion: %d, %d comments, form %d", d.resp.StatusCode, d.testID("comment-author").Length(), d.testID("comment-form").Length())
	}
	if p := op.get("/proposals/" + prop.ID + "/ballots"); p.resp.StatusCode != 200 || p.testID("ballots-unpublished").Length() != 1 {
		t.Fatalf("the operator before the close: %d", p.resp.StatusCode)
	}
	receipt, err := w.deps.Proposals.Vote(ctx, w.session(t, "ada@coop.test"), prop.ID, "no")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.deps.Proposals.Vote(ctx, w.session(t, "grace@coop.test"), prop.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	p := op.get("/proposals/" + prop.ID + "/ballots")
	if p.resp.StatusCode != 200 || p.testID("ballot").Length() != 2 || p.testID("ballots-recount").Length() != 1 {
		t.Fatalf("the operator after the close: %d, %d ballots\n%s", p.resp.StatusCode, p.testID("ballot").Length(), p.body)
	}
	checked := op.post("/proposals/"+prop.ID+"/ballots", map[string][]string{"_csrf": {p.csrf()}, "receipt": {receipt}})
	if checked.resp.StatusCode != 200 || checked.testID("ballot-mine").Length() != 1 {
		t.Fatalf("a receipt checked by the operator: %d", checked.resp.StatusCode)
	}
	if l := op.get("/proposals/" + prop.ID); l.testID("ballots-link").Length() != 1 || l.testID("discussion-link").Length() != 1 {
		t.Error("the closed proposal's page does not link the operator to its ballots and discussion")
	}
	var list struct {
		Ballots []struct {
			Choice string `json:"choice"`
		} `json:"ballots"`
	}
	getAPI(t, w.app, "/api/v1/proposals/"+prop.ID+"/ballots", w.login(t, "op@coop.test"), &list)
	if len(list.Ballots) != 2 {
		t.Fatalf("the API's ballots for the operator: %+v", list)
	}
}
