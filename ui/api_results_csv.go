package ui

import (
	"bytes"
	"encoding/csv"
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
	var q pooling.Query
	if prop.Query != nil {
		q = *prop.Query
	}
	var all []pooling.Group
	for _, r := range results {
		all = append(all, r.Groups...)
	}
	keys := groupDims(q, all)
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
			line = append(line, csvValue(g), strconv.FormatBool(g.Suppressed), strconv.Itoa(r.Cohort),
				strconv.FormatFloat(r.EpsilonSpent, 'f', -1, 64))
			if err := w.Write(line); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}

// csvValue is a group's figure for a CSV cell: empty when suppressed.
func csvValue(g pooling.Group) string {
	if g.Value == nil || g.Suppressed {
		return ""
	}
	return strconv.FormatFloat(*g.Value, 'f', -1, 64)
}

// writeGroupsCSV writes the groups of one answer: a column per key (the
// query's groupings first, then any other, such as a histogram's bin),
// value and suppressed.
func writeGroupsCSV(buf *bytes.Buffer, q pooling.Query, groups []pooling.Group) error {
	keys := groupDims(q, groups)
	w := csv.NewWriter(buf)
	var header []string
	for _, k := range keys {
		header = append(header, pooling.CSVText(k))
	}
	if err := w.Write(append(header, "value", "suppressed")); err != nil {
		return err
	}
	for _, g := range groups {
		var line []string
		for _, k := range keys {
			line = append(line, pooling.CSVText(g.Key[k])) // a category or a bin: text
		}
		if err := w.Write(append(line, csvValue(g), strconv.FormatBool(g.Suppressed))); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
