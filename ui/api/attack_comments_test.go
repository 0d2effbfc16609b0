package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"coop/members"
	"coop/proposals"
	"coop/ui/server"
	"coop/ui/uitest"
)

// Break 7 (comments): a proposal's requester and the operators read each
// comment's author as an account id, while the page says comments carry
// no name. Now every reader sees a pseudonym: the same for one author
// within a proposal, another across proposals, and no account id.
func TestAttack_CommentAuthorsArePseudonyms(t *testing.T) {
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	grace := w.Member(t, "Grace", "grace@coop.test")
	first, second := w.Propose(t, "Winter use"), w.Propose(t, "Summer use")
	say := func(who members.Account, prop proposals.Proposal, body string) {
		t.Helper()
		resp, got := uitest.Bearer(t, w, "POST", "/api/v1/proposals/"+prop.ID+"/comments", w.Login(t, who.Email), `{"body":`+quote(body)+`}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("comment: %d %s", resp.StatusCode, got)
		}
	}
	say(ada, first, "Why winter?")
	say(grace, first, "And the north?")
	say(w.Researcher, first, "Bills are highest in winter.")
	say(ada, first, "Thanks.")
	say(ada, second, "Why summer?")

	ids := []string{ada.ID, grace.ID, w.Researcher.ID}
	read := func(reader string, prop proposals.Proposal) []proposals.Comment {
		t.Helper()
		resp, body := uitest.Bearer(t, w, "GET", "/api/v1/proposals/"+prop.ID+"/comments", w.Login(t, reader), "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("comments as %s: %d %s", reader, resp.StatusCode, body)
		}
		for _, id := range ids {
			if strings.Contains(body, id) {
				t.Errorf("comments as %s name account %s: %s", reader, id, body)
			}
		}
		var out struct{ Comments []proposals.Comment }
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Comments) == 0 {
			t.Fatalf("comments as %s: %v %s", reader, err, body)
		}
		return out.Comments
	}
	byRequester := read("rosalind@coop.test", first)
	byOperator := read("op@coop.test", first)
	if len(byRequester) != 4 || len(byOperator) != 4 {
		t.Fatalf("%d and %d comments, want 4", len(byRequester), len(byOperator))
	}
	for i := range byRequester {
		if byRequester[i].Pseudonym != byOperator[i].Pseudonym || byRequester[i].Pseudonym == "" {
			t.Errorf("comment %d: the requester sees %q, the operator %q", i, byRequester[i].Pseudonym, byOperator[i].Pseudonym)
		}
	}
	adaFirst, graceFirst := byOperator[0].Pseudonym, byOperator[1].Pseudonym
	if byOperator[3].Pseudonym != adaFirst || graceFirst == adaFirst || byOperator[2].Pseudonym == adaFirst {
		t.Errorf("pseudonyms %q: one author, one pseudonym, others differ", []string{adaFirst, graceFirst, byOperator[2].Pseudonym, byOperator[3].Pseudonym})
	}
	if !byOperator[2].Requester || byOperator[0].Requester {
		t.Errorf("the requester's answer is not marked as theirs")
	}
	if !byRequester[2].Mine || byRequester[0].Mine || byOperator[2].Mine {
		t.Errorf("mine: the requester's own answer only")
	}
	if adaSecond := read("op@coop.test", second)[0].Pseudonym; adaSecond == adaFirst {
		t.Errorf("Ada is %q on both proposals: pseudonyms link her comments across proposals", adaFirst)
	}

	// The discussion page, as the operator, names no account either.
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := b.Get("/proposals/" + first.ID + "/discussion")
	if p.Resp.StatusCode != http.StatusOK || !strings.Contains(uitest.Text(p.TestID("comments")), "Member "+adaFirst) {
		t.Fatalf("the discussion page as the operator: %d %q", p.Resp.StatusCode, uitest.Text(p.TestID("comments")))
	}
	for _, id := range ids {
		if strings.Contains(p.Body, id) {
			t.Errorf("the discussion page names account %s", id)
		}
	}
	if p.TestID("comment-form").Length() != 0 {
		t.Error("the operator, who is no member, is offered the comment form")
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
