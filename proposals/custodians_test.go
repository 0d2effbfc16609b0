package proposals

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// custodianRules is an explicit rulebook for these tests: every kind votes
// for 60 minutes at least, closes at its deadline, and a custodians
// election needs more than two thirds of yes+no.
func custodianRules() governance.Rulebook {
	rule := governance.VotingRule{MinMinutes: 60, MaxMinutes: 43200, QuorumPercent: 25, ApprovalPercent: 50, EarlyClose: governance.CloseAtDeadline}
	strict := rule
	strict.ApprovalPercent = 66
	return governance.Rulebook{
		Voting: map[governance.Kind]governance.VotingRule{governance.Knowledge: rule, governance.Reuse: rule,
			governance.Amendment: strict, governance.Custodians: strict},
		Disclosure: governance.Disclosure{MinCohortFloor: 5, MaxEpsilonPerProposal: 2, MaxEpsilonPerPoolYear: 10},
		Retention:  governance.Retention{IdentityMonthsAfterDeletion: 3, CharterMonthsAfterDeletion: 12, ConnectionLogMonths: 12},
		Membership: governance.Membership{Admission: governance.AdmitOpen, SponsorsRequired: 2},
	}
}

func custodiansDraft(k int, accounts ...members.Account) Draft {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	return Draft{Title: "Custodians of our backups", Purpose: "Any two of these three members open a backup together.",
		Kind: governance.Custodians, Custodians: &governance.CustodianSet{Threshold: k, Accounts: ids}, VotingMinutes: 60}
}

