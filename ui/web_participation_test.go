package ui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"coop/proposals"
	"coop/ui/i18n"
)

// Members discuss a proposal and its requester answers; the page names no
// one; an anonymous visitor is sent to log in, and an empty comment is
// refused next to the form, in each language.
func TestPagesParticipation_Discussion(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	prop := w.propose(t, "Heating by region")
	path := "/proposals/" + prop.ID + "/discussion"

	anon := newBrowser(t, w.app, "en")
	if p := anon.get(path); p.resp.StatusCode != 303 || !strings.HasPrefix(p.resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous: %d %q", p.resp.StatusCode, p.resp.Header.Get("Location"))
	}
	if p := anon.get("/proposals/" + prop.ID); p.testID("discussion-link").Length() != 1 || p.testID("ballots-link").Length() != 0 {
		t.Fatalf("an open proposal's page links to its discussion, not to its ballots:\n%s", p.testID("proposal-links").Text())
	}

	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		ada := newBrowser(t, w.app, lang)
		ada.cookies[sessionCookie] = w.login(t, "ada@coop.test")
		p := ada.get(path)
		refused := ada.post(path, url.Values{"_csrf": {p.csrf()}, "body": {"   "}})
		if refused.resp.StatusCode != 400 || refused.testID("form-error").Length() != 1 {
			t.Fatalf("%s: an empty comment: %d\n%s", lang, refused.resp.StatusCode, refused.testID("comment-form").Text())
		}
		if lang == "fr" && text(refused.testID("form-error")) != strings.Join(strings.Fields(tr.P("err.comment_length", map[string]string{"max": tr.Int(4000)})), " ") {
			t.Errorf("the refusal is not in French: %q", text(refused.testID("form-error")))
		}
		done := ada.post(path, url.Values{"_csrf": {p.csrf()}, "body": {"Why winter only (" + lang + ")?"}})
		if done.resp.StatusCode != 303 {
			t.Fatalf("%s: comment: %d\n%s", lang, done.resp.StatusCode, done.body)
		}
		p = ada.get(path)
		if got := text(p.testID("notice")); got != tr.T("notice.commented") {
			t.Errorf("%s: notice %q", lang, got)
		}
		last := p.testID("comment").Last()
		if got := text(last.Find(`[data-testid="comment-author"]`)); !strings.HasPrefix(got, strings.TrimSuffix(tr.T("discussion.author.you_as"), "%s)")) {
			t.Errorf("%s: own comment's author %q", lang, got)
		}
		if !strings.Contains(text(last), "Why winter only ("+lang+")?") {
			t.Errorf("%s: comment not shown: %q", lang, text(last))
		}
	}

	// The requester (not a member of the electorate) answers; Ada sees it
	// as the requester's, and her own as hers; nobody's name appears.
	ros := newBrowser(t, w.app, "en")
	ros.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	p := ros.get(path)
	if p.resp.StatusCode != 200 {
		t.Fatalf("requester: %d", p.resp.StatusCode)
	}
	if r := ros.post(path, url.Values{"_csrf": {p.csrf()}, "body": {"Winter is when bills hurt."}}); r.resp.StatusCode != 303 {
		t.Fatalf("requester's answer: %d\n%s", r.resp.StatusCode, r.body)
	}
	ada := newBrowser(t, w.app, "en")
	ada.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	p = ada.get(path)
	var authors []string
	p.testID("comment-author").Each(func(_ int, s *goquery.Selection) { authors = append(authors, text(s)) })
	if len(authors) != 3 || !strings.HasPrefix(authors[0], "You (member ") || authors[1] != authors[0] || authors[2] != "The requester" {
		t.Errorf("authors %v, want twice the same \"You (member …)\", then the requester", authors)
	}
	if strings.Contains(p.testID("comments").Text(), "Rosalind") || strings.Contains(p.testID("comments").Text(), "Ada") {
		t.Error("the discussion names a person")
	}
}

// After the close, a member finds their ballot in the published list by
// pasting the receipt, sees how it was counted, and the list recounts the
// tally; a wrong receipt is said to match nothing.
func TestPagesParticipation_ReceiptCheck(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Grace", "grace@coop.test")
	prop := w.propose(t, "Heating by region")
	ctx := context.Background()
	path := "/proposals/" + prop.ID + "/ballots"

	ada := newBrowser(t, w.app, "en")
	ada.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	if p := ada.get(path); p.resp.StatusCode != 200 || p.testID("ballots-unpublished").Length() != 1 || p.testID("receipt-form").Length() != 0 {
		t.Fatalf("open vote: %d\n%s", p.resp.StatusCode, p.body)
	}
	receipt, err := w.deps.Proposals.Vote(ctx, w.session(t, "ada@coop.test"), prop.ID, "no")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.deps.Proposals.Vote(ctx, w.session(t, "grace@coop.test"), prop.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool {
		got, err := w.deps.Proposals.Get(ctx, prop.ID)
		return err == nil && got.Status != proposals.StatusOpen
	})
	if p := ada.get("/proposals/" + prop.ID); p.testID("ballots-link").Length() != 1 {
		t.Fatal("a closed proposal does not link to its ballots")
	}

	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		ada.lang = lang
		p := ada.get(path)
		if p.testID("ballot").Length() != 2 {
			t.Fatalf("%s: %d ballots listed\n%s", lang, p.testID("ballot").Length(), p.body)
		}
		if got, want := text(p.testID("ballots-recount")), tr.F("ballots.recount", "1", "1", "0"); got != want {
			t.Errorf("%s: recount %q, want %q", lang, got, want)
		}
		p = ada.post(path, url.Values{"_csrf": {p.csrf()}, "receipt": {" " + receipt + "\n"}})
		if p.resp.StatusCode != 200 {
			t.Fatalf("%s: check: %d", lang, p.resp.StatusCode)
		}
		if got, want := text(p.testID("receipt-found")), tr.F("ballots.found", tr.T("choice.no")); got != want {
			t.Errorf("%s: check says %q, want %q", lang, got, want)
		}
		if mine := p.testID("ballot-mine"); mine.Length() != 1 || !strings.Contains(mine.Text(), proposals.ReceiptHash(receipt)) {
			t.Errorf("%s: the matching ballot is not marked", lang)
		}
		p = ada.post(path, url.Values{"_csrf": {p.csrf()}, "receipt": {"not-a-receipt"}})
		if p.testID("receipt-missing").Length() != 1 || p.testID("ballot-mine").Length() != 0 {
			t.Errorf("%s: a wrong receipt is not said to match nothing", lang)
		}
	}

	// The ballot list is for signed-in accounts (TestPagesReaders_*): an
	// anonymous visitor goes to the login page.
	if p := newBrowser(t, w.app, "en").get(path); p.resp.StatusCode != 303 || !strings.HasPrefix(p.resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("an anonymous visitor on the ballot list: %d %q", p.resp.StatusCode, p.resp.Header.Get("Location"))
	}
}

