package api

import (
	"bytes"
	"testing"
	"time"

	"coop/pooling"
	"coop/proposals"
)

func TestWriteResultsCSV(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	v := 12.5
	n := int64(9)
	set := &pooling.ConsentSet{Index: 42, Hash: "ab12"}
	header := func(keys string) string {
		return "run,at," + keys + "value,ci_low,ci_high,members_noisy,suppressed,epsilon_spent,consent_set_index,consent_set_hash,deleted_at\n"
	}
	for _, tc := range []struct {
		name    string
		query   *pooling.Query
		results []proposals.Result
		want    string
	}{
		{"no run yet", &pooling.Query{Aggregate: "count", GroupBy: []string{"region"}}, nil, header("region,")},
		{"grouped, one group hidden", &pooling.Query{Aggregate: "mean", Field: "kwh", GroupBy: []string{"region"}},
			[]proposals.Result{{Run: "r1", At: at, EpsilonSpent: 0.5, ConsentSet: set, Groups: []pooling.Group{
				{Key: map[string]string{"region": "north"}, Value: &v, CI: &[2]float64{2.5, 22}, MembersNoisy: &n},
				{Key: map[string]string{"region": "south"}, Suppressed: true}}}},
			header("region,") +
				"r1,2026-03-01T09:00:00Z,north,12.5,2.5,22,9,false,0.5,42,ab12,\n" +
				"r1,2026-03-01T09:00:00Z,south,,,,,true,0.5,42,ab12,\n"},
		{"a histogram's bin after the groupings", &pooling.Query{Aggregate: "histogram", Field: "kwh", GroupBy: []string{"region"}},
			[]proposals.Result{{Run: "r2", At: at, EpsilonSpent: 1, Groups: []pooling.Group{
				{Key: map[string]string{"region": "north", "bin": "0-10"}, Value: &v}}}},
			header("region,bin,") +
				"r2,2026-03-01T09:00:00Z,north,0-10,12.5,,,,false,1,,,\n"},
		{"a reuse result deleted past its retention", &pooling.Query{Aggregate: "count"},
			[]proposals.Result{{Run: "r3", At: at, EpsilonSpent: 1, ConsentSet: set, Groups: []pooling.Group{}, DeletedAt: &at}},
			header("") + "r3,2026-03-01T09:00:00Z,,,,,,1,42,ab12,2026-03-01T09:00:00Z\n"},
	} {
		var buf bytes.Buffer
		if err := writeResultsCSV(&buf, proposals.Proposal{Query: tc.query}, tc.results); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if buf.String() != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, buf.String(), tc.want)
		}
	}
}
