package pooling

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits of a contribution, in rows and bytes per value.
const (
	MaxBatchRows  = 10000
	maxValueBytes = 1000
	// maxCSVErrors bounds the problems one file reports.
	maxCSVErrors = 100
)

// CSVFile is a CSV upload read and checked against a pool's schema.
type CSVFile struct {
	// Rows are the records in canonical form, ready for Contribute.
	Rows []map[string]any
	// Separator is the one the header used: ',' or ';'.
	Separator rune
	// DecimalComma tells that numbers were read with a decimal comma
	// (12,5), as a spreadsheet set to French writes them in ';' files.
	DecimalComma bool
}

// ParseCSV reads a CSV upload for pool p and checks every record against
// the schema: the whole file is accepted, or nothing and every problem.
//
// The header names the fields in any order, each by its id or by one of
// its labels in any language (the template a page offers uses the page's
// language). The separator is ',' or ';', whichever the header uses more
// (a French spreadsheet exports ';'); in a ';' file a number may carry a
// decimal comma (12,5 is 12.5). A category value may be written as its
// label. A UTF-8 byte order mark and CRLF line ends are accepted. Errors
// carry the line of the file (the header is line 1) and the record's
// number (Row, 1 for the first record).
func ParseCSV(p Pool, r io.Reader) (CSVFile, []RowError) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	out := CSVFile{Separator: detectSeparator(br)}
	out.DecimalComma = out.Separator == ';'
	cr := csv.NewReader(br)
	cr.Comma = out.Separator
	cr.FieldsPerRecord = 0 // the header fixes the count
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return CSVFile{}, []RowError{lineError(0, 1, rowError("", ErrEmptyFile, nil, "the file is empty: a header row naming the fields is needed"))}
	}
	if err != nil {
		return CSVFile{}, []RowError{lineError(0, 1, csvError(err, "header: "))}
	}
	fields, errs := p.readHeader(header)
	if len(errs) > 0 {
		return CSVFile{}, errs
	}
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos is only defined for a record read without error.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, lineError(n, line, csvError(err, "")))
			if len(errs) > maxCSVErrors {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if n > MaxBatchRows {
			return CSVFile{}, []RowError{lineError(n, line, rowError("", ErrTooManyRows, map[string]string{"max": strconv.Itoa(MaxBatchRows)},
				"at most %d rows per upload", MaxBatchRows))}
		}
		row, rowErrs := p.readRecord(fields, rec, out.DecimalComma)
		for _, e := range rowErrs {
			errs = append(errs, lineError(n, line, e))
		}
		if len(errs) > maxCSVErrors {
			break
		}
		out.Rows = append(out.Rows, row)
	}
	if len(errs) > 0 {
		return CSVFile{}, errs
	}
	if len(out.Rows) == 0 {
		return CSVFile{}, []RowError{lineError(0, 2, rowError("", ErrNoRows, nil, "no records after the header"))}
	}
	return out, nil
}

// readHeader maps each column to its field, refusing unknown, repeated
// and missing ones.
func (p Pool) readHeader(header []string) ([]Field, []RowError) {
	var errs []RowError
	fields := make([]Field, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		f, ok := p.column(h)
		switch {
		case !ok:
			errs = append(errs, lineError(0, 1, rowError(truncate(h), ErrUnknownColumn, map[string]string{"column": truncate(h)}, "unknown column %q", truncate(h))))
		case seen[f.Name]:
			errs = append(errs, lineError(0, 1, rowError(f.Name, ErrDuplicateColumn, map[string]string{"column": truncate(h)}, "column appears twice")))
		}
		fields[i] = f
		seen[f.Name] = true
	}
	for _, f := range p.Fields {
		if !seen[f.Name] {
			errs = append(errs, lineError(0, 1, rowError(f.Name, ErrMissingColumn, nil, "column missing")))
		}
	}
	return fields, errs
}

// readRecord reads one line's values into a canonical record.
func (p Pool) readRecord(fields []Field, rec []string, decimalComma bool) (map[string]any, []RowError) {
	var errs []RowError
	row := map[string]any{}
	for i, v := range rec {
		f := fields[i]
		if len(v) > maxValueBytes {
			errs = append(errs, rowError(f.Name, ErrValueTooLong, map[string]string{"max": strconv.Itoa(maxValueBytes)},
				"value longer than %d bytes", maxValueBytes))
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			continue // reported as missing by validation
		case f.Type == TypeNumber && decimalComma:
			v = strings.Replace(v, ",", ".", 1)
		case f.Type == TypeCategory:
			if id, ok := f.categoryValue(v); ok {
				v = id
			}
		}
		row[f.Name] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out, rowErrs := p.ValidateRecord(row)
	return out, rowErrs
}

// detectSeparator peeks at the header line: ';' when it holds more
// semicolons than commas outside quotes, else ','.
func detectSeparator(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	commas, semis, quoted := 0, 0, false
	for _, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// lineError places e at record n (0: the header) on line of the file.
func lineError(n, line int, e RowError) RowError {
	e.Row, e.Line = n, line
	return e
}

// csvError is a CSV syntax error as a RowError.
func csvError(err error, prefix string) RowError {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return rowError("", ErrCSVSyntax, map[string]string{"detail": err.Error()}, "%s%v", prefix, err)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return rowError("", ErrCSVFieldCount, nil, "%swrong number of fields", prefix)
	case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
		return rowError("", ErrCSVQuote, nil, "%s%v", prefix, pe.Err)
	}
	return rowError("", ErrCSVSyntax, map[string]string{"detail": pe.Err.Error()}, "%s%v", prefix, pe.Err)
}

// Template is the CSV a member fills in for pool p: the header in lang
// (each field's label, or its id without one) and one example line, with
// sep between values (';' writes numbers with a decimal comma).
func Template(p Pool, lang string, sep rune) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = sep
	header := make([]string, len(p.Fields))
	example := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		header[i] = CSVText(f.Label(lang))
		example[i] = f.example(lang, sep == ';')
	}
	w.Write(header)
	w.Write(example)
	w.Flush()
	return buf.Bytes()
}

// example is a valid value of the field, as a person would write it.
func (f Field) example(lang string, decimalComma bool) string {
	switch f.Type {
	case TypeNumber:
		s := num(*f.Min + (*f.Max-*f.Min)/4)
		if decimalComma {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	case TypeCategory:
		return CSVText(f.ValueLabel(lang, f.Values[0]))
	case TypeMonth:
		return "2026-01"
	}
	return ""
}

// String is the error's sentence, for logs and tests.
func (e RowError) String() string {
	where := fmt.Sprintf("row %d", e.Row)
	if e.Line > 0 {
		where = fmt.Sprintf("line %d", e.Line)
	}
	if e.Field != "" {
		where += ", " + e.Field
	}
	return where + ": " + e.Reason
}
