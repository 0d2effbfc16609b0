package governance

import "coop/raftdata"

// The privacy accountant's rules (issue #13), kept apart from the rest of
// the rulebook. Each is optional in a rulebook file and in a stored
// rulebook from before they existed: zero means the default below, so
// partial files, old states and old amendment drafts keep working.
const (
	// DefaultMemberEpsilonPerYear caps what the query runs of every pool
	// together may charge one member over 12 months of the committed
	// clock: a member whose cap is spent is left out of later runs.
	DefaultMemberEpsilonPerYear = 10.0
	// DefaultPreviewEpsilon is the price of the noisy count of a pool's
	// members shown before a vote (one per pool and day).
	DefaultPreviewEpsilon = 0.1
	// DefaultPreviewEpsilonPerPoolYear is the yearly budget of those counts
	// per pool (20 days of previews at the default price).
	DefaultPreviewEpsilonPerPoolYear = 2.0
	// DefaultOutputRetentionDays is how long the coop keeps the released
	// results of a reuse grant (a proposal may ask for less).
	DefaultOutputRetentionDays = 365
)

// Hard bounds of the privacy rules that this file adds.
const (
	maxPreviewEpsilon      = 1.0
	maxOutputRetentionDays = 3650
)

// MemberEpsilonPerYear is the personal cap in force.
func (d Disclosure) MemberEpsilonPerYear() float64 {
	return orDefault(d.MaxEpsilonPerMemberPerYear, DefaultMemberEpsilonPerYear)
}

// PreviewEpsilonPerCount is the price of one noisy preview count.
func (d Disclosure) PreviewEpsilonPerCount() float64 {
	return orDefault(d.PreviewEpsilon, DefaultPreviewEpsilon)
}

// PreviewEpsilonPerPoolYear is the yearly preview budget of a pool.
func (d Disclosure) PreviewEpsilonPerPoolYear() float64 {
	return orDefault(d.MaxPreviewEpsilonPerPoolPerYear, DefaultPreviewEpsilonPerPoolYear)
}

// OutputRetention is how many days a reuse grant's results are kept.
func (r Retention) OutputRetention() int {
	if r.OutputRetentionDays == 0 {
		return DefaultOutputRetentionDays
	}
	return r.OutputRetentionDays
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// fillPrivacyDefaults writes the effective value of every privacy rule
// left at zero, so that the rulebook shows what is in force.
func (r *Rulebook) fillPrivacyDefaults() {
	d := &r.Disclosure
	d.MaxEpsilonPerMemberPerYear = d.MemberEpsilonPerYear()
	d.PreviewEpsilon = d.PreviewEpsilonPerCount()
	d.MaxPreviewEpsilonPerPoolPerYear = d.PreviewEpsilonPerPoolYear()
	r.Retention.OutputRetentionDays = r.Retention.OutputRetention()
}

// privacyProblems lists what is wrong with the privacy rules (zero is
// the default, never a problem).
func (r Rulebook) privacyProblems() raftdata.Problems {
	var out raftdata.Problems
	d := r.Disclosure
	if c := d.MemberEpsilonPerYear(); !(c > 0) || c > 1e6 {
		out.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_member_epsilon", "max_epsilon_per_member_per_year must be above 0, got %g", c).
			With("got", c).On("max_epsilon_per_member_per_year"))
	}
	if e := d.PreviewEpsilonPerCount(); !(e > 0) || e > maxPreviewEpsilon {
		out.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_preview_epsilon", "preview_epsilon must be above 0 and at most %g, got %g", maxPreviewEpsilon, e).
			With("max", maxPreviewEpsilon).With("got", e).On("preview_epsilon"))
	}
	if y := d.PreviewEpsilonPerPoolYear(); !(y >= d.PreviewEpsilonPerCount()) || y > 1e6 {
		out.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_preview_budget", "max_preview_epsilon_per_pool_per_year must be at least preview_epsilon, got %g", y).
			With("got", y).On("max_preview_epsilon_per_pool_per_year"))
	}
	if days := r.Retention.OutputRetention(); days < 1 || days > maxOutputRetentionDays {
		out.Add(raftdata.Refuse(raftdata.CodeInvalid, "rules_output_retention", "output_retention_days must be within 1..%d, got %d", maxOutputRetentionDays, days).
			With("max", maxOutputRetentionDays).With("got", days).On("output_retention_days"))
	}
	return out
}
