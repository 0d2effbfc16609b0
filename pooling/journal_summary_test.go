package pooling

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Operators read the access journal as events with a member count, newest
// first, bounded, and never a member key.
func TestAccessSummaryCountsWithoutNames(t *testing.T) {
	svc, _ := startPooling(t)
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
	if got[0].At.Before(got[1].At) || got[0].Action != "export" || got[0].Members != 1 {
		t.Fatalf("summary: %+v", got)
	}
	raw, _ := json.Marshal(got)
	if key, _ := svc.memberKey(ctx, "m02"); key == "" || strings.Contains(string(raw), key) || strings.Contains(string(raw), "m02") {
		t.Fatalf("the summary names a member: %s", raw)
	}
}
