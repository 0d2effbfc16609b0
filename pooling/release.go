package pooling

import (
	"fmt"
	"math"

	"github.com/google/differential-privacy/go/v3/dpagg"
	"github.com/google/differential-privacy/go/v3/noise"

	"coop/raftdata"
)

// How a group becomes released figures (Google's dpagg, Laplace noise).
//
// The budget of a release, epsilon, is split once per query:
//   - where the groups are not all public (a month field without a
//     declared range), half goes to choosing them: each candidate group
//     is kept by DP partition selection (dpagg.PreAggSelectPartition, with
//     delta selectionDelta), so a lone member's month shows only with a
//     probability below delta;
//   - the rest goes to the figures: a count spends it on the noisy count
//     of members; a sum or a mean spends half on that count and half on a
//     noisy sum on the field's fixed-point grid (dpagg.BoundedSumInt64); a
//     histogram spends it on the noisy count of each bin.
//
// Every count, sum and bin is scaled to l0, the number of groups one
// member can reach (1 without a group field). A figure is suppressed when
// its noisy count is under the minimum cohort: the decision is a function
// of the noisy count alone. The 95 % interval of each figure follows from
// the noise's scale (no budget).

// selectionDelta is the delta of DP partition selection: the probability
// bound of a group showing that only one member makes.
const selectionDelta = 1e-7

// ciAlpha: intervals hold the true figure with 95 % probability.
const ciAlpha = 0.05

// grid is a number field's fixed-point grid: each member's value is
// snapped to a multiple of step (an integer number of units), so sums are
// exact integers and the noise is added to an integer.
type grid struct {
	lo, hi         float64
	step           float64
	glo, ghi, gmid int64 // lo, hi and their midpoint in units
	decimals       int   // of step, to print figures without float dust
}

// newGrid picks a power of ten fine enough for the field (a millionth of
// its range or finer) while units stay below 2^40, so a sum over millions
// of members fits an int64.
func newGrid(lo, hi float64) grid {
	span := (hi - lo) / 1e6
	mag := max(math.Abs(lo), math.Abs(hi)) / (1 << 40)
	step := math.Pow(10, math.Ceil(math.Log10(max(span, mag))))
	g := grid{lo: lo, hi: hi, step: step, glo: int64(math.Round(lo / step)), ghi: int64(math.Round(hi / step))}
	g.gmid = int64(math.Floor(float64(g.glo+g.ghi) / 2))
	g.decimals = max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	return g
}

// value turns units into the field's unit, rounded to the grid.
func (g grid) value(units float64) float64 {
	p := math.Pow(10, float64(g.decimals))
	return math.Round(units*g.step*p) / p
}

// releaser turns cells into released groups for one query.
type releaser struct {
	agg      string
	d        Disclosure
	draw     bool
	exact    bool // no noise and no interval (the twin at epsilon 0)
	l0       int64
	epsSel   float64
	epsCount float64
	epsSum   float64
	grid     grid
}

func newReleaser(pl plan, d Disclosure, draw bool) releaser {
	r := releaser{agg: pl.query.Aggregate, d: d, draw: draw && d.Epsilon > 0, exact: !(d.Epsilon > 0), l0: pl.l0, grid: pl.grid}
	eps := d.Epsilon
	if !pl.public {
		r.epsSel = eps / 2
		eps -= r.epsSel
	}
	switch r.agg {
	case AggSum, AggMean:
		r.epsCount, r.epsSum = eps/2, eps/2
	default:
		r.epsCount = eps
	}
	return r
}

// keepPartition decides with differential privacy whether a group found
// in the data is released at all.
func (r releaser) keepPartition(members int) (bool, error) {
	if !r.draw {
		return members > 0, nil
	}
	s, err := dpagg.NewPreAggSelectPartition(&dpagg.PreAggSelectPartitionOptions{Epsilon: r.epsSel, Delta: selectionDelta, MaxPartitionsContributed: r.l0})
	if err != nil {
		return false, fmt.Errorf("partition selection: %w", err)
	}
	if err := s.IncrementBy(int64(members)); err != nil {
		return false, err
	}
	return s.ShouldKeepPartition()
}

// release computes a group's figures: one group, or a histogram's bins.
// It returns them with the sum of their noisy member counts.
func (r releaser) release(key map[string]string, c cell, f Field) ([]Group, int64, error) {
	if r.agg == AggHistogram {
		return r.histogram(key, c, f)
	}
	g := Group{Key: key}
	n, err := r.count(c.members)
	if err != nil {
		return nil, 0, err
	}
	if n < int64(r.d.MinCohort) {
		g.Suppressed = true
		return []Group{g}, max(n, 0), nil
	}
	switch r.agg {
	case AggCount:
		g.Value, g.CI = ptrFloat(float64(n)), r.countCI(n, ciAlpha)
	case AggSum:
		err = r.sum(c, &g)
	case AggMean:
		err = r.mean(c, n, &g)
	default:
		err = raftdata.Refuse(raftdata.CodeInvalid, "unknown_aggregate", "unknown aggregate %q", r.agg).On("aggregate")
	}
	if r.agg != AggCount {
		g.MembersNoisy = &n
	}
	return []Group{g}, n, err
}

