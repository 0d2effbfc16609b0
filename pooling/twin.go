package pooling

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"coop/raftdata"
)

// The synthetic twin (CNIL recommendation on APIs: a twin API over
// fictitious data lets reusers experiment before asking for real data).
// It is generated from the pool's schema alone — bounds, categories,
// months — never fitted to members' data, so it reveals nothing about
// them. Its answers spend no budget and carry noise only when asked (the
// noise of a chosen epsilon); every answer is labelled synthetic.

// TwinMembers is how many synthetic members a twin has.
const TwinMembers = 500

// twinMonths is how many months of records each synthetic member has when
// the pool has a month field.
const twinMonths = 12

// twins holds one generated twin per pool, in memory.
type twins struct {
	mu  sync.Mutex
	dbs map[string]*sql.DB
	now func() time.Time
}

// SandboxAnswer is an answer over the synthetic twin.
type SandboxAnswer struct {
	Synthetic bool    `json:"synthetic"`
	Pool      string  `json:"pool"`
	Groups    []Group `json:"groups"`
	// Members is the number of synthetic members the query drew on (the
	// twin's own count: synthetic, it reveals nothing).
	Members int `json:"members"`
	// Epsilon is the budget whose noise the answer shows (0: exact).
	Epsilon float64 `json:"epsilon,omitempty"`
	// Noisy says whether the figures carry noise drawn at Epsilon, or are
	// the twin's exact figures with the intervals that noise would give.
	Noisy bool   `json:"noisy"`
	Note  string `json:"note"`
}

// SandboxOptions say how to show the twin.
type SandboxOptions struct {
	// MinCohort suppresses groups as a grant would (at least 2).
	MinCohort int
	// Epsilon, when above 0, is the budget of one run: each figure gets its
	// 95 % interval at that budget.
	Epsilon float64
	// Expected keeps the twin's figures exact, with the intervals the noise
	// would give (a preview of the expected error); otherwise the noise is
	// drawn, as a real run would draw it.
	Expected bool
	// SizeLike, when above 0, scales every count and sum to a group of
	// that many members (the twin sized like the real pool).
	SizeLike int
}

// maxSandboxEpsilon bounds the budget a sandbox answer shows.
const maxSandboxEpsilon = 100

// Sandbox runs a query over the pool's synthetic twin, with the
// suppression and, at a chosen epsilon, the noise of a real run, so that
// a researcher sees group sizes, suppressed groups and the error to expect
// before asking.
func (s *Service) Sandbox(ctx context.Context, poolID string, q Query, o SandboxOptions) (SandboxAnswer, error) {
	if o.Epsilon < 0 || o.Epsilon > maxSandboxEpsilon || math.IsNaN(o.Epsilon) {
		return SandboxAnswer{}, raftdata.Refuse(raftdata.CodeInvalid, "sandbox_epsilon", "epsilon must be within 0..%d, got %g", maxSandboxEpsilon, o.Epsilon).
			With("max", maxSandboxEpsilon).With("got", o.Epsilon).On("epsilon")
	}
	p, err := s.Pool(ctx, poolID)
	if err != nil {
		return SandboxAnswer{}, err
	}
	if err := p.ValidateQuery(q); err != nil {
		return SandboxAnswer{}, err
	}
	db, err := s.twin(p)
	if err != nil {
		return SandboxAnswer{}, err
	}
	opts := options{parallel: 1, draw: !o.Expected}
	if o.SizeLike > 0 {
		opts.scale = float64(o.SizeLike) / TwinMembers
	}
	ans, err := aggregate(ctx, db, p, q, Disclosure{MinCohort: max(o.MinCohort, 2), Epsilon: o.Epsilon}, opts)
	if err != nil {
		return SandboxAnswer{}, err
	}
	return SandboxAnswer{Synthetic: true, Pool: p.ID, Groups: ans.Groups, Members: len(ans.Members), Epsilon: o.Epsilon,
		Noisy: o.Epsilon > 0 && !o.Expected,
		Note:  "synthetic data generated from the pool's schema; no member's data was read"}, nil
}

