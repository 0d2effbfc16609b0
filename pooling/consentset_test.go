package pooling

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// A consent set holds the consenting members but the objectors, charges
// each, and leaves out whoever the run would take past their yearly cap;
// erasing a member takes their lines out of every set and journal.
func TestConsentSetsChargeObjectAndCap(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 3) // m00, m01, m02
	ctx := context.Background()
	fix := func(run string, eps, cap float64, objectors ...string) (string, ConsentSet) {
		t.Helper()
		raw, err := n.Apply(ctx, "test.fix_consent_set", SetRequest{Run: run, Pool: "energy", Proposal: "p", Objectors: objectors, Epsilon: eps, CapPerYear: cap})
		if err != nil {
			t.Fatal(err)
		}
		var set ConsentSet
		if err := json.Unmarshal(raw, &set); err != nil {
			t.Fatal(err)
		}
		return run, set
	}
	members := func(run string) map[string]bool {
		t.Helper()
		rows, err := n.DB().Query(`SELECT k.account_id, s.included FROM pooling_consent_sets s JOIN pooling_member_keys k ON k.member_key = s.member_key WHERE s.run = ?`, run)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]bool{}
		for rows.Next() {
			var who string
			var in bool
			rows.Scan(&who, &in)
			out[who] = in
		}
		return out
	}
	first, set := fix("first", 1, 1.5, "m02")
	if got := members(first); len(got) != 2 || !got["m00"] || !got["m01"] || set.Index == 0 || len(set.Hash) != 64 {
		t.Fatalf("first set %v %+v, want m00 and m01 in, m02 out (objects)", got, set)
	}
	second, _ := fix("second", 1, 1.5)
	if got := members(second); len(got) != 3 || got["m00"] || got["m01"] || !got["m02"] {
		t.Fatalf("second set %v: m00 and m01 are at 1 of 1.5, so left out; m02 in", got)
	}
	l, _ := svc.Ledger(ctx, "m00", time.Now())
	if len(l.Lines) != 2 || l.Lines[0].Included || l.Lines[0].LeftOut != LeftOutCapSpent || !l.Lines[1].Included || l.SpentThisYear != 1 {
		t.Fatalf("m00's ledger %+v", l)
	}
	if _, err := n.Apply(ctx, "test.journal_run", RunAccess{Pool: "energy", Purpose: "x", Proposal: "p", Epsilon: 1, MembersNoisy: 9, MinCohort: 5}); err != nil {
		t.Fatal(err)
	}
	key, _ := svc.memberKey(ctx, "m00")
	if err := svc.Erase(ctx, "m00"); err != nil {
		t.Fatal(err)
	}
	var left int
	n.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM pooling_consent_sets WHERE member_key = ?) + (SELECT COUNT(*) FROM pooling_access_journal WHERE member_key = ?)`, key, key).Scan(&left)
	if left != 0 {
		t.Fatalf("%d lines of the erased member remain", left)
	}
}
