package ui

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
	for _, tc := range []struct {
		name    string
		query   *pooling.Query
		results []proposals.Result
		want    string
	}{
		{"no run yet", &pooling.Query{Aggregate: "count", GroupBy: []string{"region"}}, nil,
			"run,at,region,value,suppressed,cohort,epsilon_spent\n"},
		{"grouped, one group hidden", &pooling.Query{Aggregate: "mean", Field: "kwh", GroupBy: []string{"region"}},
			[]proposals.Result{{Run: "r1", At: at, Cohort: 9, EpsilonSpent: 0.5, Groups: []pooling.Group{
				{Key: map[string]string{"region": "north"}, Value: &v},
				{Key: map[string]string{"region": "south"}, Suppressed: true}}}},
			"run,at,region,value,suppressed,cohort,epsilon_spent\n" +
				"r1,2026-03-01T09:00:00Z,north,12.5,false,9,0.5\n" +
				"r1,2026-03-01T09:00:00Z,south,,true,9,0.5\n"},
		{"a histogram's bin after the groupings", &pooling.Query{Aggregate: "histogram", Field: "kwh", GroupBy: []string{"region"}},
			[]proposals.Result{{Run: "r2", At: at, Cohort: 7, EpsilonSpent: 1, Groups: []pooling.Group{
				{Key: map[string]string{"region": "north", "bin": "0-10"}, Value: &v}}}},
			"run,at,region,bin,value,suppressed,cohort,epsilon_spent\n" +
				"r2,2026-03-01T09:00:00Z,north,0-10,12.5,false,7,1\n"},
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