// A member keeps their data out of a proposal and lets it in again; the
// service sees the objection.
func TestPagesParticipation_Objection(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	prop := w.propose(t, "Heating by region")
	path := "/proposals/" + prop.ID + "/objection"
	tr := i18n.New().For("fr")
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")

	p := b.get(path)
	if got := text(p.testID("objection-state")); got != tr.T("objection.state.off") {
		t.Fatalf("state %q", got)
	}
	if r := b.post(path, url.Values{"_csrf": {p.csrf()}, "object": {"true"}}); r.resp.StatusCode != 303 {
		t.Fatalf("object: %d\n%s", r.resp.StatusCode, r.body)
	}
	p = b.get(path)
	if got := text(p.testID("objection-state")); got != tr.T("objection.state.on") || text(p.testID("notice")) != tr.T("notice.objection_recorded") {
		t.Fatalf("after objecting: %q / %q", got, text(p.testID("notice")))
	}
	if on, err := w.deps.Proposals.Objecting(context.Background(), prop.ID, ada.ID); err != nil || !on {
		t.Fatalf("the service sees no objection: %v %v", on, err)
	}
	if r := b.post(path, url.Values{"_csrf": {p.csrf()}, "object": {"maybe"}}); r.resp.StatusCode != 400 {
		t.Fatalf("object=maybe: %d", r.resp.StatusCode)
	}
	if r := b.post(path, url.Values{"_csrf": {p.csrf()}, "object": {"false"}}); r.resp.StatusCode != 303 {
		t.Fatalf("withdraw: %d", r.resp.StatusCode)
	}
	if on, _ := w.deps.Proposals.Objecting(context.Background(), prop.ID, ada.ID); on {
		t.Fatal("the objection is still recorded")
	}
	// Without the form's token, nothing changes.
	if r := b.post(path, url.Values{"object": {"true"}}); r.resp.StatusCode != 403 {
		t.Fatalf("no _csrf: %d", r.resp.StatusCode)
	}
}

// The pages added for members, researchers and operators keep the rules of
// every page: each form posts with the session's _csrf, each input has its
// label, scripts come only from this site's files, nothing inline.
func TestPagesParticipation_FormsAndScripts(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	w.consentAndContribute(t, ada, "north")
	prop := w.propose(t, "Heating by region")
	recs, err := w.deps.Pools.Records(context.Background(), ada.ID, "energy")
	if err != nil || len(recs) == 0 {
		t.Fatal(recs, err)
	}
	for _, tc := range []struct {
		email string
		paths []string
	}{
		{"ada@coop.test", []string{"/proposals/" + prop.ID + "/discussion", "/proposals/" + prop.ID + "/objection",
			"/me/account", "/me/charter", "/me/records", "/me/records/" + recs[0].ID + "/edit", "/me/proposals", "/me"}},
		{"op@coop.test", []string{"/ops", "/ops/pools"}},
	} {
		b := newBrowser(t, w.app, "fr")
		b.cookies[sessionCookie] = w.login(t, tc.email)
		for _, path := range tc.paths {
			p := b.get(path)
			if p.resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", path, p.resp.StatusCode)
			}
			checkForms(t, path, p, csrfToken(b.cookies[sessionCookie]))
			if p.doc.Find("script:not([src]), style, [style], [onclick], [onload], [onsubmit], [onchange]").Length() > 0 {
				t.Errorf("GET %s: inline script or style", path)
			}
			p.doc.Find("script[src]").Each(func(_ int, sc *goquery.Selection) {
				if src, _ := sc.Attr("src"); !strings.HasPrefix(src, "/static/") {
					t.Errorf("GET %s: script %q", path, src)
				}
			})
			p.doc.Find("input:not([type=hidden]), select, textarea").Each(func(_ int, in *goquery.Selection) {
				if id := in.AttrOr("id", ""); id == "" || p.doc.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("GET %s: input %q has no label", path, in.AttrOr("name", ""))
				}
			})
		}
	}
}
