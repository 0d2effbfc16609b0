// Package pooling holds the data side of the cooperative: pools (schema and
// documentation), consent, contributions, the member's rights over their
// records, and erasure.
package pooling

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"coop/raftdata"
)

// Field types of a pool's schema.
const (
	TypeNumber   = "number"
	TypeCategory = "category"
	TypeMonth    = "month"
)

// Field is one column of a pool. Numbers carry bounds (and optionally the
// number of histogram bins), categories their allowed values, months
// optionally the range they may take (From and To, YYYY-MM, both or
// neither): a public domain, so that the months of an answer come from
// the schema, not from the data.
type Field struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	Bins   int      `json:"bins,omitempty"`
	Values []string `json:"values,omitempty"`
	// Labels name the field per language; ValueLabels name a category's
	// values per language (value -> labels). Both optional.
	Labels      Labels            `json:"labels,omitempty"`
	ValueLabels map[string]Labels `json:"value_labels,omitempty"`
	// From and To bound a month field (YYYY-MM, optional): the public
	// domain of its group keys.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Documentation is what data holders owe reusers about a data set (CNIL
// recommendation on APIs, seed 004).
type Documentation struct {
	Provenance       string `json:"provenance"`
	CollectionMethod string `json:"collection_method"`
	UpdateFrequency  string `json:"update_frequency"`
	Format           string `json:"format"`
	Pseudonymisation string `json:"pseudonymisation"`
	// Sensitive marks special categories of data (GDPR art. 9: health...).
	Sensitive bool `json:"sensitive"`
}

