package pooling

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// cell is what SQLite hands back for one group: how many members reach
// it, the sum of their bounded values on the field's fixed-point grid (an
// exact integer: no floating-point sum, whose rounding could exceed the
// sensitivity the noise assumes), and for a histogram how many members
// fall in each bin. Rows about a member never reach Go.
type cell struct {
	members int
	units   int64
	bins    []int
}

// partials is one read's result: cells by group key (values joined by
// NUL), and the keys of the members drawn on, sorted.
type partials struct {
	cells   map[string]*cell
	members []string
}

func newPartials() partials { return partials{cells: map[string]*cell{}} }

// merge adds the result of another, disjoint, range of members.
func (a *partials) merge(b partials) {
	for key, c := range b.cells {
		mine := a.cells[key]
		if mine == nil {
			a.cells[key] = c
			continue
		}
		mine.members += c.members
		mine.units += c.units
		for i := range c.bins {
			mine.bins[i] += c.bins[i]
		}
	}
	a.members = append(a.members, b.members...)
}

// plan is the SQL of one query over a pool's records table. Each member's
// records in a group are reduced to one value (their mean, clamped to the
// field's bounds, snapped to the field's grid) by an inner GROUP BY
// member; the outer query counts and sums those values per group, for the
// members of the run's consent set (or, on the twin, who consent now).
type plan struct {
	pool    Pool
	query   Query
	table   string
	value   string  // the number field's column, or "" (a count)
	grid    grid    // the number field's fixed-point grid
	bins    int     // histogram bins, or 0
	width   float64 // histogram bin width
	set     string  // the consent set read, or "" (the twin: consents now)
	domains []domain
	public  bool  // every group key comes from the schema
	l0      int64 // how many groups one member may reach
}

// domain is what a group field's values are in an answer: a public list
// from the schema (a category's values, a filtered value, a declared
// month range), or the months found in the data (public false).
type domain struct {
	field  string
	values []string // nil when from the data
	public bool
}

func newPlan(p Pool, q Query, set string) plan {
	pl := plan{pool: p, query: q, table: recordsTable(p.ID), set: set, public: true}
	if f, _ := p.Field(q.Field); q.Field != "" && f.Type == TypeNumber {
		pl.value, pl.grid = column(f.Name), newGrid(*f.Min, *f.Max)
		if q.Aggregate == AggHistogram {
			pl.bins = f.BinCount()
			pl.width = (*f.Max - *f.Min) / float64(pl.bins)
		}
	}
	reach := 1
	for _, g := range q.GroupBy {
		f, _ := p.Field(g)
		d := domain{field: g, public: true}
		switch {
		case q.Filters[g] != "":
			d.values = []string{q.Filters[g]}
		case f.Type == TypeCategory:
			d.values = f.Values
		default:
			d.values = f.Months()
			d.public = d.values != nil
		}
		pl.public = pl.public && d.public
		if d.public {
			reach = min(reach*len(d.values), maxPartitionsPerMember+1)
		} else {
			reach = maxPartitionsPerMember + 1
		}
		pl.domains = append(pl.domains, d)
	}
	pl.l0 = int64(min(reach, maxPartitionsPerMember))
	return pl
}

// read computes the partials of one range of members, in tx.
func (pl plan) read(ctx context.Context, tx *sql.Tx, r keyRange) (partials, error) {
	out := newPartials()
	query, args, err := pl.cellsSQL(ctx, tx, r)
	if err != nil {
		return out, err
	}
	var lists [][]string
	if err := pl.readCells(ctx, tx, query, args, out, &lists); err != nil {
		return out, err
	}
	out.members = union(lists)
	return out, nil
}

// union merges the member keys of the cells into one sorted list without
// repeats (a member reaches several groups).
func union(lists [][]string) []string {
	total := 0
	for _, l := range lists {
		if !slices.IsSorted(l) {
			slices.Sort(l)
		}
		total += len(l)
	}
	if len(lists) == 1 {
		return lists[0]
	}
	out := make([]string, 0, total/max(len(lists), 1))
	heads := make([]int, len(lists))
	for {
		next := ""
		found := false
		for i, l := range lists {
			if heads[i] < len(l) && (!found || l[heads[i]] < next) {
				next, found = l[heads[i]], true
			}
		}
		if !found {
			return out
		}
		out = append(out, next)
		for i, l := range lists {
			if heads[i] < len(l) && l[heads[i]] == next {
				heads[i]++
			}
		}
	}
}

