package pages

import (
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
}

// Aggregates are the aggregates a query may ask for.
var Aggregates = []string{pooling.AggCount, pooling.AggSum, pooling.AggMean, pooling.AggHistogram}

// categoryFields lists the category fields of every pool, for filters.
func categoryFields(pools []pooling.Pool) []pooling.Field {
	var out []pooling.Field
	seen := map[string]bool{}
	for _, p := range pools {
		for _, f := range p.Fields {
			if f.Type == "category" && !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	return out
}