// Swamped tells whether the noise of a figure would drown it: its 95 %
// interval reaches further than half the figure from it. It returns how
// far the interval reaches on its longer side (the "±": a count's
// interval stops at zero, its upper side does not).
func Swamped(g Group) (float64, bool) {
	if g.Suppressed || g.Value == nil || g.CI == nil {
		return 0, false
	}
	v := *g.Value
	reach := math.Max(v-g.CI[0], g.CI[1]-v)
	return reach, reach > math.Abs(v)/2
}

func (s *Service) twin(p Pool) (*sql.DB, error) {
	s.twins.mu.Lock()
	defer s.twins.mu.Unlock()
	if s.twins.dbs == nil {
		s.twins.dbs = map[string]*sql.DB{}
	}
	if db, ok := s.twins.dbs[p.ID]; ok {
		return db, nil
	}
	db, err := generateTwin(p, s.twins.clock())
	if err != nil {
		return nil, fmt.Errorf("generate the twin of %s: %w", p.ID, err)
	}
	s.twins.dbs[p.ID] = db
	return db, nil
}

func (t *twins) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// generateTwin fills an in-memory SQLite database, with pooling's own
// tables, with synthetic members and records drawn from the schema. The
// random source is seeded from the pool's fields (its schema, not its id:
// two pools of the same schema have the same twin), so a twin is the same on
// every node and every run.
func generateTwin(p Pool, now time.Time) (*sql.DB, error) {
	// A name of its own: several nodes may run in one process (tests).
	db, err := sql.Open("sqlite3", "file:twin-"+raftdata.NewID()+"?mode=memory&cache=shared&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, err
	}
	if err := createRecordsTable(db, p); err != nil {
		db.Close()
		return nil, err
	}
	h := fnv.New64a()
	fields, _ := json.Marshal(p.Fields)
	h.Write(fields)
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x636f6f70))
	months := twinMonthsOf(p, now)
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return nil, err
	}
	ins, _ := tx.Prepare(insertRecordSQL(p))
	cons, _ := tx.Prepare(`INSERT INTO pooling_consents(member_key, pool, granted, changed_at) VALUES(?,?,1,0)`)
	for m := 0; m < TwinMembers; m++ {
		key := fmt.Sprintf("synthetic-%04d", m)
		if _, err := cons.Exec(key, p.ID); err != nil {
			tx.Rollback()
			db.Close()
			return nil, err
		}
		// Each member keeps their categories; numbers vary around a
		// level of their own, within the field's bounds.
		fixed := map[string]any{}
		level := map[string]float64{}
		for _, f := range p.Fields {
			switch f.Type {
			case TypeCategory:
				fixed[f.Name] = f.Values[rng.IntN(len(f.Values))]
			case TypeNumber:
				level[f.Name] = *f.Min + (*f.Max-*f.Min)*(0.2+0.6*rng.Float64())
			}
		}
		for i, month := range months {
			rec := Record{}
			for _, f := range p.Fields {
				switch f.Type {
				case TypeCategory:
					rec[f.Name] = fixed[f.Name]
				case TypeMonth:
					rec[f.Name] = month
				case TypeNumber:
					spread := (*f.Max - *f.Min) * 0.1
					v := level[f.Name] + spread*(rng.Float64()*2-1)
					rec[f.Name] = min(max(v, *f.Min), *f.Max)
				}
			}
			data, _ := json.Marshal(rec)
			if _, err := ins.Exec(key, fmt.Sprintf("%s-%d", key, i), string(data), 0); err != nil {
				tx.Rollback()
				db.Close()
				return nil, err
			}
		}
	}
	ins.Close()
	cons.Close()
	if err := tx.Commit(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// twinMonthsOf lists the months of each synthetic member's records: the
// last twinMonths months of the first month field's declared range, or
// else the twinMonths months before now; [""] without a month field.
func twinMonthsOf(p Pool, now time.Time) []string {
	for _, f := range p.Fields {
		if f.Type != TypeMonth {
			continue
		}
		if r := f.Months(); r != nil {
			return r[max(0, len(r)-twinMonths):]
		}
		var out []string
		start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		for i := twinMonths; i >= 1; i-- {
			out = append(out, start.AddDate(0, -i, 0).Format(monthLayout))
		}
		return out
	}
	return []string{""}
}