// cellsSQL builds the statement of the cells. Two shapes:
//
//   - Streaming, when the query groups by at most one field with at most
//     l0 values (no member can reach more groups than
//     the bound, so none is cut): the rows are read through the covering
//     index of the grouped (or else of a filtered) field, which yields each
//     group's rows sorted by member, and a member range is a range of it.
//   - Ranked, otherwise: the rows are read through the first group
//     field's index at every value it takes (a member range is still a
//     range of it), sorted by member and group (a temporary B-tree over
//     the range's rows), reduced per member and group, and each member
//     keeps their first l0 groups in key order
//     (ROW_NUMBER, which reads them in that order without sorting again),
//     as the noise assumes.
//
// Without a group field, a filtered field's index is read at its value,
// or else the primary key, which is in member order.
func (pl plan) cellsSQL(ctx context.Context, tx *sql.Tx, r keyRange) (string, []any, error) {
	q := pl.query
	var b binder
	var groupCols []string // inner expressions, aliased g0, g1
	for _, g := range q.GroupBy {
		groupCols = append(groupCols, column(g))
	}
	// The index to read from, and the values it is read at: the first
	// group field's (every value it takes), else a filtered field's, else
	// none (the primary key, in member order).
	indexField, indexValues := "", []string(nil)
	if len(q.GroupBy) > 0 {
		values, err := pl.groupValues(ctx, tx, q.GroupBy[0])
		if err != nil {
			return "", nil, err
		}
		indexField, indexValues = q.GroupBy[0], values
	} else if names := filterNames(q); len(names) > 0 {
		indexField, indexValues = names[0], []string{q.Filters[names[0]]}
	}
	ranked := len(q.GroupBy) > 1 || int64(len(indexValues)) > pl.l0

	var where []string
	from := fmt.Sprintf("%q", pl.table)
	if indexField != "" {
		from += fmt.Sprintf(" INDEXED BY %q", fieldIndex(pl.pool.ID, indexField))
		marks := make([]string, len(indexValues))
		for i, v := range indexValues {
			marks[i] = b.named(fmt.Sprintf("in%d", i), v)
		}
		where = append(where, column(indexField)+" IN ("+strings.Join(marks, ", ")+")")
	}
	where = append(where, b.keyRange("member_key", r)...)
	for _, name := range filterNames(q) {
		if name != indexField {
			where = append(where, column(name)+" = "+b.named("filter_"+name, q.Filters[name]))
		}
	}
	if len(where) == 0 {
		where = []string{"1"}
	}

	value := "0"
	if pl.value != "" {
		value = "AVG(" + pl.value + ")"
	}
	var sel, aliases []string
	for i, c := range groupCols {
		sel = append(sel, fmt.Sprintf("%s AS g%d", c, i))
		aliases = append(aliases, fmt.Sprintf("g%d", i))
	}
	inner := "SELECT " + strings.Join(append(sel, "member_key", value+" AS v"), ", ") +
		" FROM " + from + " WHERE " + strings.Join(where, " AND ")
	if ranked {
		// Sorted by member (a temporary B-tree over the range's rows), in
		// the order the window reads them.
		order := strings.Join(append([]string{"member_key"}, groupCols...), ", ")
		inner += " GROUP BY " + order + " ORDER BY " + order
		inner = "SELECT " + strings.Join(append(slices.Clone(aliases), "member_key", "v"), ", ") +
			", ROW_NUMBER() OVER (PARTITION BY member_key ORDER BY " + strings.Join(aliases, ", ") + ") AS part FROM (" + inner + ")"
	} else {
		// The ORDER BY costs nothing (the index order) and tells the
		// outer GROUP BY that its input is sorted: no temporary B-tree.
		order := strings.Join(append(slices.Clone(groupCols), "member_key"), ", ")
		inner += " GROUP BY " + order + " ORDER BY " + order
	}

	bounded := "MIN(MAX(s.v, " + b.named("lo", pl.grid.lo) + "), " + b.named("hi", pl.grid.hi) + ")"
	outerKeys := make([]string, len(aliases))
	for i, a := range aliases {
		outerKeys[i] = "s." + a
	}
	if pl.bins > 0 {
		outerKeys = append(outerKeys, "MIN(MAX(CAST(("+bounded+" - :lo) / "+b.named("width", pl.width)+" AS INTEGER), 0), "+b.named("lastbin", pl.bins-1)+")")
	}
	// The member keys of each cell, concatenated by SQLite (one string,
	// not one row per member); in the ranked shape only at each member's
	// first group, so each member comes once.
	keys := "s.member_key"
	if ranked {
		keys = "CASE WHEN s.part = 1 THEN s.member_key END"
	}
	// The sum of the members' values on the grid: an exact integer.
	units := "0"
	if pl.value != "" {
		units = "SUM(CAST(ROUND(" + bounded + " / " + b.named("step", pl.grid.step) + ") AS INTEGER))"
	}
	scope := " JOIN pooling_consent_sets c ON c.run = " + b.named("set", pl.set) + " AND c.member_key = s.member_key AND c.included = 1"
	if pl.set == "" {
		scope = " JOIN pooling_consents c ON c.member_key = s.member_key AND c.pool = " + b.named("pool", pl.pool.ID) + " AND c.granted = 1"
	}
	outer := "SELECT " + strings.Join(append(slices.Clone(outerKeys), "COUNT(*)", units, "COALESCE(group_concat("+keys+", ','), '')"), ", ") +
		" FROM (" + inner + ") s" + scope
	var cond []string
	if ranked {
		cond = append(cond, "s.part <= "+b.named("l0", pl.l0))
	}
	if len(cond) > 0 {
		outer += " WHERE " + strings.Join(cond, " AND ")
	}
	if len(outerKeys) > 0 {
		outer += " GROUP BY " + strings.Join(outerKeys, ", ")
	}
	return outer, b.args, nil
}

