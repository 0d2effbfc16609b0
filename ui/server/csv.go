package server

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"

	"coop/pooling"
)

// CSVValue is a group's figure for a CSV cell: empty when suppressed.
func CSVValue(g pooling.Group) string {
	if g.Value == nil || g.Suppressed {
		return ""
	}
	return strconv.FormatFloat(*g.Value, 'f', -1, 64)
}

// WriteGroupsCSV writes the groups of one answer: a column per key (the
// query's groupings first, then any other, such as a histogram's bin),
// value and suppressed.
func WriteGroupsCSV(buf *bytes.Buffer, q pooling.Query, groups []pooling.Group) error {
	keys := GroupDims(q, groups)
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
		if err := w.Write(append(line, CSVValue(g), strconv.FormatBool(g.Suppressed))); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// GroupDims are the keys of the groups: the query's groupings in order,
// then any other (a histogram's bin) by name.
func GroupDims(q pooling.Query, groups []pooling.Group) []string {
	dims := append([]string(nil), q.GroupBy...)
	var rest []string
	for _, g := range groups {
		for k := range g.Key {
			if !slices.Contains(dims, k) && !slices.Contains(rest, k) {
				rest = append(rest, k)
			}
		}
	}
	slices.Sort(rest)
	return append(dims, rest...)
}
