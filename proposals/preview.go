package proposals

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

// The preview before a vote: what the query would produce, on the pool's
// synthetic twin sized like the real pool, with the error the noise of
// one run would leave on each figure, and a warning where it would drown
// the figure. The size of the real pool is a noisy count, shown to
// members on open proposals only, drawn at most once per pool and day (of
// the committed clock) and kept: polling the preview learns nothing more
// that day. Each count is paid from the pool's yearly preview budget
// (rulebook: preview_epsilon, max_preview_epsilon_per_pool_per_year);
// once it is spent, the last count stays on show with its day.

const cmdPreviewCounted = "proposal.preview_counted"

// Preview is what members see before they vote.
type Preview struct {
	// MembersInScopeNoisy is the noisy count of the members who consent to
	// the pool, and CountedOn the day it was drawn (members, open
	// proposals).
	MembersInScopeNoisy *int64 `json:"members_in_scope_noisy,omitempty"`
	CountedOn           string `json:"members_counted_on,omitempty"`
	// Twin is the answer on the synthetic twin, its figures exact and sized
	// like the real pool, each with the 95 % interval one run's noise
	// would give at the proposal's epsilon per query.
	Twin pooling.SandboxAnswer `json:"twin"`
	// Warnings name the figures the noise would drown.
	Warnings      []NoiseWarning `json:"warnings"`
	MinCohort     int            `json:"min_cohort"`
	EpsilonTotal  float64        `json:"epsilon_total"`
	EpsilonPerRun float64        `json:"epsilon_per_query"`
	Runs          int            `json:"runs"` // how many times the query may run
}

// NoiseWarning is a figure whose expected error is more than half of it.
type NoiseWarning struct {
	Key       map[string]string `json:"key"`
	Value     float64           `json:"value"`
	PlusMinus float64           `json:"plus_minus"`
}

// Preview describes a knowledge or reuse proposal's query before the vote,
// as actor may see it.
func (s *Service) Preview(ctx context.Context, actor members.Account, id string) (Preview, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return Preview{}, err
	}
	if p.Query == nil || p.Privacy == nil {
		return Preview{}, raftdata.Refuse(raftdata.CodeInvalid, "nothing_to_preview", "an amendment reads no data: there is nothing to preview")
	}
	out := Preview{Warnings: []NoiseWarning{}, MinCohort: p.Privacy.MinCohort, EpsilonTotal: p.Privacy.EpsilonTotal,
		EpsilonPerRun: p.Privacy.EpsilonPerQuery, Runs: int(roundEps(p.Privacy.EpsilonTotal/p.Privacy.EpsilonPerQuery) + 1e-9)}
	size := 0
	if p.Status == StatusOpen && actor.Active() && actor.Has(members.RoleMember) {
		count, err := s.previewCount(ctx, p.Pool)
		if err != nil {
			return Preview{}, err
		}
		if count != nil {
			out.MembersInScopeNoisy, out.CountedOn = &count.Count, count.Day
			size = int(max(count.Count, 1))
		}
	}
	out.Twin, err = s.pooling.Sandbox(ctx, p.Pool, *p.Query, pooling.SandboxOptions{MinCohort: p.Privacy.MinCohort,
		Epsilon: p.Privacy.EpsilonPerQuery, Expected: true, SizeLike: size})
	if err != nil {
		return Preview{}, err
	}
	for _, g := range out.Twin.Groups {
		if half, swamped := pooling.Swamped(g); swamped {
			out.Warnings = append(out.Warnings, NoiseWarning{Key: g.Key, Value: *g.Value, PlusMinus: half})
		}
	}
	return out, nil
}

// PreviewCount is a pool's noisy count of consenting members, drawn on Day.
type PreviewCount struct {
	Count int64  `json:"count"`
	Day   string `json:"day"`
}

// previewCount returns the pool's count of the day, drawing it if none
// was drawn yet (the first node to commit one wins: the others' draws are
// never shown); once the yearly budget is spent, the last count drawn, or
// nil if there never was one.
func (s *Service) previewCount(ctx context.Context, pool string) (*PreviewCount, error) {
	today := s.now().UTC().Format(time.DateOnly)
	if c, err := s.storedPreviewCount(ctx, pool, today); err != nil || c != nil {
		return c, err
	}
	rules, err := governance.New(s.store).Current(ctx)
	if err != nil {
		return nil, err
	}
	eps := rules.Rules.Disclosure.PreviewEpsilonPerCount()
	n, err := s.pooling.NoisyConsentCount(ctx, pool, eps)
	if err != nil {
		return nil, err
	}
	raw, err := s.store.Apply(ctx, cmdPreviewCounted, previewCountPayload{Pool: pool, Count: n, Epsilon: eps})
	if raftdata.ErrorCode(err) == raftdata.CodeConflict {
		return s.storedPreviewCount(ctx, pool, "")
	}
	if err != nil {
		return nil, err
	}
	var c PreviewCount
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// storedPreviewCount reads the pool's count of day, or its latest with
// day "".
func (s *Service) storedPreviewCount(ctx context.Context, pool, day string) (*PreviewCount, error) {
	var c PreviewCount
	err := s.store.DB().QueryRowContext(ctx, `SELECT count, day FROM proposals_preview_counts WHERE pool = ? AND (? = '' OR day = ?) ORDER BY day DESC LIMIT 1`,
		pool, day, day).Scan(&c.Count, &c.Day)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the preview count: %w", err)
	}
	return &c, nil
}

type previewCountPayload struct {
	Pool    string  `json:"pool"`
	Count   int64   `json:"count"`   // noisy, drawn by the proposing node
	Epsilon float64 `json:"epsilon"` // the price it was drawn at
}

// applyPreviewCounted keeps the first count of a pool's day (of the
// committed clock) and charges it to the pool's yearly preview budget;
// a later count of the same day is answered with the first.
func applyPreviewCounted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p previewCountPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	now := tx.Clock()
	day := now.Format(time.DateOnly)
	var c PreviewCount
	err := tx.QueryRow(`SELECT count, day FROM proposals_preview_counts WHERE pool = ? AND day = ?`, p.Pool, day).Scan(&c.Count, &c.Day)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return nil, err
	}
	d := rules.Disclosure
	if p.Epsilon != d.PreviewEpsilonPerCount() || p.Count < 0 {
		return nil, raftdata.Malformed("a preview count is drawn at the rulebook's preview_epsilon (%g), not %g", d.PreviewEpsilonPerCount(), p.Epsilon)
	}
	var spent float64
	if err := tx.QueryRow(`SELECT COALESCE(SUM(epsilon), 0) FROM proposals_preview_counts WHERE pool = ? AND at > ?`,
		p.Pool, now.AddDate(-1, 0, 0).UnixNano()).Scan(&spent); err != nil {
		return nil, err
	}
	if roundEps(spent+p.Epsilon) > roundEps(d.PreviewEpsilonPerPoolYear()) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "preview_budget_spent", "the preview budget of the pool %q is spent for the year (%g of %g)", p.Pool, spent, d.PreviewEpsilonPerPoolYear())
	}
	if _, err := tx.Exec(`INSERT INTO proposals_preview_counts(pool, day, count, epsilon, at) VALUES(?,?,?,?,?)`,
		p.Pool, day, p.Count, p.Epsilon, now.UnixNano()); err != nil {
		return nil, err
	}
	return PreviewCount{Count: p.Count, Day: day}, nil
}
