package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/raftdata/raftdatatest"
	"coop/ui"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// The proposals list and a proposal's page keep what every visitor sees
// for one applied index of the local state: each write shows at once on
// the node that made it, and on another node as soon as it has caught up.
// What depends on the visitor (ballot form, CSRF token) is never shared.
func TestPages_CachedPagesShowEveryWrite(t *testing.T) {
	nodes := raftdatatest.Cluster(t, 2, uitest.RegisterAll)
	w := uitest.CoopOn(t, uitest.EnvOn(t, nodes[0]))
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	fr, en := i18n.New().For("fr"), i18n.New().For("en")

	second := nodes[1].Store
	gov := governance.New(second)
	follower := ui.New(server.Deps{Cluster: second, Members: members.New(second, members.Options{Rulebook: gov}), Rules: gov,
		Pools: pooling.New(second), Proposals: proposals.New(second, proposals.Options{}), Logger: uitest.Logger()})
	nodesApps := []struct {
		name    string
		app     *fiber.App
		catchUp func() error
	}{
		{"leader", w.App, func() error { return nil }},
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
			b := uitest.NewBrowser(t, n.app, "en")
			list := b.Get("/proposals")
			var titles []string
			list.TestID("proposal-row").Each(func(_ int, s *goquery.Selection) {
				titles = append(titles, strings.TrimSpace(s.Find("a").Text()))
			})
			p := b.Get("/proposals/" + first.ID)
			got := view{titles: strings.Join(titles, ", "), status: p.TestID("status").First().Text(),
				participation: strings.TrimSpace(p.TestID("participation").Text())}
			if got != want {
				t.Fatalf("%s, %s: got %+v, want %+v", step, n.name, got, want)
			}
			if want.participation != "" && !strings.Contains(list.TestID("proposal-row").Last().Text(), want.participation) {
				t.Fatalf("%s, %s: the list does not show %q:\n%s", step, n.name, want.participation, list.TestID("proposal-list").Text())
			}
		}
	}

	first = w.Propose(t, "Winter energy")
	expect("opened", view{titles: "Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 0)})
	// The same state in French is drawn in French.
	frList := uitest.NewBrowser(t, w.App, "fr").Get("/proposals")
	if got := frList.TestID("page-title").Text(); got != fr.T("proposals.title") {
		t.Fatalf("French list titled %q", got)
	}

	// Ada votes through the pages of the leader.
	ada := uitest.NewBrowser(t, w.App, "en")
	login := ada.Get("/login")
	if p := ada.Post("/login", url.Values{"_csrf": {login.CSRF()}, "email": {"ada@coop.test"}, "password": {uitest.Password}}); p.Resp.StatusCode != 303 {
		t.Fatalf("login: %d", p.Resp.StatusCode)
	}
	page := ada.Get("/proposals/" + first.ID)
	if p := ada.Post("/proposals/"+first.ID+"/vote", url.Values{"_csrf": {page.CSRF()}, "choice": {"yes"}}); p.Resp.StatusCode != 303 {
		t.Fatalf("vote: %d %s", p.Resp.StatusCode, p.Body)
	}
	expect("one ballot", view{titles: "Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 1)})
	// Ada sees her receipt and ballot form; an anonymous visitor on the
	// same state sees neither, nor her token or name.
	mine := ada.Get("/proposals/" + first.ID)
	anon := uitest.NewBrowser(t, w.App, "en").Get("/proposals/" + first.ID)
	if mine.TestID("receipt").Length() != 1 || mine.TestID("vote-form").Length() != 1 || mine.TestID("vote-login").Length() != 0 {
		t.Fatalf("Ada's page lacks her receipt or ballot form")
	}
	if anon.TestID("receipt").Length() != 0 || anon.TestID("vote-form").Length() != 0 || anon.TestID("vote-login").Length() != 1 {
		t.Fatalf("an anonymous visitor sees a member's parts")
	}
	if mine.CSRF() == "" || strings.Contains(anon.Body, mine.CSRF()) || strings.Contains(anon.Body, "Ada") {
		t.Fatalf("Ada's token or name missing from her page, or on an anonymous one")
	}

	w.Propose(t, "Summer energy")
	expect("second proposal", view{titles: "Summer energy, Winter energy", status: en.T("status.open"), participation: en.N("proposal.participation", 1)})

	// Grace's ballot completes the electorate: the vote closes.
	if _, err := w.Deps.Proposals.Vote(t.Context(), w.Session(t, "grace@coop.test"), first.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	expect("closed", view{titles: "Summer energy, Winter energy", status: en.T("status.passed")})
	for _, n := range nodesApps {
		b := uitest.NewBrowser(t, n.app, "en")
		if b.Get("/proposals/"+first.ID).TestID("tally-chart").Length() != 1 {
			t.Fatalf("%s: the closed proposal has no tally", n.name)
		}
		if got := b.Get("/proposals?status=passed").TestID("proposal-row").Text(); !strings.Contains(got, "Winter energy") || strings.Contains(got, "Summer") {
			t.Fatalf("%s: passed proposals: %q", n.name, got)
		}
	}
}
