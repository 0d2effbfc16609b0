package pooling

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
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
	return aggregate(ctx, db, p, q, d, excluded, min(maxParallelReads, runtime.GOMAXPROCS(0)))
}

// maxParallelReads bounds how many member ranges one aggregate reads at
// once (one connection and one core each).
const maxParallelReads = 4

// aggregate computes an answer over db, reading up to parallel member
// ranges at once; with d.Epsilon == 0 it adds no noise, which only the
// synthetic twin may ask (Aggregate refuses it).
func aggregate(ctx context.Context, db *sql.DB, p Pool, q Query, d Disclosure, excluded map[string]bool, parallel int) (Answer, error) {
	if err := p.ValidateQuery(q); err != nil {
		return Answer{}, err
	}
	pl, err := newPlan(p, q, excluded)
	if err != nil {
		return Answer{}, err
	}
	if err := checkRecordsTable(ctx, db, p.ID); err != nil {
		return Answer{}, err
	}
	got, err := readInRanges(ctx, db, parallel, pl.read)
	if err != nil {
		return Answer{}, err
	}
	ans := Answer{Members: got.members, Groups: []Group{}}
	if ans.Members == nil {
		ans.Members = []string{}
	}
	field, _ := p.Field(q.Field)
	for _, key := range groupKeys(p, q, got.cells) {
		c := got.cells[key]
		if c == nil {
			c = &cell{bins: make([]int, pl.bins)}
		}
		keyMap := decodeKey(q.GroupBy, key)
		if q.Aggregate == AggHistogram {
			groups, err := histogram(keyMap, field, c.bins, d)
			if err != nil {
				return Answer{}, err
			}
			ans.Groups = append(ans.Groups, groups...)
			continue
		}
		g := Group{Key: keyMap}
		if c.members < d.MinCohort {
			g.Suppressed = true
			ans.Groups = append(ans.Groups, g)
			continue
		}
		v, err := release(q.Aggregate, *c, pl.lo, pl.hi, d.Epsilon)
		if err != nil {
			return Answer{}, err
		}
		g.Value = &v
		ans.Groups = append(ans.Groups, g)
	}
	return ans, nil
}

// groupKeys lists the groups to report: every combination of category
// values (so that an empty group shows as suppressed, not as missing), and
// the months seen in the data.
func groupKeys(p Pool, q Query, cells map[string]*cell) []string {
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

// release computes one noisy figure of a group with the DP library's
// aggregations. They take one value per member; a group reaches Go as the
// count and the sum of its members' bounded values, so each of its members
// enters as the group's mean (within the bounds, since every member's
// value is): the library sees the same count and sum, up to float rounding
// far below the noise, and scales the noise to the bounds as before.
func release(agg string, c cell, lo, hi, eps float64) (float64, error) {
	if eps == 0 {
		return exactValue(agg, c), nil
	}
	mean := 0.0
	if c.members > 0 {
		mean = min(max(c.sum/float64(c.members), lo), hi)
	}
	addEach := func(add func(float64) error) error {
		for range c.members {
			if err := add(mean); err != nil {
				return err
			}
		}
		return nil
	}
	switch agg {
	case AggCount:
		n, err := noisyCount(c.members, eps)
		return float64(n), err
	case AggSum:
		s, err := dpagg.NewBoundedSumFloat64(&dpagg.BoundedSumFloat64Options{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, Lower: lo, Upper: hi, Noise: noise.Laplace()})
		if err != nil {
			return 0, err
		}
		if err := addEach(s.Add); err != nil {
			return 0, err
		}
		return s.Result()
	case AggMean:
		m, err := dpagg.NewBoundedMean(&dpagg.BoundedMeanOptions{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, MaxContributionsPerPartition: 1, Lower: lo, Upper: hi, Noise: noise.Laplace()})
		if err != nil {
			return 0, err
		}
		if err := addEach(m.Add); err != nil {
			return 0, err
		}
		return m.Result()
	}
	return 0, invalid("unknown aggregate %q", agg)
}

// noisyCount releases a count of members, never below zero.
func noisyCount(members int, eps float64) (int64, error) {
	c, err := dpagg.NewCount(&dpagg.CountOptions{Epsilon: eps, MaxPartitionsContributed: maxPartitionsPerMember, Noise: noise.Laplace()})
	if err != nil {
		return 0, err
	}
	if err := c.IncrementBy(int64(members)); err != nil {
		return 0, err
	}
	n, err := c.Result()
	return max(n, 0), err
}

// histogram releases the members per bin of their value in the group.
// Each member falls in one bin per group; every bin is a cell, suppressed
// under the minimum cohort.
func histogram(key map[string]string, f Field, counts []int, d Disclosure) ([]Group, error) {
	bins := f.BinCount()
	lo, hi := *f.Min, *f.Max
	width := (hi - lo) / float64(bins)
	out := make([]Group, 0, bins)
	for b := 0; b < bins; b++ {
		k := cloneKey(key)
		k["bin"] = fmt.Sprintf("%g..%g", lo+float64(b)*width, lo+float64(b+1)*width)
		g := Group{Key: k}
		switch {
		case counts[b] < d.MinCohort:
			g.Suppressed = true
		case d.Epsilon == 0:
			v := float64(counts[b])
			g.Value = &v
		default:
			n, err := noisyCount(counts[b], d.Epsilon)
			if err != nil {
				return nil, err
			}
			v := float64(n)
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
func exactValue(agg string, c cell) float64 {
	switch {
	case agg == AggCount:
		return float64(c.members)
	case agg == AggMean && c.members > 0:
		return c.sum / float64(c.members)
	}
	return c.sum
}
