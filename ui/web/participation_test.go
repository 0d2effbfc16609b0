package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// Members discuss a proposal and its requester answers; the page names no
// one; an anonymous visitor is sent to log in, and an empty comment is
// refused next to the form, in each language.
func TestPagesParticipation_Discussion(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Heating by region")
	path := "/proposals/" + prop.ID + "/discussion"

	anon := uitest.NewBrowser(t, w.App, "en")
	if p := anon.Get(path); p.Resp.StatusCode != 303 || !strings.HasPrefix(p.Resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
	if p := anon.Get("/proposals/" + prop.ID); p.TestID("discussion-link").Length() != 1 || p.TestID("ballots-link").Length() != 0 {
		t.Fatalf("an open proposal's page links to its discussion, not to its ballots:\n%s", p.TestID("proposal-links").Text())
	}

	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		ada := uitest.NewBrowser(t, w.App, lang)
		ada.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
		p := ada.Get(path)
		refused := ada.Post(path, url.Values{"_csrf": {p.CSRF()}, "body": {"   "}})
		if refused.Resp.StatusCode != 400 || refused.TestID("form-error").Length() != 1 {
			t.Fatalf("%s: an empty comment: %d\n%s", lang, refused.Resp.StatusCode, refused.TestID("comment-form").Text())
		}
		if lang == "fr" && uitest.Text(refused.TestID("form-error")) != strings.Join(strings.Fields(tr.P("err.comment_length", map[string]string{"max": tr.Int(4000)})), " ") {
			t.Errorf("the refusal is not in French: %q", uitest.Text(refused.TestID("form-error")))
		}
		done := ada.Post(path, url.Values{"_csrf": {p.CSRF()}, "body": {"Why winter only (" + lang + ")?"}})
		if done.Resp.StatusCode != 303 {
			t.Fatalf("%s: comment: %d\n%s", lang, done.Resp.StatusCode, done.Body)
		}
		p = ada.Get(path)
		if got := uitest.Text(p.TestID("notice")); got != tr.T("notice.commented") {
			t.Errorf("%s: notice %q", lang, got)
		}
		last := p.TestID("comment").Last()
		if got := uitest.Text(last.Find(`[data-testid="comment-author"]`)); !strings.HasPrefix(got, strings.TrimSuffix(tr.T("discussion.author.you_as"), "%s)")) {
			t.Errorf("%s: own comment's author %q", lang, got)
		}
		if !strings.Contains(uitest.Text(last), "Why winter only ("+lang+")?") {
			t.Errorf("%s: comment not shown: %q", lang, uitest.Text(last))
		}
	}

	// The requester (not a member of the electorate) answers; Ada sees it
	// as the requester's, and her own as hers; nobody's name appears.
	ros := uitest.NewBrowser(t, w.App, "en")
	ros.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	p := ros.Get(path)
	if p.Resp.StatusCode != 200 {
		t.Fatalf("requester: %d", p.Resp.StatusCode)
	}
	if r := ros.Post(path, url.Values{"_csrf": {p.CSRF()}, "body": {"Winter is when bills hurt."}}); r.Resp.StatusCode != 303 {
		t.Fatalf("requester's answer: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	ada := uitest.NewBrowser(t, w.App, "en")
	ada.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	p = ada.Get(path)
	var authors []string
	p.TestID("comment-author").Each(func(_ int, s *goquery.Selection) { authors = append(authors, uitest.Text(s)) })
	if len(authors) != 3 || !strings.HasPrefix(authors[0], "You (member ") || authors[1] != authors[0] || authors[2] != "The requester" {
		t.Errorf("authors %v, want twice the same \"You (member …)\", then the requester", authors)
	}
	if strings.Contains(p.TestID("comments").Text(), "Rosalind") || strings.Contains(p.TestID("comments").Text(), "Ada") {
		t.Error("the discussion names a person")
	}
}

// After the close, a member finds their ballot in the published list by
// pasting the receipt, sees how it was counted, and the list recounts the
// tally; a wrong receipt is said to match nothing.
func TestPagesParticipation_ReceiptCheck(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	prop := w.Propose(t, "Heating by region")
	ctx := context.Background()
	path := "/proposals/" + prop.ID + "/ballots"

	ada := uitest.NewBrowser(t, w.App, "en")
	ada.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	if p := ada.Get(path); p.Resp.StatusCode != 200 || p.TestID("ballots-unpublished").Length() != 1 || p.TestID("receipt-form").Length() != 0 {
		t.Fatalf("open vote: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	receipt, err := w.Deps.Proposals.Vote(ctx, w.Session(t, "ada@coop.test"), prop.ID, "no")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, "grace@coop.test"), prop.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, 10*time.Second, func() bool {
		got, err := w.Deps.Proposals.Get(ctx, prop.ID)
		return err == nil && got.Status != proposals.StatusOpen
	})
	if p := ada.Get("/proposals/" + prop.ID); p.TestID("ballots-link").Length() != 1 {
		t.Fatal("a closed proposal does not link to its ballots")
	}

	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		ada.Lang = lang
		p := ada.Get(path)
		if p.TestID("ballot").Length() != 2 {
			t.Fatalf("%s: %d ballots listed\n%s", lang, p.TestID("ballot").Length(), p.Body)
		}
		if got, want := uitest.Text(p.TestID("ballots-recount")), tr.F("ballots.recount", "1", "1", "0"); got != want {
			t.Errorf("%s: recount %q, want %q", lang, got, want)
		}
		p = ada.Post(path, url.Values{"_csrf": {p.CSRF()}, "receipt": {" " + receipt + "\n"}})
		if p.Resp.StatusCode != 200 {
			t.Fatalf("%s: check: %d", lang, p.Resp.StatusCode)
		}
		if got, want := uitest.Text(p.TestID("receipt-found")), tr.F("ballots.found", tr.T("choice.no")); got != want {
			t.Errorf("%s: check says %q, want %q", lang, got, want)
		}
		if mine := p.TestID("ballot-mine"); mine.Length() != 1 || !strings.Contains(mine.Text(), proposals.ReceiptHash(receipt)) {
			t.Errorf("%s: the matching ballot is not marked", lang)
		}
		p = ada.Post(path, url.Values{"_csrf": {p.CSRF()}, "receipt": {"not-a-receipt"}})
		if p.TestID("receipt-missing").Length() != 1 || p.TestID("ballot-mine").Length() != 0 {
			t.Errorf("%s: a wrong receipt is not said to match nothing", lang)
		}
	}

	// The ballot list is for signed-in accounts (TestPagesReaders_*): an
	// anonymous visitor goes to the login page.
	if p := uitest.NewBrowser(t, w.App, "en").Get(path); p.Resp.StatusCode != 303 || !strings.HasPrefix(p.Resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("an anonymous visitor on the ballot list: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
}

// A member keeps their data out of a proposal and lets it in again; the
// service sees the objection.
func TestPagesParticipation_Objection(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Heating by region")
	path := "/proposals/" + prop.ID + "/objection"
	tr := i18n.New().For("fr")
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")

	p := b.Get(path)
	if got := uitest.Text(p.TestID("objection-state")); got != tr.T("objection.state.off") {
		t.Fatalf("state %q", got)
	}
	if r := b.Post(path, url.Values{"_csrf": {p.CSRF()}, "object": {"true"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("object: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	p = b.Get(path)
	if got := uitest.Text(p.TestID("objection-state")); got != tr.T("objection.state.on") || uitest.Text(p.TestID("notice")) != tr.T("notice.objection_recorded") {
		t.Fatalf("after objecting: %q / %q", got, uitest.Text(p.TestID("notice")))
	}
	if on, err := w.Deps.Proposals.Objecting(context.Background(), prop.ID, ada.ID); err != nil || !on {
		t.Fatalf("the service sees no objection: %v %v", on, err)
	}
	if r := b.Post(path, url.Values{"_csrf": {p.CSRF()}, "object": {"maybe"}}); r.Resp.StatusCode != 400 {
		t.Fatalf("object=maybe: %d", r.Resp.StatusCode)
	}
	if r := b.Post(path, url.Values{"_csrf": {p.CSRF()}, "object": {"false"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("withdraw: %d", r.Resp.StatusCode)
	}
	if on, _ := w.Deps.Proposals.Objecting(context.Background(), prop.ID, ada.ID); on {
		t.Fatal("the objection is still recorded")
	}
	// Without the form's token, nothing changes.
	if r := b.Post(path, url.Values{"object": {"true"}}); r.Resp.StatusCode != 403 {
		t.Fatalf("no _csrf: %d", r.Resp.StatusCode)
	}
}

// The pages added for members, researchers and operators keep the rules of
// every page: each form posts with the session's _csrf, each input has its
// label, scripts come only from this site's files, nothing inline.
func TestPagesParticipation_FormsAndScripts(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	prop := w.Propose(t, "Heating by region")
	recs, err := w.Deps.Pools.Records(context.Background(), ada.ID, "energy")
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
		b := uitest.NewBrowser(t, w.App, "fr")
		b.Cookies[server.SessionCookie] = w.Login(t, tc.email)
		for _, path := range tc.paths {
			p := b.Get(path)
			if p.Resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", path, p.Resp.StatusCode)
			}
			checkForms(t, path, p, server.CSRFToken(b.Cookies[server.SessionCookie]))
			if p.Doc.Find("script:not([src]), style, [style], [onclick], [onload], [onsubmit], [onchange]").Length() > 0 {
				t.Errorf("GET %s: inline script or style", path)
			}
			p.Doc.Find("script[src]").Each(func(_ int, sc *goquery.Selection) {
				if src, _ := sc.Attr("src"); !strings.HasPrefix(src, "/static/") {
					t.Errorf("GET %s: script %q", path, src)
				}
			})
			p.Doc.Find("input:not([type=hidden]), select, textarea").Each(func(_ int, in *goquery.Selection) {
				if id := in.AttrOr("id", ""); id == "" || p.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("GET %s: input %q has no label", path, in.AttrOr("name", ""))
				}
			})
		}
	}
}
