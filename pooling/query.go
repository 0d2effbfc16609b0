package pooling

import (
	"maps"
	"slices"
	"strings"

	"coop/raftdata"
)

// Aggregates a query may ask for.
const (
	AggCount     = "count"
	AggSum       = "sum"
	AggMean      = "mean"
	AggHistogram = "histogram"
)

// Query is an aggregate over one pool: count, sum, mean or histogram of a
// field, grouped by up to two category or month fields, with equality
// filters on category fields. It never returns rows.
type Query struct {
	Aggregate string            `json:"aggregate"`
	Field     string            `json:"field,omitempty"`
	GroupBy   []string          `json:"group_by,omitempty"`
	Filters   map[string]string `json:"filters,omitempty"`
}

// maxGroupBy is how many fields a query may group by.
const maxGroupBy = 2

// ValidateQuery checks a query against the pool's schema. Each problem
// names its reason and the form field it is about (aggregate, field,
// group_by, filters).
func (p Pool) ValidateQuery(q Query) error {
	var problems raftdata.Problems
	bad := func(reason, field, format string, args ...any) *raftdata.Error {
		e := raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...).On(field)
		problems.Add(e)
		return e
	}
	switch q.Aggregate {
	case AggCount:
		if q.Field != "" {
			if _, ok := p.Field(q.Field); !ok {
				bad("query_unknown_field", "field", "unknown field %q", q.Field).With("field", q.Field)
			}
		}
	case AggSum, AggMean, AggHistogram:
		f, ok := p.Field(q.Field)
		switch {
		case q.Field == "":
			bad("query_needs_number", "field", "%s needs a number field", q.Aggregate).With("aggregate", q.Aggregate)
		case !ok:
			bad("query_unknown_field", "field", "unknown field %q", q.Field).With("field", q.Field)
		case f.Type != TypeNumber:
			bad("query_not_number", "field", "%s needs a number field; %q is a %s", q.Aggregate, q.Field, f.Type).
				With("aggregate", q.Aggregate).With("field", q.Field)
		}
	default:
		bad("query_aggregate", "aggregate", "aggregate must be count, sum, mean or histogram, got %q", q.Aggregate)
	}
	if len(q.GroupBy) > maxGroupBy {
		bad("query_group_by_count", "group_by", "group by at most %d fields", maxGroupBy).With("max", maxGroupBy)
	}
	for i, g := range q.GroupBy {
		f, ok := p.Field(g)
		switch {
		case !ok:
			bad("query_unknown_group_by", "group_by", "unknown group_by field %q", g).With("field", g)
		case f.Type == TypeNumber:
			bad("query_group_by_number", "group_by", "cannot group by the number field %q (use a histogram)", g).With("field", g)
		case slices.Contains(q.GroupBy[:i], g):
			bad("query_group_by_twice", "group_by", "group_by names %q twice", g).With("field", g)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(q.Filters)) {
		v := q.Filters[name]
		f, ok := p.Field(name)
		switch {
		case !ok:
			bad("query_unknown_filter", "filters", "unknown filter field %q", name).With("field", name)
		case f.Type != TypeCategory:
			bad("query_filter_type", "filters", "filters apply to category fields; %q is a %s", name, f.Type).With("field", name)
		case !slices.Contains(f.Values, v):
			bad("query_filter_value", "filters", "filter %s=%q is not one of %s", name, v, strings.Join(f.Values, ", ")).
				With("field", name).With("value", v)
		}
	}
	return problems.Err(raftdata.CodeInvalid, "query: ")
}

// Equal tells whether two queries ask exactly the same thing (the query a
// grant unlocks is compared with the one asked).
func (q Query) Equal(o Query) bool {
	if q.Aggregate != o.Aggregate || q.Field != o.Field || !slices.Equal(q.GroupBy, o.GroupBy) || len(q.Filters) != len(o.Filters) {
		return false
	}
	for k, v := range q.Filters {
		if w, ok := o.Filters[k]; !ok || w != v {
			return false
		}
	}
	return true
}
