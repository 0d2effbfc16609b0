package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"coop/governance"
	"coop/members"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/uitest"
)

// secretVoteFor casts voter's secret ballot on id with the Go client, as
// `coop vote` does: the token through the member's own call, the ballot
// as no one.
func secretVoteFor(t *testing.T, w *uitest.Coop, voter members.Account, id, choice string) {
	t.Helper()
	ctx := context.Background()
	votes, err := w.Deps.Proposals.SecretVotes(ctx, voter)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range votes {
		if v.Proposal != id {
			continue
		}
		tok, err := proposals.TakeToken(v, func(b []byte) ([]byte, error) { return w.Deps.Proposals.IssueToken(ctx, voter, id, b) })
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tok.Ballot(choice, 1, "receipt")
		if _, err := w.Deps.Proposals.CastSecret(ctx, id, b); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no open secret vote %s for %s", id, voter.Name)
}

// On a 390 px phone, in French: a member's dashboard takes her voting
// token for the open secret amendment (ballot.js, RFC 9474 in the
// browser); on the amendment's page she casts her ballot and changes it,
// each time without her session (a ballot sent with it is refused, so the
// 201 proves it went without); the vote closes when the others vote, and
// her pseudonym is in the published list with her last choice; a forged
// token is refused in French. On a knowledge proposal she gives her vote
// to another member by email. Every part fits the width; axe-core checks
// every page.
func TestBrowser_SecretBallotAndProxyOnAPhone(t *testing.T) {
	tr := i18n.New().For("fr")
	w := uitest.NewCoop(t)
	base := serveOnLoopback(t, w.App)
	ctx := context.Background()
	ada := w.Member(t, "Ada Lovelace", "ada@coop.test")
	ben := w.Member(t, "Ben Okri", "ben@coop.test")
	cleo := w.Member(t, "Cléo Zhao", "cleo@coop.test")
	rules, _ := w.Deps.Rules.Current(ctx)
	am, err := w.Deps.Proposals.Create(ctx, w.Session(t, "ben@coop.test"), proposals.Draft{Title: "Garder nos règles", Purpose: "Voter le règlement tel qu'il est.",
		Kind: governance.Amendment, Rules: &rules.Rules, VotingMinutes: 60})
	if err != nil || !am.Secret {
		t.Fatalf("amendment %+v %v", am, err)
	}
	know := w.Propose(t, "Énergie en hiver")

	b := startBrowser(t)
	fits := func(name string, testIDs ...string) {
		t.Helper()
		for _, id := range testIDs {
			right := b.evalInt(`Math.ceil(document.querySelector('[data-testid="` + id + `"]').getBoundingClientRect().right)`)
			if client := b.evalInt(`document.documentElement.clientWidth`); right > client {
				b.screenshot("too-wide-" + id)
				t.Errorf("%s: %s ends at %d px on a %d px phone", name, id, right, client)
			}
		}
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	b.step("", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/lang/fr?next=/"), chromedp.WaitVisible(css(`html[lang="fr"] main`)))
	b.login(base, ada.Email)
	b.step("phone-dashboard-tokens", chromedp.Navigate(base+"/me"), chromedp.WaitVisible(css(`[data-testid="me-ballots"]`)),
		chromedp.WaitReady(css(`[data-ballots-ready="true"]`)))
	if got := b.eval(`localStorage.getItem("coop.ballot.` + am.ID + `") ? JSON.parse(localStorage.getItem("coop.ballot.` + am.ID + `")).token.signature.length > 300 ? "token" : "short" : "none"`); got != "token" {
		t.Fatalf("the dashboard took no voting token: %s", got)
	}
	if votes, _ := w.Deps.Proposals.SecretVotes(ctx, ada); len(votes) != 1 || !votes[0].Taken {
		t.Fatalf("coop does not know Ada took her token: %+v", votes)
	}
	fits("/me", "me-ballots")

	b.step("phone-secret-ballot", chromedp.Navigate(base+"/proposals/"+am.ID), chromedp.WaitVisible(css(`[data-testid="secret-form"]`)))
	if got := b.text(`[data-testid="secret-status"]`); got != tr.T("secret.ready") {
		t.Fatalf("status %q, want %q", got, tr.T("secret.ready"))
	}
	fits("the secret ballot", "secret-ballot", "secret-form")
	b.step("phone-secret-cast", chromedp.Click(css(`label[for="secret-yes"]`)), chromedp.Click(css(`[data-testid="secret-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="secret-receipt"]`)))
	if got := b.text(`[data-testid="secret-choice"]`); got != tr.T("choice.yes") {
		t.Fatalf("recorded choice %q", got)
	}
	b.step("phone-secret-changed", chromedp.Click(css(`label[for="secret-no"]`)), chromedp.Click(css(`[data-testid="secret-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="secret-status"]`)))
	uitest.WaitFor(t, stepTimeout, func() bool { return b.text(`[data-testid="secret-choice"]`) == tr.T("choice.no") })
	pseudonym := b.text(`[data-testid="secret-pseudonym"]`)
	if len(pseudonym) != 32 {
		t.Fatalf("pseudonym %q", pseudonym)
	}
	fits("the receipt", "secret-receipt")

	// A token this vote did not sign (a forged one) is refused, and the
	// page says why in French, from the refusal's reason.
	if got := b.eval(`(function () { var k = "coop.ballot.` + am.ID + `", s = JSON.parse(localStorage.getItem(k)); s.token.signature = btoa("x".repeat(256)); localStorage.setItem(k, JSON.stringify(s)); return "forged"; })()`); got != "forged" {
		t.Fatalf("forge the token: %s", got)
	}
	b.step("phone-secret-forged", chromedp.Click(css(`label[for="secret-yes"]`)), chromedp.Click(css(`[data-testid="secret-submit"]`)))
	forged := tr.T("secret.failed") + " " + tr.T("err.token_forged")
	uitest.WaitFor(t, stepTimeout, func() bool { return b.text(`[data-testid="secret-status"]`) == forged })

	// The others vote; the vote closes; Ada's line shows her last choice.
	secretVoteFor(t, w, cleo, am.ID, "yes")
	secretVoteFor(t, w, w.Session(t, "rosalind@coop.test"), am.ID, "yes")
	list, err := w.Deps.Proposals.Ballots(ctx, am.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("published list %+v %v", list, err)
	}
	found := false
	for _, l := range list {
		if l.Pseudonym == pseudonym {
			found = l.Choice == "no" && l.Token.Seq == 2
		}
	}
	if !found {
		t.Fatalf("Ada's pseudonym %s with her last choice is not in %+v", pseudonym, list)
	}

	// A proxy, by email, on a knowledge proposal.
	b.step("phone-proxy", chromedp.Navigate(base+"/proposals/"+know.ID), chromedp.WaitVisible(css(`[data-testid="proxy-form"]`)))
	fits("the proxy form", "proxy")
	b.step("phone-proxy-given", chromedp.SendKeys(css(`[data-testid="proxy-email"]`), ben.Email), chromedp.Click(css(`[data-testid="proxy-submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="proxy-given"]`)))
	if got := b.text(`[data-testid="proxy-given"]`); !strings.Contains(got, "Ben Okri") {
		t.Fatalf("proxy given: %q", got)
	}
}
