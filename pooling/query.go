package pooling

import (
	"fmt"
	"slices"
	"strings"
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

// ValidateQuery checks a query against the pool's schema.
func (p Pool) ValidateQuery(q Query) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch q.Aggregate {
	case AggCount:
		if q.Field != "" {
			if _, ok := p.Field(q.Field); !ok {
				bad("unknown field %q", q.Field)
			}
		}
	case AggSum, AggMean, AggHistogram:
		f, ok := p.Field(q.Field)
		switch {
		case q.Field == "":
			bad("%s needs a number field", q.Aggregate)
		case !ok:
			bad("unknown field %q", q.Field)
		case f.Type != TypeNumber:
			bad("%s needs a number field; %q is a %s", q.Aggregate, q.Field, f.Type)
		}
	default:
		bad("aggregate must be count, sum, mean or histogram, got %q", q.Aggregate)
	}
	if len(q.GroupBy) > maxGroupBy {
		bad("group by at most %d fields", maxGroupBy)
	}
	for i, g := range q.GroupBy {
		f, ok := p.Field(g)
		switch {
		case !ok:
			bad("unknown group_by field %q", g)
		case f.Type == TypeNumber:
			bad("cannot group by the number field %q (use a histogram)", g)
		case slices.Contains(q.GroupBy[:i], g):
			bad("group_by names %q twice", g)
		}
	}
	for name, v := range q.Filters {
		f, ok := p.Field(name)
		switch {
		case !ok:
			bad("unknown filter field %q", name)
		case f.Type != TypeCategory:
			bad("filters apply to category fields; %q is a %s", name, f.Type)
		case !slices.Contains(f.Values, v):
			bad("filter %s=%q is not one of %s", name, v, strings.Join(f.Values, ", "))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return invalid("query: %s", strings.Join(problems, "; "))
	}
	return nil
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
