package proposals

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

// Result is a released answer with its budget figures and the consent set
// it read. A reuse result past its retention is deleted: its groups are
// gone and DeletedAt says when (the requester must delete their copies).
type Result struct {
	Run          string              `json:"run"`
	Proposal     string              `json:"proposal"`
	At           time.Time           `json:"at"`
	Groups       []pooling.Group     `json:"groups"`
	EpsilonSpent float64             `json:"epsilon_spent"`
	BudgetLeft   float64             `json:"budget_left"`
	ConsentSet   *pooling.ConsentSet `json:"consent_set,omitempty"`
	// KeptUntil (reuse): when the coop deletes this result.
	KeptUntil *time.Time `json:"kept_until,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// RunQuery runs the query a passed proposal unlocked. q, when given, must
// be exactly the voted query. The epsilon is debited through the log
// first, with the consent set the run reads; only then is the answer
// computed (on this node, after catching up with the debit) and released,
// and the release is journaled for every member it drew on.
func (s *Service) RunQuery(ctx context.Context, actor members.Account, id string, q *pooling.Query) (Result, error) {
	if err := requireActive(actor); err != nil {
		return Result{}, err
	}
	// A run is rare and costly: read the latest state (the vote may have
	// closed on the leader a moment ago).
	if err := s.store.Sync(ctx); err != nil {
		return Result{}, err
	}
	p, err := s.Get(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if p.Status != StatusPassed && p.Status != StatusExpired {
		return Result{}, raftdata.Refuse(raftdata.CodeForbidden, "not_passed_query", "this proposal is %s: only a passed proposal unlocks its query", p.Status).With("proposal_status", p.Status)
	}
	if p.Query == nil {
		return Result{}, raftdata.Refuse(raftdata.CodeForbidden, "no_query", "an amendment unlocks no query")
	}
	query := *p.Query
	if q != nil {
		query = *q
	}
	raw, err := s.store.Apply(ctx, cmdQueryDebited, debitPayload{Run: raftdata.NewID()[:16], Proposal: id, Account: actor.ID, Query: query})
	if err != nil {
		return Result{}, err
	}
	var debit Debit
	if err := json.Unmarshal(raw, &debit); err != nil {
		return Result{}, err
	}
	pool, err := pooling.PoolIn(s.store.DB(), debit.Pool)
	if err != nil {
		return Result{}, err
	}
	ans, err := pooling.Aggregate(ctx, s.store.DB(), pool, query, pooling.Disclosure{MinCohort: debit.MinCohort, Epsilon: debit.Epsilon}, debit.Run)
	if err != nil {
		return Result{}, err
	}
	groups, _ := json.Marshal(ans.Groups)
	if _, err := s.store.Apply(ctx, cmdRunReleased, releasePayload{Run: debit.Run, Result: groups, Members: ans.Members, MembersNoisy: ans.MembersNoisy}); err != nil {
		return Result{}, err
	}
	set := debit.ConsentSet
	r := Result{Run: debit.Run, Proposal: id, At: debit.At, Groups: ans.Groups, EpsilonSpent: debit.Epsilon, BudgetLeft: debit.BudgetLeft, ConsentSet: &set}
	if p.Grant != nil && p.Grant.RetentionDays > 0 {
		r.KeptUntil = keptUntil(r.At, p.Grant.RetentionDays)
	}
	return r, nil
}

func keptUntil(at time.Time, days int) *time.Time {
	t := at.AddDate(0, 0, days)
	return &t
}

// Results lists the released runs of a proposal: for a knowledge proposal
// every member may read them; for a reuse proposal only the requester.
func (s *Service) Results(ctx context.Context, actor members.Account, id string) ([]Result, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Kind == governance.Reuse && actor.ID != p.Requester {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "reuse_results", "the results of a reuse proposal go to its requester only")
	}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT id, at, epsilon, result, consent_index, consent_hash, deleted_at
		FROM proposals_runs WHERE proposal = ? AND (result <> '' OR deleted_at IS NOT NULL) ORDER BY at DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Result{}
	for rows.Next() {
		var r Result
		var at int64
		var res string
		var set pooling.ConsentSet
		var deleted sql.NullInt64
		if err := rows.Scan(&r.Run, &at, &r.EpsilonSpent, &res, &set.Index, &set.Hash, &deleted); err != nil {
			return nil, err
		}
		r.Proposal, r.At, r.Groups = id, time.Unix(0, at).UTC(), []pooling.Group{}
		if set.Hash != "" {
			r.ConsentSet = &set
		}
		r.DeletedAt = optTime(deleted) // a result deleted past its retention has no groups
		if r.DeletedAt == nil {
			if err := json.Unmarshal([]byte(res), &r.Groups); err != nil {
				return nil, err
			}
		}
		if p.Grant != nil && p.Grant.RetentionDays > 0 {
			r.KeptUntil = keptUntil(r.At, p.Grant.RetentionDays)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