// count is the noisy count of members (exact when not drawing), never
// below zero.
func (r releaser) count(members int) (int64, error) {
	if !r.draw {
		return int64(members), nil
	}
	c, err := dpagg.NewCount(&dpagg.CountOptions{Epsilon: r.epsCount, MaxPartitionsContributed: r.l0, Noise: noise.Laplace()})
	if err != nil {
		return 0, err
	}
	if err := c.IncrementBy(int64(members)); err != nil {
		return 0, err
	}
	n, err := c.Result()
	return max(n, 0), err
}

// countCI is the interval around a count n.
func (r releaser) countCI(n int64, alpha float64) *[2]float64 {
	if r.exact {
		return nil
	}
	ci, err := noise.Laplace().ComputeConfidenceIntervalInt64(n, r.l0, 1, r.epsCount, 0, alpha)
	if err != nil {
		return nil
	}
	return &[2]float64{math.Max(0, ci.LowerBound), math.Max(0, ci.UpperBound)}
}

// noisySum is the noisy sum, in units, of members values whose exact sum
// is total, each within lower..upper. The library takes one value per
// member: total is spread over them (values of total/members, rounded
// down or up, all within the bounds), which gives it the same sum; it
// clamps each value and scales the noise to the bounds and l0.
func (r releaser) noisySum(total int64, members int, lower, upper int64) (int64, error) {
	if !r.draw {
		return total, nil
	}
	s, err := dpagg.NewBoundedSumInt64(&dpagg.BoundedSumInt64Options{Epsilon: r.epsSum, MaxPartitionsContributed: r.l0, Lower: lower, Upper: upper, Noise: noise.Laplace()})
	if err != nil {
		return 0, err
	}
	if members > 0 {
		q := floorDiv(total, int64(members))
		extra := total - q*int64(members) // members getting q+1
		for i := int64(0); i < int64(members); i++ {
			v := q
			if i < extra {
				v++
			}
			if err := s.Add(v); err != nil {
				return 0, err
			}
		}
	}
	return s.Result()
}

// sumCI is the interval around a sum s (units) within lower..upper each.
func (r releaser) sumCI(s int64, lower, upper int64, alpha float64) (lo, hi float64, ok bool) {
	if r.exact {
		return 0, 0, false
	}
	ci, err := noise.Laplace().ComputeConfidenceIntervalInt64(s, r.l0, max(abs64(lower), abs64(upper)), r.epsSum, 0, alpha)
	if err != nil {
		return 0, 0, false
	}
	lo, hi = ci.LowerBound, ci.UpperBound
	if lower >= 0 {
		lo, hi = math.Max(0, lo), math.Max(0, hi)
	}
	if upper <= 0 {
		lo, hi = math.Min(0, lo), math.Min(0, hi)
	}
	return lo, hi, true
}

func (r releaser) sum(c cell, g *Group) error {
	s, err := r.noisySum(c.units, c.members, r.grid.glo, r.grid.ghi)
	if err != nil {
		return err
	}
	g.Value = ptrFloat(r.grid.value(float64(s)))
	if lo, hi, ok := r.sumCI(s, r.grid.glo, r.grid.ghi, ciAlpha); ok {
		g.CI = &[2]float64{r.grid.value(lo), r.grid.value(hi)}
	}
	return nil
}

// mean is Google's bounded mean, with the group's noisy count n (the one
// its suppression used) as the denominator: the midpoint plus the noisy
// sum of the members' distances to it over n, within the bounds. Its
// interval combines the count's and the sum's, each at half the
// probability of error: the true mean lies between the corners.
func (r releaser) mean(c cell, n int64, g *Group) error {
	gr := r.grid
	lower, upper := gr.glo-gr.gmid, gr.ghi-gr.gmid
	ns, err := r.noisySum(c.units-int64(c.members)*gr.gmid, c.members, lower, upper)
	if err != nil {
		return err
	}
	at := func(sum, count float64) float64 {
		return math.Min(math.Max(float64(gr.gmid)+sum/math.Max(count, 1), float64(gr.glo)), float64(gr.ghi))
	}
	g.Value = ptrFloat(gr.value(at(float64(ns), float64(n))))
	countCI := r.countCI(n, ciAlpha/2)
	slo, shi, ok := r.sumCI(ns, lower, upper, ciAlpha/2)
	if countCI == nil || !ok {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range []float64{slo, shi} {
		for _, k := range countCI {
			v := at(s, k)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	g.CI = &[2]float64{gr.value(lo), gr.value(hi)}
	return nil
}

// histogram releases the members per bin of their value in the group.
// Each member falls in one bin per group; every bin is a cell, suppressed
// when its noisy count is under the minimum cohort.
func (r releaser) histogram(key map[string]string, c cell, f Field) ([]Group, int64, error) {
	bins := f.BinCount()
	lo, hi := *f.Min, *f.Max
	width := (hi - lo) / float64(bins)
	out := make([]Group, 0, bins)
	var total int64
	for b := 0; b < bins; b++ {
		k := cloneKey(key)
		k["bin"] = fmt.Sprintf("%g..%g", lo+float64(b)*width, lo+float64(b+1)*width)
		g := Group{Key: k}
		members := 0
		if b < len(c.bins) {
			members = c.bins[b]
		}
		n, err := r.count(members)
		if err != nil {
			return nil, 0, err
		}
		total += n
		if n < int64(r.d.MinCohort) {
			g.Suppressed = true
		} else {
			g.Value, g.CI = ptrFloat(float64(n)), r.countCI(n, ciAlpha)
		}
		out = append(out, g)
	}
	return out, total, nil
}

func ptrFloat(f float64) *float64 { return &f }

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// floorDiv is a/b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
