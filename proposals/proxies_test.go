package proposals

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// participationOf is the participation a proposal shows while it runs.
func participationOf(t *testing.T, c *coop, id string) int {
	t.Helper()
	p, err := c.props.Get(context.Background(), id)
	if err != nil || p.Participation == nil {
		t.Fatalf("participation of %s: %+v %v", id, p, err)
	}
	return *p.Participation
}

// recount is the participation counted again from the tables, by the
// rule proxy commands use: what the memory of ballots keeps must agree.
func recount(t *testing.T, c *coop, id string) int {
	t.Helper()
	var n int
	err := c.node.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM proposals_ballots WHERE proposal = ?1)
		+ (SELECT COUNT(*) FROM proposals_proxies x WHERE x.proposal = ?1 AND x.holder_key <> ''
			AND NOT EXISTS (SELECT 1 FROM proposals_ballots b WHERE b.proposal = ?1 AND b.voter_key = x.giver_key)
			AND EXISTS (SELECT 1 FROM proposals_ballots b WHERE b.proposal = ?1 AND b.voter_key = x.holder_key))`, id).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProxiesOnOneVote: a member gives their vote to another; the
// holder's ballot counts for both; a direct ballot overrides; the cap, the
// electorate and secret ballots bound who carries what; the published list
// marks the proxied lines, which both the giver's and the holder's
// receipts find.
func TestProxiesOnOneVote(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	m := c.contributors(7) // a b c d e f g; the researcher requests, so votes not
	p, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	late := c.signup("latecomer")
	if p.ProxyCap != governance.DefaultProxies || p.Secret {
		t.Fatalf("a knowledge vote: %+v", p)
	}
	give := func(from members.Account, to string) error {
		_, err := c.props.GiveProxy(ctx, from, p.ID, to)
		return err
	}
	cases := []struct {
		name     string
		from     members.Account
		to       string
		code     raftdata.Code
		contains string
	}{
		{"to oneself", m[0], m[0].ID, raftdata.CodeInvalid, "another member"},
		{"to someone outside the electorate", m[0], late.ID, raftdata.CodeInvalid, "not in the electorate"},
		{"to the requester", m[0], c.researcher.ID, raftdata.CodeInvalid, "not in the electorate"},
		{"from outside the electorate", late, m[0].ID, raftdata.CodeForbidden, "not in the electorate"},
		{"a gives to d", m[0], m[3].ID, "", ""},
		{"b gives to d", m[1], m[3].ID, "", ""},
		{"c gives to d: past the cap", m[2], m[3].ID, raftdata.CodeConflict, "carries 2 proxies"},
		{"a gives to d again: not counted twice against the cap", m[0], m[3].ID, "", ""},
		{"c gives to e", m[2], m[4].ID, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := give(tc.from, tc.to)
			if raftdata.ErrorCode(err) != tc.code || !strings.Contains(raftdata.ErrorMessage(err), tc.contains) {
				t.Fatalf("err = %v, want %q %q", err, tc.code, tc.contains)
			}
		})
	}
	view, err := c.props.Proxies(ctx, m[3], p.ID)
	if err != nil || len(view.Held) != 2 || view.Cap != 2 || view.Given != nil {
		t.Fatalf("d's view: %+v %v", view, err)
	}
	aView, _ := c.props.Proxies(ctx, m[0], p.ID)
	if aView.Given == nil || aView.Given.To != m[3].ID || aView.Given.ToName != m[3].Name || aView.Given.Receipt == "" {
		t.Fatalf("a's view: %+v", aView.Given)
	}
	giverReceipt := aView.Given.Receipt

	if n := participationOf(t, c, p.ID); n != 0 {
		t.Fatalf("participation before any ballot: %d", n)
	}
	// d votes: d, a and b count.
	dr, err := c.props.Cast(ctx, m[3], p.ID, "yes")
	if err != nil || dr.Carries != 2 {
		t.Fatalf("d's ballot: %+v %v", dr, err)
	}
	if n := participationOf(t, c, p.ID); n != 3 || recount(t, c, p.ID) != 3 {
		t.Fatalf("participation after the holder's ballot: %d (recount %d)", n, recount(t, c, p.ID))
	}
	// b votes no directly: overrides the proxy; still 3 who count.
	if _, err := c.props.Vote(ctx, m[1], p.ID, "no"); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, p.ID); n != 3 {
		t.Fatalf("participation after a giver's own ballot: %d", n)
	}
	// c's holder e has not voted: c does not count yet; f votes.
	if _, err := c.props.Vote(ctx, m[5], p.ID, "no"); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, p.ID); n != 4 || recount(t, c, p.ID) != 4 {
		t.Fatalf("participation: %d", n)
	}
	// e gives their own vote to g after c gave theirs to e: not passed on.
	if err := give(m[4], m[6].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.Vote(ctx, m[6], p.ID, "abstain"); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, p.ID); n != 6 || recount(t, c, p.ID) != 6 {
		t.Fatalf("participation after g's ballot: %d (recount %d), want f, b, d+a, g+e", n, recount(t, c, p.ID))
	}
	// a takes their vote back: no longer counted.
	if err := give(m[0], ""); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, p.ID); n != 5 {
		t.Fatalf("participation after a takes back: %d", n)
	}
	if err := give(m[0], m[3].ID); err != nil {
		t.Fatal(err)
	}
	aView, _ = c.props.Proxies(ctx, m[0], p.ID)

	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := give(m[2], m[3].ID); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("a proxy after the close: %v", err)
	}
	got, _ := c.props.Get(ctx, p.ID)
	// yes: d, a (by d); no: b, f; abstain: g, e (by g). c's holder e did not vote.
	if tl := got.Tally; tl == nil || tl.Yes != 2 || tl.No != 2 || tl.Abstain != 2 || tl.Proxied != 2 || tl.Electorate != 7 {
		t.Fatalf("tally %+v", got.Tally)
	}
	list, err := c.props.Ballots(ctx, p.ID)
	if err != nil || len(list) != 6 {
		t.Fatalf("published list %+v %v", list, err)
	}
	var mine, carried int
	for _, b := range list {
		if b.ReceiptHash == ReceiptHash(aView.Given.Receipt) {
			mine++
			if !b.Proxy || b.Choice != "yes" || b.HolderReceiptHash != dr.ReceiptHash {
				t.Fatalf("a's proxied line %+v", b)
			}
		}
		if b.HolderReceiptHash == dr.ReceiptHash {
			carried++
		}
	}
	if mine != 1 || carried != 1 {
		t.Fatalf("a's line found %d times, d's receipt carries %d lines: %+v", mine, carried, list)
	}
	if giverReceipt != aView.Given.Receipt {
		t.Log("a's receipt changed with the new proxy, as its key did")
	}
}

// TestStandingProxy: a standing proxy applies to the votes open when it is
// given and to those that open later, where both are in the electorate;
// a proxy on one vote overrides it there; revoking it takes it off every
// open vote; the holder's standing proxies are capped.
func TestStandingProxy(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	m := c.contributors(5)
	first, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.SetStandingProxy(ctx, m[0], m[4].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.SetStandingProxy(ctx, m[1], m[4].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.SetStandingProxy(ctx, m[2], m[4].ID); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("a third standing proxy to one holder: %v", err)
	}
	if _, err := c.props.SetStandingProxy(ctx, m[2], m[2].ID); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("a standing proxy to oneself: %v", err)
	}
	st, err := c.props.Standing(ctx, m[4])
	if err != nil || len(st.Held) != 2 || st.Cap != 2 {
		t.Fatalf("holder's standing view: %+v %v", st, err)
	}
	// On the vote open when it was given.
	if v, _ := c.props.Proxies(ctx, m[0], first.ID); v.Given == nil || !v.Given.Standing || v.Given.To != m[4].ID {
		t.Fatalf("standing proxy on an open vote: %+v", v.Given)
	}
	// b keeps their vote on this one.
	if _, err := c.props.GiveProxy(ctx, m[1], first.ID, ""); err != nil {
		t.Fatal(err)
	}
	second, err := c.props.Create(ctx, c.researcher, knowledgeDraft())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.Vote(ctx, m[4], second.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, second.ID); n != 3 {
		t.Fatalf("a vote opened after two standing proxies: participation %d, want 3", n)
	}
	if _, err := c.props.Vote(ctx, m[4], first.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, first.ID); n != 2 {
		t.Fatalf("b kept their vote on the first: participation %d, want 2", n)
	}
	// Revoked: off every open vote, at once.
	if _, err := c.props.SetStandingProxy(ctx, m[0], ""); err != nil {
		t.Fatal(err)
	}
	if n := participationOf(t, c, second.ID); n != 2 || recount(t, c, second.ID) != 2 {
		t.Fatalf("after a revocation: participation %d", n)
	}
	// A secret vote takes no proxy, standing or not.
	am, err := c.props.Create(ctx, m[2], Draft{Title: "Shorter votes", Purpose: "Votes of a day.", Kind: governance.Amendment, Rules: ptr(c.rules()), VotingMinutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if am.ProxyCap != 0 || !am.Secret {
		t.Fatalf("an amendment: %+v", am)
	}
	if _, err := c.props.GiveProxy(ctx, m[0], am.ID, m[3].ID); raftdata.ErrorCode(err) != raftdata.CodeConflict || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("a proxy on a secret vote: %v", err)
	}
	if v, _ := c.props.Proxies(ctx, m[1], am.ID); v.Given != nil {
		t.Fatalf("a standing proxy reached a secret vote: %+v", v.Given)
	}
	// An erased holder's standing proxies go.
	if err := c.members.DeleteAccount(ctx, m[4], m[4].ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.props.Standing(ctx, m[1]); st.To != "" {
		t.Fatalf("a standing proxy to an erased member: %+v", st)
	}
}

// rules is the coop's rulebook in force.
func (c *coop) rules() governance.Rulebook {
	c.t.Helper()
	v, err := c.gov.Current(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return v.Rules
}

func ptr[T any](v T) *T { return &v }

// TestProxyPayloadsV1Golden: the payloads of proposal.proxy_set and
// proposal.standing_proxy_set as their first version wrote them, and
// proposal.created as its second (with ballots), read by this one.
func TestProxyPayloadsV1Golden(t *testing.T) {
	var p proxyPayload
	golden(t, "testdata/proxy_set_v1.json", &p)
	if p.Proposal == "" || p.Giver == "" || p.Holder == "" || len(p.ReceiptKey) < 16 {
		t.Fatalf("proxy %+v", p)
	}
	var s standingPayload
	golden(t, "testdata/standing_proxy_set_v1.json", &s)
	if s.Giver == "" || s.Holder == "" || len(s.ReceiptKey) < 16 {
		t.Fatalf("standing %+v", s)
	}
	var c createdPayload
	golden(t, "testdata/created_v2.json", &c)
	if c.Ballots == nil || len(c.Ballots.TokenKeys) != 1 || c.Draft.Kind != governance.Amendment {
		t.Fatalf("created v2 %+v", c)
	}
	if _, err := parsePrivateKey(c.Ballots.TokenKeys[""]); err != nil {
		t.Fatalf("token key: %v", err)
	}
}

// golden decodes a payload file strictly: a field renamed is a failure.
func golden(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
