package api

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
	"coop/proposals"
	"coop/ui/server"
)

// resultsCSV answers GET /api/v1/proposals/{id}/results.csv: the released
// runs the caller may read, one line per group, for a spreadsheet. A
// suppressed group has no value and says so.
func (s *api) resultsCSV(c *fiber.Ctx) error {
	a, _ := server.Actor(c) // published to anyone, as GET .../results
	ctx := c.UserContext()
	prop, err := s.Deps.Proposals.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	results, err := s.Deps.Proposals.Results(ctx, a, prop.ID)
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
// histogram's bin), value, ci_low, ci_high (its 95 % interval),
// members_noisy (a sum's or a mean's noisy count), suppressed,
// epsilon_spent, consent_set_index, consent_set_hash. A reuse result
// deleted past its retention is one line with deleted_at and no group. Keys are
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
	keys := server.GroupDims(q, all)
	w := csv.NewWriter(buf)
	header := []string{"run", "at"}
	for _, k := range keys {
		header = append(header, pooling.CSVText(k))
	}
	header = append(header, "value", "ci_low", "ci_high", "members_noisy", "suppressed",
		"epsilon_spent", "consent_set_index", "consent_set_hash", "deleted_at")
	if err := w.Write(header); err != nil {
		return err
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, r := range results {
		tail := []string{num(r.EpsilonSpent), "", "", ""}
		if r.ConsentSet != nil {
			tail[1], tail[2] = strconv.FormatUint(r.ConsentSet.Index, 10), r.ConsentSet.Hash
		}
		if r.DeletedAt != nil {
			tail[3] = r.DeletedAt.UTC().Format(time.RFC3339)
			line := append(append([]string{pooling.CSVText(r.Run), r.At.UTC().Format(time.RFC3339)}, make([]string, len(keys)+5)...), tail...)
			if err := w.Write(line); err != nil {
				return err
			}
		}
		for _, g := range r.Groups {
			line := []string{pooling.CSVText(r.Run), r.At.UTC().Format(time.RFC3339)}
			for _, k := range keys {
				line = append(line, pooling.CSVText(g.Key[k])) // a category or a bin: text
			}
			value, lo, hi, members := server.CSVValue(g), "", "", ""
			if g.CI != nil {
				lo, hi = num(g.CI[0]), num(g.CI[1])
			}
			if g.MembersNoisy != nil {
				members = strconv.FormatInt(*g.MembersNoisy, 10)
			}
			line = append(line, value, lo, hi, members, strconv.FormatBool(g.Suppressed))
			if err := w.Write(append(line, tail...)); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}
