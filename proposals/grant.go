package proposals

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coop/governance"
	"coop/pooling"
	"coop/raftdata"
)

// Grant is what a passed knowledge or reuse proposal unlocks: one query,
// with a privacy budget, until it expires.
type Grant struct {
	Pool            string        `json:"pool"`
	Query           pooling.Query `json:"query"`
	MinCohort       int           `json:"min_cohort"`
	EpsilonTotal    float64       `json:"epsilon_total"`
	EpsilonPerQuery float64       `json:"epsilon_per_query"`
	EpsilonSpent    float64       `json:"epsilon_spent"`
	BudgetLeft      float64       `json:"budget_left"`
	StartsAt        time.Time     `json:"starts_at"`
	ExpiresAt       time.Time     `json:"expires_at"`
	// RetentionDays (reuse): how long the coop keeps each run's result;
	// past it the result is deleted and the requester must delete theirs.
	RetentionDays int `json:"retention_days,omitempty"`
}

func grantIn(q queryer, proposal string) (Grant, error) {
	var g Grant
	var query string
	var starts, expires int64
	err := q.QueryRow(`SELECT pool, query, min_cohort, epsilon_total, epsilon_per_query, epsilon_spent, starts_at, expires_at, retention_days
		FROM proposals_grants WHERE proposal = ?`, proposal).Scan(&g.Pool, &query, &g.MinCohort, &g.EpsilonTotal, &g.EpsilonPerQuery, &g.EpsilonSpent, &starts, &expires, &g.RetentionDays)
	if errors.Is(err, sql.ErrNoRows) {
		return g, raftdata.Refuse(raftdata.CodeForbidden, "not_passed_query", "this proposal has not passed: it unlocks no query")
	}
	if err != nil {
		return g, fmt.Errorf("read grant %s: %w", proposal, err)
	}
	if err := json.Unmarshal([]byte(query), &g.Query); err != nil {
		return g, fmt.Errorf("decode grant %s: %w", proposal, err)
	}
	g.StartsAt, g.ExpiresAt = time.Unix(0, starts).UTC(), time.Unix(0, expires).UTC()
	g.BudgetLeft = max(roundEps(g.EpsilonTotal-g.EpsilonSpent), 0)
	return g, nil
}

// roundEps keeps budget arithmetic free of float dust (0.1+0.2...).
func roundEps(e float64) float64 { return float64(int64(e*1e9+0.5)) / 1e9 }

type debitPayload struct {
	Run      string        `json:"run"`
	Proposal string        `json:"proposal"`
	Account  string        `json:"account"`
	Query    pooling.Query `json:"query"`
}

// Debit is the answer to a debit: the budget to spend on this run, what
// is left after it, and the consent set the run must read.
type Debit struct {
	Run        string             `json:"run"`
	Epsilon    float64            `json:"epsilon"`
	BudgetLeft float64            `json:"budget_left"`
	MinCohort  int                `json:"min_cohort"`
	Pool       string             `json:"pool"`
	ConsentSet pooling.ConsentSet `json:"consent_set"`
	At         time.Time          `json:"at"`
}