// readCells reads the rows of the cells statement: group values, the
// histogram bin if any, the member count and the sum.
func (pl plan) readCells(ctx context.Context, tx *sql.Tx, query string, args []any, out partials, lists *[][]string) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("aggregate %s: %w", pl.pool.ID, err)
	}
	defer rows.Close()
	n := len(pl.query.GroupBy)
	for rows.Next() {
		groupVals := make([]string, n)
		var bin, members int
		var units sql.NullInt64
		var keys string
		dest := make([]any, 0, n+3)
		for i := range groupVals {
			dest = append(dest, &groupVals[i])
		}
		if pl.bins > 0 {
			dest = append(dest, &bin)
		}
		dest = append(dest, &members, &units, &keys)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("aggregate %s: %w", pl.pool.ID, err)
		}
		if members == 0 {
			continue // an aggregate without GROUP BY over no row
		}
		if keys != "" {
			*lists = append(*lists, strings.Split(keys, ","))
		}
		key := strings.Join(groupVals, "\x00")
		c := out.cells[key]
		if c == nil {
			c = &cell{}
			if pl.bins > 0 {
				c.bins = make([]int, pl.bins)
			}
			out.cells[key] = c
		}
		c.members += members
		c.units += units.Int64
		if pl.bins > 0 {
			c.bins[bin] += members
		}
	}
	return rows.Err()
}

// groupValues lists the values the index of a group field is read at: its
// public domain, or else the months present in the pool (read from the
// month's index, one seek per month; they only guide the reading, the
// answer's months are selected with differential privacy).
func (pl plan) groupValues(ctx context.Context, tx *sql.Tx, field string) ([]string, error) {
	for _, d := range pl.domains {
		if d.field == field && d.public {
			return d.values, nil
		}
	}
	col := column(field)
	query := fmt.Sprintf(`WITH RECURSIVE m(v) AS (
		SELECT MIN(%[1]s) FROM %[2]q
		UNION ALL
		SELECT (SELECT MIN(%[1]s) FROM %[2]q WHERE %[1]s > m.v) FROM m WHERE m.v IS NOT NULL
	) SELECT v FROM m WHERE v IS NOT NULL`, col, pl.table)
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("aggregate %s: months: %w", pl.pool.ID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// binder collects the named arguments of a statement as its text names
// them, so that only the arguments it uses are passed.
type binder struct {
	args []any
	seen map[string]bool
}

func (b *binder) named(name string, v any) string {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if !b.seen[name] {
		b.seen[name] = true
		b.args = append(b.args, sql.Named(name, v))
	}
	return ":" + name
}

// keyRange is the condition of a member-key range on col.
func (b *binder) keyRange(col string, r keyRange) []string {
	var out []string
	if r.from != "" {
		out = append(out, col+" >= "+b.named("from", r.from))
	}
	if r.to != "" {
		out = append(out, col+" < "+b.named("to", r.to))
	}
	return out
}

func filterNames(q Query) []string {
	names := make([]string, 0, len(q.Filters))
	for name := range q.Filters {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