// Pool is a documented data set members contribute to.
type Pool struct {
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	Labels        Labels        `json:"labels,omitempty"` // the title per language
	Fields        []Field       `json:"fields"`
	Documentation Documentation `json:"documentation"`
	CreatedAt     time.Time     `json:"created_at,omitempty"`
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
var fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Limits of a schema, so that a pool stays small enough to validate, query
// and display.
const (
	maxFields         = 32
	maxCategoryValues = 200
	maxBins           = 100
	defaultBins       = 10
	maxMonthSpan      = 240 // months in a declared range (20 years)
)

// Validate lists every problem of a pool definition in one refusal
// (raftdata.Problems): each with its reason, and the form field it is
// about ("id", "fields.2.max", "documentation.format"), field numbers
// counted from 0 there and from 1 in the parameter "n".
func (p Pool) Validate() error {
	var problems raftdata.Problems
	bad := func(reason, field, format string, args ...any) *raftdata.Error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...).On(field)
		problems.Add(e)
		return e
	}
	if !slugPattern.MatchString(p.ID) {
		bad("pool_id", "id", "id must be a slug of 2 to 63 lower-case letters, digits and dashes, got %q", p.ID)
	}
	if strings.TrimSpace(p.Title) == "" || len(p.Title) > 200 {
		bad("pool_title", "title", "title is required (at most 200 characters)").With("max", 200)
	}
	if len(p.Fields) == 0 || len(p.Fields) > maxFields {
		bad("pool_fields", "fields", "a pool needs 1 to %d fields, got %d", maxFields, len(p.Fields)).With("max", maxFields)
	}
	seen := map[string]bool{}
	for i, f := range p.Fields {
		where := fmt.Sprintf("field %d (%q)", i+1, f.Name)
		at := func(attr string) string { return fmt.Sprintf("fields.%d.%s", i, attr) }
		fbad := func(reason, attr, format string, args ...any) *raftdata.Error {
			return bad(reason, at(attr), "%s: "+format, append([]any{where}, args...)...).With("n", i+1).With("name", f.Name)
		}
		if !fieldNamePattern.MatchString(f.Name) {
			fbad("field_name", "name", "a name is lower-case letters, digits and underscores, starting with a letter")
		}
		if seen[f.Name] {
			fbad("field_name_twice", "name", "the name is used twice")
		}
		seen[f.Name] = true
		if f.Type != TypeMonth && (f.From != "" || f.To != "") {
			fbad("field_from_to", "from", "only a month has from and to")
		}
		switch f.Type {
		case TypeNumber:
			if f.Min == nil || f.Max == nil || !finite(*f.Min) || !finite(*f.Max) || *f.Min >= *f.Max {
				fbad("field_min_max", "max", "a number needs finite min < max")
			}
			if f.Bins < 0 || f.Bins > maxBins {
				fbad("field_bins", "bins", "bins must be within 0..%d", maxBins).With("max", maxBins)
			}
			if len(f.Values) > 0 {
				fbad("field_number_values", "values", "a number has no values")
			}
		case TypeCategory:
			if len(f.Values) < 2 || len(f.Values) > maxCategoryValues {
				fbad("field_values_count", "values", "a category needs 2 to %d values", maxCategoryValues).With("max", maxCategoryValues)
			}
			vals := map[string]bool{}
			for _, v := range f.Values {
				if strings.TrimSpace(v) == "" || len(v) > 100 || vals[v] {
					fbad("field_value", "values", "values must be distinct, non-empty, at most 100 characters (%q)", v).With("value", v).With("max", 100)
				}
				vals[v] = true
			}
			if f.Min != nil || f.Max != nil || f.Bins != 0 {
				fbad("field_category_bounds", "values", "a category has no min, max or bins")
			}
		case TypeMonth:
			if f.Min != nil || f.Max != nil || f.Bins != 0 || len(f.Values) > 0 {
				fbad("field_month_bounds", "from", "a month has no min, max, bins or values")
			}
			if reason, problem := f.monthRangeProblem(); problem != "" {
				fbad(reason, "from", "%s", problem).With("max", maxMonthSpan)
			}
		default:
			fbad("field_type", "type", "type must be number, category or month, got %q", f.Type)
		}
	}
	validateSchemaLabels(p, bad)
	d := p.Documentation
	for _, doc := range []struct{ name, v string }{{"provenance", d.Provenance}, {"collection_method", d.CollectionMethod},
		{"update_frequency", d.UpdateFrequency}, {"format", d.Format}, {"pseudonymisation", d.Pseudonymisation}} {
		if strings.TrimSpace(doc.v) == "" {
			bad("pool_documentation", "documentation."+doc.name, "documentation.%s is required", doc.name)
		}
	}
	return problems.Err(raftdata.CodeInvalid, "")
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Field returns the field called name.
func (p Pool) Field(name string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// BinCount is the number of histogram bins of a number field.
func (f Field) BinCount() int {
	if f.Bins > 0 {
		return f.Bins
	}
	return defaultBins
}

// Record is one row of a pool: field name to value. Numbers are float64,
// categories and months strings.
type Record map[string]any

// RowError says what is wrong with one row of a contribution: Row counts
// the records from 1 (0: the CSV header), Line is the line of a CSV file
// where the record starts (the header is line 1). Reason is an English
// sentence; Code and Params say the same for pages to translate (see
// the Err* codes).
type RowError struct {
	Row    int               `json:"row"`
	Line   int               `json:"line,omitempty"`
	Field  string            `json:"field,omitempty"`
	Reason string            `json:"reason"`
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// Codes of RowError, and the Params each carries.
const (
	ErrEmptyFile       = "empty_file"       // no header
	ErrNoRows          = "no_rows"          // a header and no record
	ErrTooManyRows     = "too_many_rows"    // max
	ErrCSVQuote        = "csv_quote"        // a quote out of place
	ErrCSVFieldCount   = "csv_field_count"  // want, got
	ErrCSVSyntax       = "csv_syntax"       // detail (English)
	ErrUnknownColumn   = "unknown_column"   // column
	ErrDuplicateColumn = "duplicate_column" // column
	ErrMissingColumn   = "missing_column"   // (Field)
	ErrValueTooLong    = "value_too_long"   // max
	ErrUnknownField    = "unknown_field"    // (Field)
	ErrMissingValue    = "missing_value"    // (Field)
	ErrNotNumber       = "not_number"       // value
	ErrOutOfRange      = "out_of_range"     // value, min, max
	ErrNotInCategory   = "not_in_category"  // value
	ErrNotMonth        = "not_month"        // value
)

// rowError is a RowError of field with its code, params and sentence.
func rowError(field, code string, params map[string]string, format string, args ...any) RowError {
	return RowError{Field: field, Code: code, Params: params, Reason: fmt.Sprintf(format, args...)}
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ValidateRecord checks one record against the schema and returns it in
// canonical form: every field present, numbers as float64, months YYYY-MM.
func (p Pool) ValidateRecord(in map[string]any) (Record, []RowError) {
	var errs []RowError
	out := Record{}
	for name := range in {
		if _, ok := p.Field(name); !ok {
			errs = append(errs, rowError(name, ErrUnknownField, nil, "unknown field"))
		}
	}
	for _, f := range p.Fields {
		raw, ok := in[f.Name]
		if !ok || raw == nil {
			errs = append(errs, rowError(f.Name, ErrMissingValue, nil, "missing value"))
			continue
		}
		v, bad := f.parse(raw)
		if bad != nil {
			errs = append(errs, *bad)
			continue
		}
		out[f.Name] = v
	}
	slices.SortFunc(errs, func(a, b RowError) int { return strings.Compare(a.Field, b.Field) })
	return out, errs
}

// parse reads one value (from JSON or from CSV text) for the field.
func (f Field) parse(raw any) (any, *RowError) {
	fail := func(code string, params map[string]string, format string, args ...any) (any, *RowError) {
		e := rowError(f.Name, code, params, format, args...)
		return nil, &e
	}
	switch f.Type {
	case TypeNumber:
		var x float64
		switch v := raw.(type) {
		case float64:
			x = v
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return fail(ErrNotNumber, map[string]string{"value": truncate(v)}, "%q is not a number", truncate(v))
			}
			x = n
		default:
			return fail(ErrNotNumber, nil, "expected a number")
		}
		if !finite(x) {
			return fail(ErrNotNumber, map[string]string{"value": num(x)}, "not a finite number")
		}
		if x < *f.Min || x > *f.Max {
			return fail(ErrOutOfRange, map[string]string{"value": num(x), "min": num(*f.Min), "max": num(*f.Max)},
				"%g is outside %g..%g", x, *f.Min, *f.Max)
		}
		return x, nil
	case TypeCategory:
		s, ok := raw.(string)
		if !ok {
			return fail(ErrNotInCategory, nil, "expected one of the category's values")
		}
		if !slices.Contains(f.Values, s) {
			return fail(ErrNotInCategory, map[string]string{"value": truncate(s)}, "%q is not one of %s", truncate(s), strings.Join(f.Values, ", "))
		}
		return s, nil
	case TypeMonth:
		s, ok := raw.(string)
		if !ok {
			return fail(ErrNotMonth, nil, "expected a month as YYYY-MM")
		}
		m, err := time.Parse("2006-01", s)
		if err != nil || m.Year() < 1900 || m.Year() > 2200 {
			return fail(ErrNotMonth, map[string]string{"value": truncate(s)}, "%q is not a month as YYYY-MM", truncate(s))
		}
		month := m.Format("2006-01")
		if f.From != "" && (month < f.From || month > f.To) {
			return fail(ErrOutOfRange, map[string]string{"value": month, "min": f.From, "max": f.To}, "%s is outside %s..%s", month, f.From, f.To)
		}
		return month, nil
	}
	return fail(ErrUnknownField, nil, "unknown field type")
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ValidateBatch checks every row and returns them canonical, or every
// problem of every row: a batch is accepted whole or not at all.
func (p Pool) ValidateBatch(rows []map[string]any) ([]Record, []RowError) {
	out := make([]Record, 0, len(rows))
	var errs []RowError
	for i, row := range rows {
		rec, rowErrs := p.ValidateRecord(row)
		for _, e := range rowErrs {
			e.Row = i + 1
			errs = append(errs, e)
		}
		out = append(out, rec)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
