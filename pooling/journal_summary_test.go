package pooling

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Operators read the access journal as events, newest first, bounded,
// never with a member key; an export carries no count, a query run only
// its noisy count, and only at or above its minimum cohort.
func TestAccessSummaryCountsWithoutNames(t *testing.T) {
	svc, n := startPooling(t)
	seedMembers(t, svc, 3)
	ctx := context.Background()
	if got, err := svc.AccessSummary(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("before any use: %+v %v", got, err)
	}
	for _, who := range []string{"m00", "m01", "m02"} {
		if _, err := svc.Export(ctx, who); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.AccessSummary(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("summary: %+v %v", got, err)
	}
	if got[0].At.Before(got[1].At) || got[0].Action != "export" || got[0].MembersNoisy != nil || got[0].FewerThan != 0 {
		t.Fatalf("summary: %+v", got)
	}
	for _, run := range []RunAccess{
		{At: time.Now(), Pool: "energy", Purpose: "small", Proposal: "p1", Epsilon: 1, MembersNoisy: 3, MinCohort: 5},
		{At: time.Now().Add(time.Second), Pool: "energy", Purpose: "large", Proposal: "p2", Epsilon: 1, MembersNoisy: 40, MinCohort: 5},
	} {
		if _, err := n.Apply(ctx, "test.journal_run", run); err != nil {
			t.Fatal(err)
		}
	}
	got, err = svc.AccessSummary(ctx, 2)
	if err != nil || len(got) != 2 || got[0].MembersNoisy == nil || *got[0].MembersNoisy != 40 || got[1].MembersNoisy != nil || got[1].FewerThan != 5 {
		t.Fatalf("runs in the summary: %+v %v", got, err)
	}
	raw, _ := json.Marshal(got)
	if key, _ := svc.memberKey(ctx, "m02"); key == "" || strings.Contains(string(raw), key) || strings.Contains(string(raw), "m02") {
		t.Fatalf("the summary names a member: %s", raw)
	}
}
