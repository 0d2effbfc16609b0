// Package pages holds coop's web pages as templ components. Each page
// takes a typed view that its handler (package ui/web) fills from
// the services; the pages only lay out and translate.
package pages

import (
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/ui/components"
)

// ProposalItem is one line of a list of proposals.
type ProposalItem struct {
	ID            string
	Title         string
	Kind          string
	Status        string
	Deadline      *time.Time
	ClosedAt      *time.Time
	Participation *int
}

// Home is the front page.
type Home struct {
	Page  components.Page
	Open  []ProposalItem
	Pools int
}

// KindRule is the voting rule of one kind of proposal, in words.
type KindRule struct {
	Kind        string
	MinDuration string
	MaxDuration string
	Rule        governance.VotingRule
}

// Rules is the rulebook page.
type Rules struct {
	Page       components.Page
	Version    int
	Kinds      []KindRule
	Disclosure governance.Disclosure
	Retention  governance.Retention
	Backups    Backups
	Membership governance.Membership
	Limits     governance.HardLimits
	Journal    MembershipJournal
	Ballots    RulesBallots // proxies, colleges, turnout (ballots.go)
}

// Pools is the list of pools.
type Pools struct {
	Page  components.Page
	Pools []pooling.Pool
}

// Pool is one pool's schema and documentation.
type Pool struct {
	Page components.Page
	Pool pooling.Pool
}

// Proposals is the list of proposals, optionally of one status.
type Proposals struct {
	Page      components.Page
	Status    string // the filter, "" for all
	Proposals []ProposalItem
	OlderURL  string // the next page of older proposals, if any
}

// Proposal is one proposal's page.
type Proposal struct {
	Page          components.Page
	ID            string
	Title         string
	Purpose       []string // paragraphs
	Kind          string
	Status        string
	Organisation  string
	PoolID        string
	PoolTitle     string
	Query         string   // what the query reveals, in plain words
	Privacy       []string // the privacy parameters, explained
	OpenedAt      *time.Time
	Deadline      *time.Time
	ClosedAt      *time.Time
	Participation *int
	Outcome       string // why it passed or not, translated
	Chart         *components.BarChart
	Grant         *GrantView
	Vote          VoteForm
	Preview       *PreviewView  // "before you vote", for members while it is open
	Custodians    *CustodianSet // the set a custodians election names
	Results       []ResultView  // released runs the visitor may read
	Run           RunForm
	Ways          *VoteWays // secret ballot, proxies, colleges, double majority (ballots.go)
}

// PreviewView is what a member sees before voting: about how many members
// consent to the pool (a noisy count, drawn once a day), and what the
// query would produce on the synthetic twin sized like them, with the
// error one run's noise would leave on each figure.
type PreviewView struct {
	MembersNoisy *int64 // nil: not shown (not a member, vote closed)
	CountedOn    string
	TwinMembers  int
	MinCohort    int
	Epsilon      float64 // per run
	Groups       []PreviewGroup
	Warnings     []string // figures the noise would drown, in words
}

// PreviewGroup is one group of the query's answer on the synthetic twin.
type PreviewGroup struct {
	Label      string
	Value      string // the figure and its error ("7 ± 25"), for the page's language
	Suppressed bool
}

// ResultView is one released run, with its chart, the hash of the consent
// set it read, and for a reuse how long the coop keeps it (or when it
// was deleted).
type ResultView struct {
	Run          string
	At           time.Time
	Epsilon      float64
	ConsentHash  string
	ConsentIndex uint64
	KeptUntil    *time.Time
	DeletedAt    *time.Time
	Organisation string
	Chart        components.Figure
}

// RunForm is the requester's button to run the query a passed proposal
// unlocked.
type RunForm struct {
	Show  bool
	Error components.FormError
}

// GrantView is what a passed proposal unlocked.
type GrantView struct {
	EpsilonTotal float64
	EpsilonLeft  float64
	ExpiresAt    time.Time
}

// VoteForm is the ballot part of a proposal page.
type VoteForm struct {
	Show bool // the vote is open and the visitor is in its electorate
	// Ineligible says why the visitor does not vote while the vote is
	// open (proposals.Ineligibility: not_signed_in, not_admitted...), ""
	// for a voter or a closed vote; Since is when the voters were fixed.
	Ineligible string
	Since      string
	// What the visitor may still do: object to the use of their data (a
	// contributor, on a proposal that uses data), discuss (write in the
	// discussion) or read it.
	CanObject, CanDiscuss, CanRead bool
	Choice                         string // the choice just cast (from the receipt notice)
	Receipt                        string // the receipt just given, shown once
	Hash                           string // what the published ballot list will show of it
	Script                         string // forms.js: the receipt's copy button
	Error                          components.FormError
}

// Signup is the sign-up form.
type Signup struct {
	Page    components.Page
	Name    string
	Email   string
	Charter []components.Block
	Version int
	Error   components.FormError
}

// Login is the login form.
type Login struct {
	Page  components.Page
	Email string
	Next  string
	Error components.FormError
}

// PoolConsent is one pool on the member's dashboard.
type PoolConsent struct {
	Pool    pooling.Pool
	Granted bool
	Decided bool // the member decided once (granted or withdrew)
	Records int
	Error   components.FormError
}

// Me is the member's dashboard.
type Me struct {
	Page        components.Page
	Account     members.Account
	Pools       []PoolConsent
	Uses        []pooling.Access
	Connections []members.JournalEntry
	Error       components.FormError // a refused form about no listed pool
	Ledger      float64              // the privacy loss (ε) charged to the member so far
	Privacy     pooling.Ledger       // the consent sets they were in or left out of
	Cap         float64              // the personal yearly cap of the rulebook
	Votes       MeVotes
	Titles      map[string]string // proposal id -> title, for the journal's links
	Membership  governance.Membership
	Applicants  *Applicants // the applicants a member may sponsor; nil when none to show
	Ballots     *MeBallots  // college, standing proxy, voting tokens (ballots.go)
}

// Records is the member's records page: one section per pool they
// consented to.
type Records struct {
	Page         components.Page
	Pools        []PoolRecords
	Error        components.FormError // a refused form about no listed pool
	UploadScript string               // the hashed URL of upload.js (the progress bar)
}

// PoolRecords is the member's records in one pool, and its upload form.
type PoolRecords struct {
	Pool    pooling.Pool
	Records []RecordRow
	IdemKey string               // the forms' idempotency key, fresh per rendering
	Error   components.FormError // a refused upload or deletion
	Rows    []RowErrorView       // the problems of a refused upload
	Reading ReadingForm          // the form of one reading
	// TemplateURL is the CSV template of the pool, in the page's language.
	TemplateURL string
}

// RecordRow is one record, its values in the order of the pool's fields.
type RecordRow struct {
	ID            string
	Values        []string
	ContributedAt time.Time
	UpdatedAt     time.Time
}

// Error is a page that could not be shown.
type Error struct {
	Page    components.Page
	Status  int
	Message components.FormError
}

// PoolTitle is the title in the page's language of the pool id names,
// among the dashboard's pools (the id when it is not one of them).
func (v Me) PoolTitle(id string) string {
	for _, pc := range v.Pools {
		if pc.Pool.ID == id {
			return pc.Pool.TitleIn(v.Page.Tr.Lang)
		}
	}
	return id
}
