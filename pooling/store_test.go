package pooling

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

func startPooling(t *testing.T) (*Service, *raftdatatest.Node) {
	t.Helper()
	n := raftdatatest.Start(t, testRegister)
	svc := New(n.Store)
	if _, err := svc.CreatePool(context.Background(), energyPool()); err != nil {
		t.Fatal(err)
	}
	return svc, n
}

// testRegister adds to pooling's commands one that fixes a consent set,
// as a proposal's debit does.
func testRegister(reg *raftdata.Registry) {
	Register(reg)
	reg.Handle("test.fix_consent_set", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var r SetRequest
		if err := cmd.Decode(&r); err != nil {
			return nil, err
		}
		return FixConsentSetIn(tx, r)
	})
	reg.Handle("test.journal_run", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var r RunAccess
		if err := cmd.Decode(&r); err != nil {
			return nil, err
		}
		return nil, JournalRunIn(tx, r, nil)
	})
}

// fixSet fixes a consent set of the energy pool's consenting members,
// except the objectors (account ids), and returns its run id.
func fixSet(t testing.TB, n *raftdatatest.Node, objectors ...string) string {
	t.Helper()
	run := raftdata.NewID()[:16]
	if _, err := n.Apply(context.Background(), "test.fix_consent_set", SetRequest{Run: run, Pool: "energy", Proposal: "p", Objectors: objectors, Epsilon: 1, CapPerYear: 1e6}); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestPoolCreationRefusesDuplicatesAndBadDefinitions(t *testing.T) {
	svc, _ := startPooling(t)
	ctx := context.Background()
	if _, err := svc.CreatePool(ctx, energyPool()); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("duplicate pool: %v", err)
	}
	bad := energyPool()
	bad.ID = "x"
	if _, err := svc.CreatePool(ctx, bad); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("bad pool: %v", err)
	}
	pools, err := svc.Pools(ctx)
	if err != nil || len(pools) != 1 || pools[0].ID != "energy" {
		t.Fatalf("pools %v %v", pools, err)
	}
	if _, err := svc.Pool(ctx, "nope"); raftdata.ErrorCode(err) != raftdata.CodeNotFound {
		t.Fatalf("unknown pool: %v", err)
	}
}

func TestContributionNeedsConsentAndIsAllOrNothing(t *testing.T) {
	svc, _ := startPooling(t)
	ctx := context.Background()
	good := []map[string]any{{"kwh": 100.0, "heating": "gas", "month": "2026-01"}, {"kwh": 90.0, "heating": "gas", "month": "2026-02"}}

	if _, err := svc.Contribute(ctx, "ann", "energy", good, ""); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("without consent: %v", err)
	}
	if _, err := svc.SetConsent(ctx, "ann", "energy", true); err != nil {
		t.Fatal(err)
	}
	bad := append(append([]map[string]any{}, good...), map[string]any{"kwh": -1.0, "heating": "gas", "month": "2026-03"})
	_, err := svc.Contribute(ctx, "ann", "energy", bad, "")
	var be *BatchError
	if !errors.As(err, &be) || len(be.Rows) != 1 || be.Rows[0].Row != 3 || raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("bad batch: %v", err)
	}
	if recs, _ := svc.Records(ctx, "ann", ""); len(recs) != 0 {
		t.Fatalf("a refused batch left %d records", len(recs))
	}
	c, err := svc.Contribute(ctx, "ann", "energy", good, "upload-1")
	if err != nil || c.Accepted != 2 || c.Replayed {
		t.Fatalf("contribute: %+v %v", c, err)
	}
	again, err := svc.Contribute(ctx, "ann", "energy", good, "upload-1")
	if err != nil || !again.Replayed {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if recs, _ := svc.Records(ctx, "ann", "energy"); len(recs) != 2 {
		t.Fatalf("after a retried upload: %d records, want 2", len(recs))
	}
	if _, err := svc.SetConsent(ctx, "ann", "energy", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Contribute(ctx, "ann", "energy", good, ""); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("after withdrawal: %v", err)
	}
	current, history, err := svc.Consents(ctx, "ann")
	if err != nil || len(current) != 1 || current[0].Granted || len(history) != 2 || !history[1].Granted {
		t.Fatalf("consents %+v history %+v err %v", current, history, err)
	}
}

