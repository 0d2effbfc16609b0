package ui

import (
	"context"
	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata/raftdatatest"
	"coop/ui/i18n"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
)

// The proposals list and a proposal's page keep what every visitor sees
// for one applied index of the local state: each write shows at once on
// the node that made it, and on another node as soon as it has caught up.
// What depends on the visitor (ballot form, CSRF token) is never shared.
func TestPages_CachedPagesShowEveryWrite(t *testing.T) {
	nodes := raftdatatest.Cluster(t, 2, registerAll)
	w := webCoopOn(t, envOn(t, nodes[0]))
	w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Grace", "grace@coop.test")
	fr, en := i18n.New().For("fr"), i18n.New().For("en")

	second := nodes[1].Store
	gov := governance.New(second)
	follower := New(Deps{Cluster: second, Members: members.New(second, members.Options{Rulebook: gov}), Rules: gov,
		Pools: pooling.New(second), Proposals: proposals.New(second, proposals.Options{}), Logger: testLogger()})
	nodesApps := []struct {
		name    string
		app     *fiber.App
		catchUp func() error
	}{
		{"leader", w.app, func() error { return nil }},
		{"follower", follower, func() error {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			return second.Sync(ctx)
		}},
	}
	// expect checks what an anonymous visitor sees on each node: the
	// titles listed (newest first), and on the first proposal's page its
	// status and participation.
	type view struct {
		titles        string
		status        string
		participation string
	}
	var first proposals.Proposal
	expect := func(step string, want view) {
		t.Helper()
		for _, n := range nodesApps {
			if err := n.catchUp(); err != nil {
				t.Fatalf("%s: %s catching up: %v", step, n.name, err)
			}
			b := newBrowser(t, n.app, "en")
			list := b.get("/proposals")
			var titles []string
			list.testID("proposal-row").Each(func(_ int, s *goquery.Selection) {
				titles = append(titles, strings.TrimSpace(s.Find("a").Text()))
			})
			p := b.get("/proposals/" + first.ID)
			got := view{titles: strings.Join(titles, ", "), status: p.testID("status").First().Text(),
				participation: strings.TrimSpace(p.testID("participation").Text())}
			if got != want {
				t.Fatalf("%s, %s: got %+v, want %+v", step, n.name, got, want)
			}
			if want.participation != "" && !strings.Contains(list.testID("proposal-row").Last().Text(), want.participation) {
				t.Fatalf("%s, %s: the list does not show %q:\n%s", step, n.name, want.participation, list.testID("proposal-list").Text())
			}
		}
	}

	first = w.propose(t, "Winter energy")
	expect("opened", view{titles: "Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 0)})
	// The same state in French is drawn in French.
	frList := newBrowser(t, w.app, "fr").get("/proposals")
	if got := frList.testID("page-title").Text(); got != fr.T("proposals.title") {
		t.Fatalf("French list titled %q", got)
	}

	// Ada votes through the pages of the leader.
	ada := newBrowser(t, w.app, "en")
	login := ada.get("/login")
	if p := ada.post("/login", url.Values{"_csrf": {login.csrf()}, "email": {"ada@coop.test"}, "password": {testPassword}}); p.resp.StatusCode != 303 {
		t.Fatalf("login: %d", p.resp.StatusCode)
	}
	page := ada.get("/proposals/" + first.ID)
	if p := ada.post("/proposals/"+first.ID+"/vote", url.Values{"_csrf": {page.csrf()}, "choice": {"yes"}}); p.resp.StatusCode != 303 {
		t.Fatalf("vote: %d %s", p.resp.StatusCode, p.body)
	}
	expect("one ballot", view{titles: "Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 1)})
	// Ada sees her receipt and ballot form; an anonymous visitor on the
	// same state sees neither, nor her token or name.
	mine := ada.get("/proposals/" + first.ID)
	anon := newBrowser(t, w.app, "en").get("/proposals/" + first.ID)
	if mine.testID("receipt").Length() != 1 || mine.testID("vote-form").Length() != 1 || mine.testID("vote-login").Length() != 0 {
		t.Fatalf("Ada's page lacks her receipt or ballot form")
	}
	if anon.testID("receipt").Length() != 0 || anon.testID("vote-form").Length() != 0 || anon.testID("vote-login").Length() != 1 {
		t.Fatalf("an anonymous visitor sees a member's parts")
	}
	if mine.csrf() == "" || strings.Contains(anon.body, mine.csrf()) || strings.Contains(anon.body, "Ada") {
		t.Fatalf("Ada's token or name missing from her page, or on an anonymous one")
	}

	w.propose(t, "Summer energy")
	expect("second proposal", view{titles: "Summer energy, Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 1)})

	// Grace's ballot completes the electorate: the vote closes.
	if _, err := w.deps.Proposals.Vote(t.Context(), w.session(t, "grace@coop.test"), first.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	expect("closed", view{titles: "Summer energy, Winter energy", status: en.T("status.passed")})
	for _, n := range nodesApps {
		b := newBrowser(t, n.app, "en")
		if b.get("/proposals/"+first.ID).testID("tally-chart").Length() != 1 {
			t.Fatalf("%s: the closed proposal has no tally", n.name)
		}
		if got := b.get("/proposals?status=passed").testID("proposal-row").Text(); !strings.Contains(got, "Winter energy") || strings.Contains(got, "Summer") {
			t.Fatalf("%s: passed proposals: %q", n.name, got)
		}
	}
}
