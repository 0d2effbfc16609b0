package pooling

import (
	"context"
	"database/sql"
	"math"
	"runtime"
	"slices"
	"strings"

	"coop/raftdata"
)

// Disclosure is what a release may reveal: Epsilon is the privacy budget
// of the release (the debit of one query run), and a figure is shown only
// when the NOISY count of the members behind it reaches MinCohort (never
// decided on an exact count). Noise is Google's differential-privacy
// library's, drawn on a discrete grid: it cannot leak through floating
// point.
type Disclosure struct {
	MinCohort int
	Epsilon   float64
}

// Group is one cell of an answer: its key (field to value), and, unless it
// is suppressed, its value with the 95 % interval the noise leaves around
// it (CI). A sum or a mean also carries the noisy count of its members.
type Group struct {
	Key          map[string]string `json:"key"`
	Value        *float64          `json:"value,omitempty"`
	CI           *[2]float64       `json:"ci,omitempty"`
	MembersNoisy *int64            `json:"members_noisy,omitempty"`
	Suppressed   bool              `json:"suppressed,omitempty"`
}

// Answer is a released aggregate. Members (the keys of the members it drew
// on, for the access journal) never leave the engine's callers;
// MembersNoisy, the sum of the groups' noisy member counts (a member
// reaching several groups counts in each), is what operators may see of
// its size.
type Answer struct {
	Groups       []Group  `json:"groups"`
	MembersNoisy int64    `json:"-"`
	Members      []string `json:"-"`
}

// maxPartitionsPerMember bounds how many groups one member's data may
// reach in one query; a member beyond it keeps only the first groups (in
// key order). A query's l0 is the number of groups a member can reach,
// at most this.
const maxPartitionsPerMember = 12

// Aggregate runs q over the records of the members of a run's consent set
// (FixConsentSetIn). The privacy unit is the member: each member's records
// in a group are first reduced to one value (their mean, clamped to the
// field's bounds), so one person moves a count by at most 1 and a sum by
// at most the field's largest bound, in each of the l0 groups they can
// reach; the noise is scaled to that.
func Aggregate(ctx context.Context, db *sql.DB, p Pool, q Query, d Disclosure, consentSet string) (Answer, error) {
	if d.MinCohort < 2 || !(d.Epsilon > 0) || math.IsInf(d.Epsilon, 0) {
		return Answer{}, raftdata.Malformed("a release needs a minimum cohort of at least 2 and a positive epsilon")
	}
	if consentSet == "" {
		return Answer{}, raftdata.Malformed("a release reads the consent set its debit fixed")
	}
	return aggregate(ctx, db, p, q, d, options{set: consentSet, parallel: min(maxParallelReads, runtime.GOMAXPROCS(0)), draw: true})
}

// maxParallelReads bounds how many member ranges one aggregate reads at
// once (one connection and one core each).
const maxParallelReads = 4

// options of one computation.
type options struct {
	set      string // the consent set read; "" the pool's consents now (the twin only)
	parallel int    // member ranges read at once
	// draw adds noise; without it the figures are exact and the intervals
	// those the noise would give at d.Epsilon (the twin's previews). With
	// d.Epsilon 0 too, nothing is noisy and no interval is given.
	draw bool
	// scale multiplies the counts and sums of every group: the twin sized
	// like the real group (0: 1).
	scale float64
}

// aggregate computes an answer over db.
func aggregate(ctx context.Context, db *sql.DB, p Pool, q Query, d Disclosure, o options) (Answer, error) {
	if err := p.ValidateQuery(q); err != nil {
		return Answer{}, err
	}
	pl := newPlan(p, q, o.set)
	if err := checkRecordsTable(ctx, db, p.ID); err != nil {
		return Answer{}, err
	}
	got, err := readInRanges(ctx, db, max(o.parallel, 1), pl.read)
	if err != nil {
		return Answer{}, err
	}
	ans := Answer{Members: got.members, Groups: []Group{}}
	if ans.Members == nil {
		ans.Members = []string{}
	}
	rel := newReleaser(pl, d, o.draw)
	field, _ := p.Field(q.Field)
	for _, key := range pl.groupKeys(got.cells) {
		c := got.cells[key]
		if c == nil {
			c = &cell{bins: make([]int, pl.bins)}
		}
		if o.scale > 0 {
			c = c.scaled(o.scale)
		}
		if !pl.public {
			keep, err := rel.keepPartition(c.members)
			if err != nil {
				return Answer{}, err
			}
			if !keep {
				continue
			}
		}
		groups, noisy, err := rel.release(decodeKey(q.GroupBy, key), *c, field)
		if err != nil {
			return Answer{}, err
		}
		ans.Groups = append(ans.Groups, groups...)
		ans.MembersNoisy += noisy
	}
	return ans, nil
}

// groupKeys lists the groups an answer may report, in the schema's order:
// every combination of the group fields' public values (an empty group
// shows as suppressed, not as missing, so the key set says nothing of the
// data). Where a month field has no declared range, its months are those
// of the cells, and only combinations with members are candidates: the
// engine then selects them with differential privacy.
func (pl plan) groupKeys(cells map[string]*cell) []string {
	if len(pl.query.GroupBy) == 0 {
		return []string{""}
	}
	combos := [][]string{{}}
	for i, d := range pl.domains {
		values := d.values
		if !d.public {
			seen := map[string]bool{}
			for key := range cells {
				seen[strings.Split(key, "\x00")[i]] = true
			}
			values = make([]string, 0, len(seen))
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
	keys := make([]string, 0, len(combos))
	for _, c := range combos {
		key := strings.Join(c, "\x00")
		if pl.public || cells[key] != nil {
			keys = append(keys, key)
		}
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

// scaled is the cell with its counts and sums multiplied by f.
func (c *cell) scaled(f float64) *cell {
	out := &cell{members: int(math.Round(float64(c.members) * f)), units: int64(math.Round(float64(c.units) * f))}
	for _, b := range c.bins {
		out.bins = append(out.bins, int(math.Round(float64(b)*f)))
	}
	return out
}

func cloneKey(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
