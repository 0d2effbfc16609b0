package pages

import (
	"slices"

	"coop/pooling"
	"coop/ui/components"
)

// QueryForm is a query as its form fields hold it, in the sandbox and in
// the new-proposal form.
type QueryForm struct {
	Pool        string
	Aggregate   string
	Field       string
	GroupBy1    string
	GroupBy2    string
	FilterField string
	FilterValue string
}

// Sandbox is the researcher's sandbox: the query form and, once asked,
// the answer on the pool's synthetic twin.
type Sandbox struct {
	Page       components.Page
	Pools      []pooling.Pool
	Query      QueryForm
	Epsilon    string // the budget whose noise to show, as typed
	Error      components.FormError
	Answer     *SandboxAnswer
	ProposeURL string
	Script     string // forms.js: the pool's fields follow the pool
}

// SandboxAnswer is the synthetic answer drawn as a chart.
type SandboxAnswer struct {
	Members   int
	MinCohort int
	Epsilon   float64 // 0: exact figures
	Chart     components.Figure
	CSVURL    string // the same answer as CSV
}

// ProposalNew is the form of a new proposal, with what was typed.
type ProposalNew struct {
	Page            components.Page
	Pools           []pooling.Pool
	Title           string
	Purpose         string
	Kind            string
	Organisation    string
	Query           QueryForm
	MinCohort       string
	EpsilonTotal    string
	EpsilonPerQuery string
	VotingMinutes   string
	GrantDays       string
	RetentionDays   string
	Draft           bool
	Error           components.FormError
	// EpsilonHint and VotingHint say the rulebook's limits in words.
	EpsilonHint string
	VotingHint  string
	Script      string // forms.js: the pool's fields follow the pool
}

// ProposalFiled is the confirmation of a proposal just filed.
type ProposalFiled struct {
	Page      components.Page
	ID, Title string
	Draft     bool
	Deadline  string // when the vote closes, written for the page
}

// Aggregates are the aggregates a query may ask for.
var Aggregates = []string{pooling.AggCount, pooling.AggSum, pooling.AggMean, pooling.AggHistogram}

// poolByID is the pool called id among pools, nil when none is.
func poolByID(pools []pooling.Pool, id string) *pooling.Pool {
	for i := range pools {
		if pools[i].ID == id {
			return &pools[i]
		}
	}
	return nil
}

// fieldsOf lists the fields of p of the given types.
func fieldsOf(p pooling.Pool, types ...string) []pooling.Field {
	var out []pooling.Field
	for _, f := range p.Fields {
		if slices.Contains(types, f.Type) {
			out = append(out, f)
		}
	}
	return out
}

// numberFields are what a sum, a mean or a histogram reads.
func numberFields(p pooling.Pool) []pooling.Field { return fieldsOf(p, pooling.TypeNumber) }

// groupFields are what a query groups by: categories and months.
func groupFields(p pooling.Pool) []pooling.Field {
	return fieldsOf(p, pooling.TypeCategory, pooling.TypeMonth)
}

// categoryFields are what a query filters on.
func categoryFields(p pooling.Pool) []pooling.Field { return fieldsOf(p, pooling.TypeCategory) }

// Filter is the form's filter as its select holds it: "field=value", ""
// for none.
func (q QueryForm) Filter() string {
	if q.FilterField == "" || q.FilterValue == "" {
		return ""
	}
	return q.FilterField + "=" + q.FilterValue
}

// hintID is the id of a field's hint, "" when it has none.
func hintID(id, hint string) string {
	if hint == "" {
		return ""
	}
	return id + "-hint"
}