func TestMemberRightsRectifyDeleteExport(t *testing.T) {
	svc, n := startPooling(t)
	ctx := context.Background()
	for _, who := range []string{"ann", "bob"} {
		if _, err := svc.SetConsent(ctx, who, "energy", true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Contribute(ctx, who, "energy", []map[string]any{{"kwh": 10.0, "heating": "wood", "month": "2026-01"}, {"kwh": 20.0, "heating": "wood", "month": "2026-02"}}, ""); err != nil {
			t.Fatal(err)
		}
	}
	anns, _ := svc.Records(ctx, "ann", "")
	bobs, _ := svc.Records(ctx, "bob", "")
	if err := svc.Rectify(ctx, "ann", anns[0].ID, map[string]any{"kwh": 11.0, "heating": "wood", "month": "2026-01"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Rectify(ctx, "ann", anns[0].ID, map[string]any{"kwh": 11.0}); raftdata.ErrorCode(err) != raftdata.CodeInvalid {
		t.Fatalf("incomplete rectification: %v", err)
	}
	if err := svc.Rectify(ctx, "ann", bobs[0].ID, map[string]any{"kwh": 1.0, "heating": "wood", "month": "2026-01"}); raftdata.ErrorCode(err) != raftdata.CodeNotFound {
		t.Fatalf("rectifying another member's record: %v", err)
	}
	if err := svc.DeleteRecord(ctx, "ann", bobs[1].ID); raftdata.ErrorCode(err) != raftdata.CodeNotFound {
		t.Fatalf("deleting another member's record: %v", err)
	}
	if err := svc.DeleteRecord(ctx, "ann", anns[1].ID); err != nil {
		t.Fatal(err)
	}
	exp, err := svc.Export(ctx, "ann")
	if err != nil || len(exp.Records) != 1 || exp.Records[0].Values["kwh"] != 11.0 || len(exp.Consents) != 1 ||
		len(exp.Journal) != 1 || exp.Journal[0].Action != "export" {
		t.Fatalf("export %+v %v", exp, err)
	}
	// The privacy ledger is in the export: the runs whose consent set she
	// was in, with her key to check her tokens.
	run := fixSet(t, n)
	exp, err = svc.Export(ctx, "ann")
	if l := exp.PrivacyLedger; err != nil || len(l.Lines) != 1 || l.Lines[0].Run != run || l.Lines[0].Token != ConsentSetToken(l.MemberKey, run) {
		t.Fatalf("privacy ledger in the export: %+v %v", exp.PrivacyLedger, err)
	}
	var buf bytes.Buffer
	if err := svc.WriteCSV(ctx, &buf, "ann", "energy"); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "kwh,heating,month\n11,wood,2026-01\n" {
		t.Fatalf("CSV export:\n%s", got)
	}
	if bobs2, _ := svc.Records(ctx, "bob", ""); len(bobs2) != 2 {
		t.Fatalf("bob's records changed: %d", len(bobs2))
	}
}

func TestCluster3_ErasureLeavesNoByteOnAnyNode(t *testing.T) {
	nodes := raftdatatest.Cluster(t, 3, Register)
	ctx := context.Background()
	svc := New(nodes[1].Store) // through a follower
	p := energyPool()
	marker := "marker-" + raftdata.NewID()[:12]
	p.Fields[1].Values = append([]string{marker}, p.Fields[1].Values...)
	if _, err := svc.CreatePool(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The marker is also a category value in the pool definition, which
	// stays: search for a marker only the member's rows carry instead.
	rowMarker := 1234.5678
	if _, err := svc.SetConsent(ctx, "ann", "energy", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Contribute(ctx, "ann", "energy", []map[string]any{{"kwh": rowMarker, "heating": "gas", "month": "2026-01"}}, "ann-secret-upload"); err != nil {
		t.Fatal(err)
	}
	raftdatatest.WaitConverged(t, nodes)
	needle := "ann-secret-upload"
	if len(raftdatatest.FilesHolding(t, nodes, needle)) == 0 {
		t.Fatal("the marker is nowhere before erasure: the scan cannot see it")
	}
	// The member key keys every row of hers, typed values and their
	// indexes included (the row value there is a binary REAL, which a text
	// scan would not see): it must go with them.
	key, err := svc.memberKey(ctx, "ann")
	if err != nil || key == "" {
		t.Fatalf("ann has no member key (%v)", err)
	}
	var typed int
	if err := nodes[1].DB().QueryRow(`SELECT COUNT(*) FROM pooling_records_energy WHERE member_key = ?`, key).Scan(&typed); err != nil || typed != 1 {
		t.Fatalf("ann has %d rows in the pool's table (%v), want 1", typed, err)
	}
	if err := svc.Erase(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	raftdatatest.WaitFor(t, 60e9, func() error {
		if found := raftdatatest.FilesHolding(t, nodes, needle); len(found) > 0 {
			return errors.New("still in " + strings.Join(found, ", "))
		}
		if found := raftdatatest.FilesHolding(t, nodes, key); len(found) > 0 {
			return errors.New("member key still in " + strings.Join(found, ", "))
		}
		if found := raftdatatest.FilesHolding(t, nodes, "1234.5678"); len(found) > 0 {
			return errors.New("row value still in " + strings.Join(found, ", "))
		}
		return nil
	})
	if recs, _ := svc.Records(ctx, "ann", ""); len(recs) != 0 {
		t.Fatal("records survived erasure")
	}
}
