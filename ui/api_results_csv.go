package ui

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
	"coop/proposals"
)

// resultsCSV answers GET /api/v1/proposals/{id}/results.csv: the released
// runs the caller may read, one line per group, for a spreadsheet. A
// suppressed group has no value and says so.
func (s *server) resultsCSV(c *fiber.Ctx) error {
	a, _ := actor(c) // published to anyone, as GET .../results
	ctx := c.UserContext()
	prop, err := s.deps.Proposals.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	results, err := s.deps.Proposals.Results(ctx, a, prop.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := writeResultsCSV(&buf, prop, results); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="results-`+prop.ID+`.csv"`)
	return c.Send(buf.Bytes())
}

// writeResultsCSV writes the columns run, at, one per key of the groups
// (the query's groupings first, in order, then any other, such as a
// histogram's bin), value, suppressed, cohort, epsilon_spent. Keys are
// text (pooling.CSVText); the figures are numbers coop writes.
func writeResultsCSV(buf *bytes.Buffer, prop proposals.Proposal, results []proposals.Result) error {
	var keys []string
	if prop.Query != nil {
		keys = append(keys, prop.Query.GroupBy...)
	}
	var extra []string
	for _, r := range results {
		for _, g := range r.Groups {
			for k := range g.Key {
				if !slices.Contains(keys, k) && !slices.Contains(extra, k) {
					extra = append(extra, k)
				}
			}
		}
	}
	slices.Sort(extra)
	keys = append(keys, extra...)
	w := csv.NewWriter(buf)
	header := []string{"run", "at"}
	for _, k := range keys {
		header = append(header, pooling.CSVText(k))
	}
	header = append(header, "value", "suppressed", "cohort", "epsilon_spent")
	if err := w.Write(header); err != nil {
		return err
	}
	for _, r := range results {
		for _, g := range r.Groups {
			line := []string{pooling.CSVText(r.Run), r.At.UTC().Format(time.RFC3339)}
			for _, k := range keys {
				line = append(line, pooling.CSVText(g.Key[k])) // a category or a bin: text
			}
			value := ""
			if g.Value != nil && !g.Suppressed {
				value = strconv.FormatFloat(*g.Value, 'f', -1, 64)
			}
			line = append(line, value, strconv.FormatBool(g.Suppressed), strconv.Itoa(r.Cohort),
				strconv.FormatFloat(r.EpsilonSpent, 'f', -1, 64))
			if err := w.Write(line); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}
