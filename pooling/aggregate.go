package pooling

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/differential-privacy/go/v3/dpagg"
	"github.com/google/differential-privacy/go/v3/noise"
)

// Disclosure is what a release may reveal: groups of fewer distinct
// members than MinCohort are suppressed, and every released figure carries
// Laplace noise calibrated to Epsilon (Google's differential-privacy
// library: its noise is drawn on a discrete grid and cannot leak through
// floating point).
type Disclosure struct {
	MinCohort int
	Epsilon   float64
}

// Group is one cell of an answer: its key (field to value), and its value
// unless it is suppressed.
type Group struct {
	Key        map[string]string `json:"key"`
	Value      *float64          `json:"value,omitempty"`
	Suppressed bool              `json:"suppressed,omitempty"`
}

// Answer is a released aggregate, and (unexported to JSON) the member keys
// it drew on, for the access journal.
type Answer struct {
	Groups  []Group  `json:"groups"`
	Members []string `json:"-"`
}

// maxPartitionsPerMember bounds how many groups one member's data may
// reach in one query; a member beyond it keeps only the first groups (in
// key order). The noise is scaled to it.
const maxPartitionsPerMember = 12

// memberValue is one member's data reduced to one bounded value per group.
type memberValue struct {
	member string
	value  float64 // the member's mean in the group, clamped to the field's bounds
}

// Aggregate runs q over the pool's records of the members who consent to
// the pool now, except the excluded member keys (objections). The privacy
// unit is the member: each member's records in a group are first reduced
// to one value (their mean, clamped to the field's min and max), so one
// person moves a count by at most 1 and a sum by at most the field's range
// in each of at most maxPartitionsPerMember groups.
func Aggregate(ctx context.Context, db *sql.DB, p Pool, q Query, d Disclosure, excluded map[string]bool) (Answer, error) {
	if d.MinCohort < 2 || !(d.Epsilon > 0) || math.IsInf(d.Epsilon, 0) {
		return Answer{}, invalid("a release needs a minimum cohort of at least 2 and a positive epsilon")
	}
	return aggregate(ctx, db, p, q, d, excluded)
}

// aggregate computes an answer; with d.Epsilon == 0 it adds no noise,
// which only the synthetic twin may ask (Aggregate refuses it).
func aggregate(ctx context.Context, db *sql.DB, p Pool, q Query, d Disclosure, excluded map[string]bool) (Answer, error) {
	if err := p.ValidateQuery(q); err != nil {
		return Answer{}, err
	}
	cells, members, err := collect(ctx, db, p, q, excluded)
	if err != nil {
		return Answer{}, err
	}
	keys := groupKeys(p, q, cells)
	ans := Answer{Members: members, Groups: []Group{}}
	var lo, hi float64
	var field Field
	if q.Field != "" {
		field, _ = p.Field(q.Field)
		if field.Type == TypeNumber {
			lo, hi = *field.Min, *field.Max
		}
	}
	for _, key := range keys {
		vals := cells[key]
		keyMap := decodeKey(q.GroupBy, key)
		if q.Aggregate == AggHistogram {
			groups, err := histogram(keyMap, field, vals, d)
			if err != nil {
				return Answer{}, err
			}
			ans.Groups = append(ans.Groups, groups...)
			continue
		}
		g := Group{Key: keyMap}
		if len(vals) < d.MinCohort {
			g.Suppressed = true
			ans.Groups = append(ans.Groups, g)
			continue
		}
		v, err := release(q.Aggregate, vals, lo, hi, d.Epsilon)
		if err != nil {
			return Answer{}, err
		}
		g.Value = &v
		ans.Groups = append(ans.Groups, g)
	}
	return ans, nil
}