// applyQueryDebited spends one query's epsilon from the grant BEFORE any
// result exists, and fixes the run's consent set, charging each member in
// it. It runs in the log, so two nodes cannot spend the same budget
// twice: the second debit sees the first. Windows are measured on the
// committed clock (Tx.Clock), which never goes back: a node whose clock
// is late can neither run an expired grant nor reopen a spent year.
func applyQueryDebited(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p debitPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	row, err := loadRow(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	if row.requester != p.Account {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "requester_runs", "only the proposal's requester runs its query")
	}
	if err := notOperatorIn(tx, p.Account); err != nil {
		return nil, err
	}
	g, err := grantIn(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	now := tx.Clock()
	if row.status == StatusExpired || !now.Before(g.ExpiresAt) {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "grant_expired", "the grant expired on %s", g.ExpiresAt.Format(time.RFC3339)).With("date", g.ExpiresAt)
	}
	if !p.Query.Equal(g.Query) {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "query_not_voted", "this query is not the one members voted for")
	}
	if roundEps(g.EpsilonSpent+g.EpsilonPerQuery) > roundEps(g.EpsilonTotal) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "budget_spent", "the privacy budget of this grant is spent (%g of %g)", g.EpsilonSpent, g.EpsilonTotal).
			With("spent", g.EpsilonSpent).With("total", g.EpsilonTotal)
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return nil, err
	}
	var poolYear float64
	yearAgo := now.AddDate(-1, 0, 0).UnixNano()
	if err := tx.QueryRow(`SELECT COALESCE(SUM(r.epsilon), 0) FROM proposals_runs r JOIN proposals_grants g ON g.proposal = r.proposal
		WHERE g.pool = ? AND r.at > ?`, g.Pool, yearAgo).Scan(&poolYear); err != nil {
		return nil, err
	}
	yearly := rules.Disclosure.Bounded().MaxEpsilonPerPoolYear
	if roundEps(poolYear+g.EpsilonPerQuery) > roundEps(yearly) {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "pool_budget_spent", "the yearly privacy budget of the pool %q is spent (%g of %g in the last 12 months)",
			g.Pool, poolYear, yearly).With("spent", poolYear).With("total", yearly)
	}
	objectors, err := objectorsIn(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	set, err := pooling.FixConsentSetIn(tx, pooling.SetRequest{Run: p.Run, Pool: g.Pool, Proposal: p.Proposal, Objectors: objectors,
		Epsilon: g.EpsilonPerQuery, CapPerYear: rules.Disclosure.MemberEpsilonPerYear()})
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`UPDATE proposals_grants SET epsilon_spent = ? WHERE proposal = ?`, roundEps(g.EpsilonSpent+g.EpsilonPerQuery), p.Proposal); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`INSERT INTO proposals_runs(id, proposal, by_account, at, epsilon, consent_index, consent_hash) VALUES(?,?,?,?,?,?,?)`,
		p.Run, p.Proposal, p.Account, now.UnixNano(), g.EpsilonPerQuery, set.Index, set.Hash); err != nil {
		return nil, err
	}
	left := roundEps(g.EpsilonTotal - g.EpsilonSpent - g.EpsilonPerQuery)
	if err := tx.Emit("coop.proposal.budget_spent", map[string]any{"proposal": p.Proposal, "epsilon": g.EpsilonPerQuery, "budget_left": left}); err != nil {
		return nil, err
	}
	return Debit{Run: p.Run, Epsilon: g.EpsilonPerQuery, BudgetLeft: left, MinCohort: g.MinCohort, Pool: g.Pool, ConsentSet: set, At: now}, nil
}

// objectorsIn lists the accounts that object to a proposal.
func objectorsIn(tx *raftdata.Tx, proposal string) ([]string, error) {
	return textColumn(tx.Query(`SELECT account_id FROM proposals_objections WHERE proposal = ?`, proposal))
}

type releasePayload struct {
	Run     string          `json:"run"`
	Result  json.RawMessage `json:"result"`
	Members []string        `json:"members"` // pooling member keys the answer drew on
	// MembersNoisy is the answer's noisy size, for operators.
	MembersNoisy int64 `json:"members_noisy,omitempty"`
}

// applyRunReleased records a run's released answer and writes it into the
// access journal of every member whose data it used.
func applyRunReleased(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p releasePayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	var proposal string
	var eps float64
	var result string
	var at int64
	err := tx.QueryRow(`SELECT proposal, epsilon, result, at FROM proposals_runs WHERE id = ?`, p.Run).Scan(&proposal, &eps, &result, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, raftdata.Refuse(raftdata.CodeNotFound, "no_run", "no run %q", p.Run)
	}
	if err != nil {
		return nil, err
	}
	if result != "" {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "run_released", "run %s is released already", p.Run)
	}
	row, err := loadRow(tx, proposal)
	if err != nil {
		return nil, err
	}
	g, err := grantIn(tx, proposal)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`UPDATE proposals_runs SET result = ?, members_noisy = ? WHERE id = ?`, string(p.Result), p.MembersNoisy, p.Run); err != nil {
		return nil, err
	}
	purpose := fmt.Sprintf("%s proposal %q", row.draft.Kind, row.draft.Title)
	if err := pooling.JournalRunIn(tx, pooling.RunAccess{At: time.Unix(0, at).UTC(), Pool: row.draft.Pool, Purpose: purpose, Proposal: proposal,
		Epsilon: eps, MembersNoisy: p.MembersNoisy, MinCohort: g.MinCohort}, p.Members); err != nil {
		return nil, err
	}
	return nil, tx.Emit("coop.proposal.query_run", map[string]any{"proposal": proposal, "epsilon": eps})
}
