package pooling

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of a contribution, in rows and bytes per value.
const (
	MaxBatchRows  = 10000
	maxValueBytes = 1000
)

// ParseCSV reads a CSV upload for pool p: a header row naming the fields
// (in any order), then one record per row. A UTF-8 byte order mark and CRLF
// line ends are accepted. Values stay text; ValidateBatch converts them.
// Errors name the row (1 is the first record after the header).
func ParseCSV(p Pool, r io.Reader) ([]map[string]any, []RowError) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = false
	cr.FieldsPerRecord = 0 // the header fixes the count
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []RowError{{Row: 0, Reason: "the file is empty: a header row naming the fields is needed"}}
	}
	if err != nil {
		return nil, []RowError{{Row: 0, Reason: "header: " + csvReason(err)}}
	}
	var errs []RowError
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if _, ok := p.Field(h); !ok {
			errs = append(errs, RowError{Row: 0, Field: h, Reason: "unknown column"})
		}
		if seen[h] {
			errs = append(errs, RowError{Row: 0, Field: h, Reason: "column appears twice"})
		}
		seen[h] = true
	}
	for _, f := range p.Fields {
		if !seen[f.Name] {
			errs = append(errs, RowError{Row: 0, Field: f.Name, Reason: "column missing"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []map[string]any
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, RowError{Row: n, Reason: csvReason(err)})
			if len(errs) > 100 {
				break
			}
			continue
		}
		if n > MaxBatchRows {
			return nil, []RowError{{Row: n, Reason: fmt.Sprintf("at most %d rows per upload", MaxBatchRows)}}
		}
		row := map[string]any{}
		for i, v := range rec {
			if len(v) > maxValueBytes {
				errs = append(errs, RowError{Row: n, Field: header[i], Reason: fmt.Sprintf("value longer than %d bytes", maxValueBytes)})
				continue
			}
			v = strings.TrimSpace(v)
			if v == "" {
				continue // reported as missing by validation
			}
			row[header[i]] = v
		}
		rows = append(rows, row)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(rows) == 0 {
		return nil, []RowError{{Row: 1, Reason: "no records after the header"}}
	}
	return rows, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