// collect reads, per group, each member's bounded value. The reduction per
// member happens in SQLite (a GROUP BY member and group); only one row per
// member and group reaches Go.
func collect(ctx context.Context, db *sql.DB, p Pool, q Query, excluded map[string]bool) (map[string][]memberValue, []string, error) {
	// Arguments follow the placeholders' order: value, groups, pool, filters.
	var args []any
	value := "0"
	if q.Field != "" {
		if f, _ := p.Field(q.Field); f.Type == TypeNumber {
			value = "AVG(MIN(MAX(json_extract(r.data, ?), ?), ?))"
			args = append(args, "$."+q.Field, *f.Min, *f.Max)
		}
	}
	var sel []string
	for _, g := range q.GroupBy {
		sel = append(sel, "json_extract(r.data, ?)")
		args = append(args, "$."+g)
	}
	groupCols := ""
	for i := range q.GroupBy {
		groupCols += fmt.Sprintf(", g%d", i)
		sel[i] += fmt.Sprintf(" AS g%d", i)
	}
	query := "SELECT r.member_key, " + value
	if len(sel) > 0 {
		query += ", " + strings.Join(sel, ", ")
	}
	query += ` FROM pooling_records r
		JOIN pooling_consents c ON c.member_key = r.member_key AND c.pool = r.pool AND c.granted = 1
		WHERE r.pool = ?`
	args = append(args, p.ID)
	filterNames := make([]string, 0, len(q.Filters))
	for name := range q.Filters {
		filterNames = append(filterNames, name)
	}
	slices.Sort(filterNames)
	for _, name := range filterNames {
		query += " AND json_extract(r.data, ?) = ?"
		args = append(args, "$."+name, q.Filters[name])
	}
	query += " GROUP BY r.member_key" + groupCols + " ORDER BY r.member_key" + groupCols
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("aggregate %s: %w", p.ID, err)
	}
	defer rows.Close()
	cells := map[string][]memberValue{}
	var members []string
	perMember := 0
	last := ""
	for rows.Next() {
		var member string
		var v sql.NullFloat64
		groupVals := make([]sql.NullString, len(q.GroupBy))
		dest := []any{&member, &v}
		for i := range groupVals {
			dest = append(dest, &groupVals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		if excluded[member] {
			continue
		}
		if member != last {
			last, perMember = member, 0
			members = append(members, member)
		}
		perMember++
		if perMember > maxPartitionsPerMember {
			continue
		}
		parts := make([]string, len(groupVals))
		for i, g := range groupVals {
			parts[i] = g.String
		}
		key := strings.Join(parts, "\x00")
		cells[key] = append(cells[key], memberValue{member: member, value: v.Float64})
	}
	return cells, members, rows.Err()
}

// groupKeys lists the groups to report: every combination of category
// values (so that an empty group shows as suppressed, not as missing), and
// the months seen in the data.
func groupKeys(p Pool, q Query, cells map[string][]memberValue) []string {
	if len(q.GroupBy) == 0 {
		return []string{""}
	}
	combos := [][]string{{}}
	for i, g := range q.GroupBy {
		f, _ := p.Field(g)
		var values []string
		switch {
		case q.Filters[g] != "":
			values = []string{q.Filters[g]}
		case f.Type == TypeCategory:
			values = f.Values
		default: // month: the months present
			seen := map[string]bool{}
			for key := range cells {
				seen[strings.Split(key, "\x00")[i]] = true
			}
			for m := range seen {
				values = append(values, m)
			}
			slices.Sort(values)
		}
		var next [][]string
		for _, c := range combos {
			for _, v := range values {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		combos = next
	}
	keys := make([]string, len(combos))
	for i, c := range combos {
		keys[i] = strings.Join(c, "\x00")
	}
	return keys
}

func decodeKey(groupBy []string, key string) map[string]string {
	out := map[string]string{}
	if len(groupBy) == 0 {
		return out
	}
	for i, v := range strings.Split(key, "\x00") {
		out[groupBy[i]] = v
	}
	return out
}

// release computes one noisy figure with the DP library's aggregations,
// which clamp each contribution and scale the noise to it.
func release(agg string, vals []memberValue, lo, hi, eps float64) (float64, error) {
	if eps == 0 {
		return exactValue(agg, vals), nil
	}
	switch agg {
	case AggCount:
		c, err := dpagg.NewCount(&dpagg.CountOptions{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, Noise: noise.Laplace()})
		if err != nil {
			return 0, err
		}
		if err := c.IncrementBy(int64(len(vals))); err != nil {
			return 0, err
		}
		n, err := c.Result()
		return float64(max(n, 0)), err
	case AggSum:
		s, err := dpagg.NewBoundedSumFloat64(&dpagg.BoundedSumFloat64Options{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, Lower: lo, Upper: hi, Noise: noise.Laplace()})
		if err != nil {
			return 0, err
		}
		for _, v := range vals {
			if err := s.Add(v.value); err != nil {
				return 0, err
			}
		}
		return s.Result()
	case AggMean:
		m, err := dpagg.NewBoundedMean(&dpagg.BoundedMeanOptions{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, MaxContributionsPerPartition: 1, Lower: lo, Upper: hi, Noise: noise.Laplace()})
		if err != nil {
			return 0, err
		}
		for _, v := range vals {
			if err := m.Add(v.value); err != nil {
				return 0, err
			}
		}
		return m.Result()
	}
	return 0, invalid("unknown aggregate %q", agg)
}

// histogram counts members per bin of their value in the group. Each
// member falls in one bin per group; every bin is a cell, suppressed under
// the minimum cohort.
func histogram(key map[string]string, f Field, vals []memberValue, d Disclosure) ([]Group, error) {
	bins := f.BinCount()
	lo, hi := *f.Min, *f.Max
	width := (hi - lo) / float64(bins)
	counts := make([]int, bins)
	for _, v := range vals {
		b := int((v.value - lo) / width)
		counts[min(max(b, 0), bins-1)]++
	}
	out := make([]Group, 0, bins)
	for b := 0; b < bins; b++ {
		k := cloneKey(key)
		k["bin"] = fmt.Sprintf("%g..%g", lo+float64(b)*width, lo+float64(b+1)*width)
		g := Group{Key: k}
		if counts[b] < d.MinCohort {
			g.Suppressed = true
		} else if d.Epsilon == 0 {
			v := float64(counts[b])
			g.Value = &v
		} else {
			c, err := dpagg.NewCount(&dpagg.CountOptions{Epsilon: d.Epsilon, MaxPartitionsContributed: maxPartitionsPerMember, Noise: noise.Laplace()})
			if err != nil {
				return nil, err
			}
			c.IncrementBy(int64(counts[b]))
			n, err := c.Result()
			if err != nil {
				return nil, err
			}
			v := float64(max(n, 0))
			g.Value = &v
		}
		out = append(out, g)
	}
	return out, nil
}

func cloneKey(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// MemberKeys maps account ids to the pseudonymous keys of their records
// (for the objections a query must leave out). Accounts that never
// contributed have no key and are skipped.
func MemberKeys(ctx context.Context, db *sql.DB, accountIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range accountIDs {
		var key string
		err := db.QueryRowContext(ctx, `SELECT member_key FROM pooling_member_keys WHERE account_id = ?`, id).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("member keys: %w", err)
		}
		out[key] = true
	}
	return out, nil
}

// exactValue is a figure without noise, for synthetic data only.
func exactValue(agg string, vals []memberValue) float64 {
	switch agg {
	case AggCount:
		return float64(len(vals))
	}
	var sum float64
	for _, v := range vals {
		sum += v.value
	}
	if agg == AggMean && len(vals) > 0 {
		return sum / float64(len(vals))
	}
	return sum
}
