package web_test

import (
	"context"
	"testing"

	"coop/ui/uitest"
)

// DESIGN.md: the discussion and, after the close, the published ballot
// list are read by every signed-in account: the operator reads both
// (and writes nothing), recounts the tally, and checks a receipt; the
// API answers alike.
func TestPagesReaders_OperatorReadsDiscussionAndBallots(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	prop := w.Propose(t, "Heating by region")
	ctx := context.Background()
	if err := w.Deps.Proposals.Comment(ctx, w.Session(t, "ada@coop.test"), prop.ID, "Why winter only?"); err != nil {
		t.Fatal(err)
	}
	op := w.BrowserAs(t, "fr", "op@coop.test")
	d := op.Get("/proposals/" + prop.ID + "/discussion")
	if d.Resp.StatusCode != 200 || d.TestID("comment-author").Length() != 1 || d.TestID("comment-form").Length() != 0 || d.TestID("discussion-read-only").Length() != 1 {
		t.Fatalf("the operator on the discussion: %d, %d comments, form %d", d.Resp.StatusCode, d.TestID("comment-author").Length(), d.TestID("comment-form").Length())
	}
	if p := op.Get("/proposals/" + prop.ID + "/ballots"); p.Resp.StatusCode != 200 || p.TestID("ballots-unpublished").Length() != 1 {
		t.Fatalf("the operator before the close: %d", p.Resp.StatusCode)
	}
	receipt, err := w.Deps.Proposals.Vote(ctx, w.Session(t, "ada@coop.test"), prop.ID, "no")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, "grace@coop.test"), prop.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	p := op.Get("/proposals/" + prop.ID + "/ballots")
	if p.Resp.StatusCode != 200 || p.TestID("ballot").Length() != 2 || p.TestID("ballots-recount").Length() != 1 {
		t.Fatalf("the operator after the close: %d, %d ballots\n%s", p.Resp.StatusCode, p.TestID("ballot").Length(), p.Body)
	}
	checked := op.Post("/proposals/"+prop.ID+"/ballots", map[string][]string{"_csrf": {p.CSRF()}, "receipt": {receipt}})
	if checked.Resp.StatusCode != 200 || checked.TestID("ballot-mine").Length() != 1 {
		t.Fatalf("a receipt checked by the operator: %d", checked.Resp.StatusCode)
	}
	if l := op.Get("/proposals/" + prop.ID); l.TestID("ballots-link").Length() != 1 || l.TestID("discussion-link").Length() != 1 {
		t.Error("the closed proposal's page does not link the operator to its ballots and discussion")
	}
	var list struct {
		Ballots []struct {
			Choice string `json:"choice"`
		} `json:"ballots"`
	}
	getAPI(t, w.App, "/api/v1/proposals/"+prop.ID+"/ballots", w.Login(t, "op@coop.test"), &list)
	if len(list.Ballots) != 2 {
		t.Fatalf("the API's ballots for the operator: %+v", list)
	}
}