// elect runs a custodians election that every voter approves, and closes it.
func elect(t *testing.T, c *coop, proposer members.Account, voters []members.Account, d Draft) Proposal {
	t.Helper()
	ctx := context.Background()
	p, err := c.props.Create(ctx, proposer, d)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	for _, v := range voters {
		if v.ID == proposer.ID {
			continue
		}
		c.vote(v, p, "yes")
	}
	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.props.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func newPublicKey(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// TestCustodiansElection: a passed custodians proposal adopts its set in
// the transaction of the close; only its custodians register keys, each
// their own; backups are sealed to a set once every custodian registered,
// and a newer set takes over only once it is complete too (re-elected
// custodians keep their key).
func TestCustodiansElection(t *testing.T) {
	c := startCoopWith(t, custodianRules())
	ctx := context.Background()
	m := c.contributors(5)

	p := elect(t, c, m[0], m, custodiansDraft(2, m[1], m[2], m[3]))
	if p.Status != StatusPassed || p.Custodians == nil || p.Custodians.Threshold != 2 {
		t.Fatalf("election: %s %q %+v", p.Status, p.Reason, p.Custodians)
	}
	st, err := c.gov.Custodians(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Newest == nil || st.Newest.Version != 1 || st.Newest.ProposalID != p.ID || len(st.Newest.Custodians) != 3 || st.Sealing != nil {
		t.Fatalf("after the election: %+v", st)
	}

	keys := map[string]string{}
	for _, a := range m[1:4] {
		keys[a.ID] = newPublicKey(t)
	}
	refusals := []struct {
		name    string
		account string
		key     string
		code    raftdata.Code
	}{
		{"not a custodian", m[4].ID, newPublicKey(t), raftdata.CodeForbidden},
		{"not a key", m[1].ID, "age1notakey", raftdata.CodeInvalid},
		{"a secret key", m[1].ID, "AGE-SECRET-KEY-1QQQQ", raftdata.CodeInvalid},
		{"empty", m[1].ID, " ", raftdata.CodeInvalid},
	}
	for _, tc := range refusals {
		if err := c.gov.RegisterCustodianKey(ctx, tc.account, tc.key); raftdata.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	for i, a := range m[1:4] {
		if err := c.gov.RegisterCustodianKey(ctx, a.ID, "  "+keys[a.ID]+"\n"); err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
		st, _ = c.gov.Custodians(ctx)
		if complete := i == 2; (st.Sealing != nil) != complete || st.Newest.Registered() != i+1 {
			t.Fatalf("after %d keys: sealing %v, registered %d", i+1, st.Sealing, st.Newest.Registered())
		}
	}
	if err := c.gov.RegisterCustodianKey(ctx, m[2].ID, keys[m[1].ID]); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("another custodian's key: %v", err)
	}
	if got := st.Sealing.Recipients(); len(got) != 3 || got[0] != keys[m[1].ID] || got[2] != keys[m[3].ID] {
		t.Fatalf("sealing recipients %v", got)
	}

	// A new set: m[1] again (keeps the key), m[4] and m[0], all three needed.
	p2 := elect(t, c, m[2], m, custodiansDraft(3, m[1], m[4], m[0]))
	if p2.Status != StatusPassed {
		t.Fatalf("second election: %s %q", p2.Status, p2.Reason)
	}
	st, _ = c.gov.Custodians(ctx)
	if st.Newest.Version != 2 || st.Newest.Registered() != 1 || st.Newest.Custodians[0].PublicKey != keys[m[1].ID] {
		t.Fatalf("second set: %+v", st.Newest)
	}
	if st.Sealing == nil || st.Sealing.Version != 1 {
		t.Fatalf("while the new set waits for keys, backups stay with the first: %+v", st.Sealing)
	}
	if err := c.gov.RegisterCustodianKey(ctx, m[2].ID, newPublicKey(t)); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a custodian of the old set only: %v", err)
	}
	for _, a := range []members.Account{m[4], m[0]} {
		if err := c.gov.RegisterCustodianKey(ctx, a.ID, newPublicKey(t)); err != nil {
			t.Fatal(err)
		}
	}
	st, _ = c.gov.Custodians(ctx)
	if st.Sealing == nil || st.Sealing.Version != 2 || st.Sealing.Threshold != 3 {
		t.Fatalf("complete second set: %+v", st.Sealing)
	}
}

// TestCustodiansProposalRefusals: who may propose, whom a set may name,
// and what a custodians proposal may carry.
func TestCustodiansProposalRefusals(t *testing.T) {
	c := startCoopWith(t, custodianRules())
	ctx := context.Background()
	m := c.contributors(3)
	many := make([]members.Account, governance.MaxCustodians+1)
	for i := range many {
		many[i] = m[i%3]
		many[i].ID = raftdata.NewID()
	}
	withPool := custodiansDraft(2, m[1], m[2])
	withPool.Pool = "energy"
	short := custodiansDraft(2, m[1], m[2])
	short.VotingMinutes = 5
	cases := []struct {
		name   string
		by     members.Account
		draft  Draft
		code   raftdata.Code
		reason string
	}{
		{"an account that is not a member", c.operator, custodiansDraft(2, m[1], m[2]), raftdata.CodeForbidden, "proposed by members"},
		{"an operator named", m[0], custodiansDraft(2, m[1], c.operator), raftdata.CodeInvalid, "operator cannot be a custodian"},
		{"an unknown account", m[0], custodiansDraft(2, m[1], members.Account{ID: "nobody"}), raftdata.CodeInvalid, "no such account"},
		{"threshold 1", m[0], custodiansDraft(1, m[1], m[2]), raftdata.CodeInvalid, "threshold"},
		{"threshold above n", m[0], custodiansDraft(3, m[1], m[2]), raftdata.CodeInvalid, "threshold"},
		{"one custodian", m[0], custodiansDraft(2, m[1]), raftdata.CodeInvalid, "names 2 to 15"},
		{"too many", m[0], custodiansDraft(2, many...), raftdata.CodeInvalid, "names 2 to 15"},
		{"named twice", m[0], custodiansDraft(2, m[1], m[1]), raftdata.CodeInvalid, "named twice"},
		{"with a pool", m[0], withPool, raftdata.CodeInvalid, "unlocks no query"},
		{"shorter than the rule", m[0], short, raftdata.CodeInvalid, "voting_minutes must be within 60"},
		{"no set", m[0], Draft{Title: "t", Purpose: "p", Kind: governance.Custodians, VotingMinutes: 60}, raftdata.CodeInvalid, "names the custodians"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.props.Create(ctx, tc.by, tc.draft)
			if raftdata.ErrorCode(err) != tc.code || !strings.Contains(raftdata.ErrorMessage(err), tc.reason) {
				t.Fatalf("err = %v, want %s mentioning %q", err, tc.code, tc.reason)
			}
		})
	}
	k := knowledgeDraft()
	k.Custodians = &governance.CustodianSet{Threshold: 2, Accounts: []string{m[1].ID, m[2].ID}}
	if _, err := c.props.Create(ctx, c.researcher, k); !strings.Contains(raftdata.ErrorMessage(err), "only a custodians proposal names custodians") {
		t.Fatalf("knowledge proposal naming custodians: %v", err)
	}

	// An election uses no data: no objection, no query.
	p, err := c.props.Create(ctx, m[0], custodiansDraft(2, m[1], m[2]))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.props.Object(ctx, m[1], p.ID, true); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("objection: %v", err)
	}
	// A custodian suspended during the vote: approved, but the set cannot
	// take office, and no set is adopted.
	for _, v := range m[1:] {
		c.vote(v, p, "yes")
	}
	if err := c.members.Suspend(ctx, c.operator, m[2].ID); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := c.props.Get(ctx, p.ID)
	if got.Status != StatusRejected || !strings.Contains(got.Reason, "cannot take office") || !strings.Contains(got.Reason, "suspended") {
		t.Fatalf("close with a suspended custodian: %s %q", got.Status, got.Reason)
	}
	if st, _ := c.gov.Custodians(ctx); st.Newest != nil {
		t.Fatalf("a set was adopted: %+v", st.Newest)
	}
	if _, err := c.props.RunQuery(ctx, c.researcher, p.ID, nil); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("query on an election: %v", err)
	}
}

// testdata/created_custodians_v1.json is the payload of proposal.created
// for a custodians election as the first version wrote it to the log:
// every later version must still read it.
func TestCreatedCustodiansPayloadV1Golden(t *testing.T) {
	data, err := os.ReadFile("testdata/created_custodians_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var p createdPayload
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	d := p.Draft
	if d.Kind != governance.Custodians || d.Custodians == nil || d.Custodians.Threshold != 2 || len(d.Custodians.Accounts) != 3 || d.VotingMinutes != 10080 {
		t.Fatalf("draft %+v", d)
	}
}
