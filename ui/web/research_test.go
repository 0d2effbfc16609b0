package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"coop/governance"
	"coop/pooling"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// createTravelPool adds a second pool to the page tests' coop: km (a
// number), mode (bike or train, labelled in French) and month.
func createTravelPool(t *testing.T, w *uitest.Coop) {
	t.Helper()
	lo, hi := 0.0, 500.0
	_, err := w.Deps.Pools.CreatePool(context.Background(), pooling.Pool{ID: "travel", Title: "Travel",
		Labels: pooling.Labels{"fr": "Déplacements"},
		Fields: []pooling.Field{
			{Name: "km", Type: "number", Min: &lo, Max: &hi, Unit: "km"},
			{Name: "mode", Type: "category", Values: []string{"bike", "train"}, Labels: pooling.Labels{"fr": "Mode"},
				ValueLabels: map[string]pooling.Labels{"bike": {"fr": "Vélo"}, "train": {"fr": "Train"}}},
			{Name: "month", Type: "month"},
		},
		Documentation: pooling.Documentation{Provenance: "Members", CollectionMethod: "Form", UpdateFrequency: "Monthly",
			Format: "CSV", Pseudonymisation: "Member keys"}})
	if err != nil {
		t.Fatal(err)
	}
}

// options lists the values of a select's options.
func options(s *goquery.Selection) []string {
	var out []string
	s.Find("option").Each(func(_ int, o *goquery.Selection) { out = append(out, o.AttrOr("value", "")) })
	return out
}

// The query forms ask for the pool first, then offer that pool's fields
// only; a filter's values come from the schema; the step works without
// the script, which swaps the fields in place.
func TestPagesResearch_PoolFirstThenItsFields(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	createTravelPool(t, w)
	b := w.BrowserAs(t, "fr", "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.Get("/sandbox")
	if p.TestID("pool-first").Length() != 1 || p.Doc.Find("#aggregate, #field, #filter").Length() != 0 || p.TestID("pool-step").Length() != 1 {
		t.Fatalf("the sandbox does not ask for the pool first:\n%s", p.TestID("sandbox-form").Text())
	}
	if got := options(p.Doc.Find("#pool")); strings.Join(got, ",") != ",energy,travel" {
		t.Fatalf("pool options %v", got)
	}
	script, _ := p.Doc.Find(`script[src^="/static/forms."]`).Attr("src")
	if script == "" || p.Doc.Find(`form[data-pool-form][data-fields-url="/sandbox"]`).Length() != 1 {
		t.Fatal("the sandbox's form does not follow the pool with forms.js")
	}

	p = b.Get("/sandbox?pool=travel&step=pool")
	if p.Resp.StatusCode != 200 || p.TestID("sandbox-answer").Length() != 0 {
		t.Fatalf("the pool's step: %d", p.Resp.StatusCode)
	}
	if got := options(p.Doc.Find("#field")); strings.Join(got, ",") != ",km" {
		t.Errorf("number fields of travel: %v", got)
	}
	if got := options(p.Doc.Find("#group_by_1")); strings.Join(got, ",") != ",mode,month" {
		t.Errorf("groupings of travel: %v", got)
	}
	filter := p.Doc.Find("#filter")
	if got := options(filter); strings.Join(got, ",") != ",mode=bike,mode=train" || filter.Find("optgroup").AttrOr("label", "") != "Mode" {
		t.Errorf("filter of travel: %v", got)
	}
	if !strings.Contains(filter.Text(), "Vélo") || p.Doc.Find(`input[name="filter_value"]`).Length() != 0 {
		t.Errorf("the filter's values are not the schema's, in French: %q", filter.Text())
	}
	if strings.Contains(p.TestID("pool-fields").Text(), "kwh") || strings.Contains(p.TestID("pool-fields").Text(), "region") {
		t.Error("the travel pool's form offers the energy pool's fields")
	}

	// The filter select runs.
	p = b.Get("/sandbox?pool=energy&aggregate=count&group_by=month&filter=" + url.QueryEscape("region=north"))
	if p.Resp.StatusCode != 200 || p.TestID("sandbox-answer").Length() != 1 || p.Doc.Find(`#filter option[selected]`).AttrOr("value", "") != "region=north" {
		t.Fatalf("a filtered sandbox query: %d", p.Resp.StatusCode)
	}
	if link := p.TestID("propose-link").AttrOr("href", ""); !strings.Contains(link, "filter=region%3Dnorth") {
		t.Errorf("the proposal link drops the filter: %q", link)
	}

	// ε explained, with the worked example.
	help := uitest.Text(p.TestID("epsilon-help"))
	if !strings.Contains(help, fr.T("epsilon.example")) || !strings.Contains(help, "94") || !strings.Contains(help, "106") {
		t.Errorf("epsilon help: %q", help)
	}

	// The new-proposal form: the pool's step keeps what was typed and
	// creates nothing.
	form := b.Get("/proposals/new")
	if form.TestID("pool-first").Length() != 1 || form.TestID("epsilon-help").Length() != 1 {
		t.Fatalf("the proposal form does not ask for the pool first")
	}
	step := b.Post("/proposals/new", url.Values{"_csrf": {form.CSRF()}, "title": {"Cycling to work"}, "pool": {"travel"}, "step": {"pool"}})
	if step.Resp.StatusCode != 200 || step.TestID("propose-title").AttrOr("value", "") != "Cycling to work" ||
		strings.Join(options(step.Doc.Find("#field")), ",") != ",km" {
		t.Fatalf("the pool's step on the proposal form: %d", step.Resp.StatusCode)
	}
	if mine, _ := w.Deps.Proposals.ByRequester(context.Background(), w.Researcher.ID); len(mine) != 0 {
		t.Fatalf("the pool's step created %d proposals", len(mine))
	}
}

// The length of the vote defaults to the rulebook's (never 10080
// minutes), with its limits in words; a filed proposal shows a
// confirmation with what comes next; only its requester sees it.
func TestPagesResearch_DefaultsAndConfirmation(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	b := w.BrowserAs(t, "fr", "rosalind@coop.test")
	fr := i18n.New().For("fr")
	rules, err := w.Deps.Rules.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rule, _ := rules.Rules.Rule(governance.Knowledge)

	form := b.Get("/proposals/new")
	if got := form.TestID("propose-voting_minutes").AttrOr("value", ""); got != strconv.Itoa(rule.MinMinutes) {
		t.Errorf("voting minutes default %q, want the rulebook's %d", got, rule.MinMinutes)
	}
	hint := uitest.Text(form.Doc.Find("#voting_minutes-hint"))
	if want := fr.F("propose.field.voting_minutes.hint", web.DurationText(fr, rule.MinMinutes), web.DurationText(fr, rule.MaxMinutes)); hint != want {
		t.Errorf("voting hint %q, want %q", hint, want)
	}
	if fr.N("duration.days", 30) != "30 jours" || web.DurationText(fr, 43200) != "30 jours" || web.DurationText(fr, 90) != "90 minutes" {
		t.Errorf("durations: %q %q", web.DurationText(fr, 43200), web.DurationText(fr, 90))
	}

	values := url.Values{"_csrf": {form.CSRF()}, "title": {"Winter energy"}, "purpose": {"Find out about winter."}, "kind": {"knowledge"},
		"pool": {"energy"}, "aggregate": {"count"}, "group_by": {"region"}, "min_cohort": {"5"}, "epsilon_total": {"1"},
		"epsilon_per_query": {"0.5"}, "voting_minutes": {"60"}, "grant_days": {"30"}}
	bad := url.Values{}
	for k, v := range values {
		bad[k] = v
	}
	bad.Set("epsilon_total", "5")
	bad.Set("title", "")
	refused := b.Post("/proposals/new", bad)
	if refused.Resp.StatusCode != 400 || refused.TestID("field-error-epsilon_total").Length() != 1 || refused.TestID("field-error-title").Length() != 1 {
		t.Fatalf("two mistakes: %d\n%s", refused.Resp.StatusCode, refused.TestID("form-error").Text())
	}
	if msg := uitest.Text(refused.TestID("field-error-epsilon_total")); strings.Contains(msg, "epsilon_total") || !strings.Contains(msg, "2") {
		t.Errorf("the epsilon refusal next to its field: %q", msg)
	}
	if got, _ := refused.Doc.Find("#epsilon_total").Attr("aria-describedby"); !strings.Contains(got, "error-epsilon_total") {
		t.Errorf("the field does not point to its error: %q", got)
	}

	p := b.Post("/proposals/new", values)
	loc := p.Resp.Header.Get("Location")
	if p.Resp.StatusCode != 303 || !strings.HasSuffix(loc, "/filed") {
		t.Fatalf("filing: %d %q", p.Resp.StatusCode, loc)
	}
	filed := b.Get(loc)
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/proposals/"), "/filed")
	if uitest.Text(filed.TestID("page-title")) != fr.T("filed.title") || !strings.Contains(uitest.Text(filed.TestID("filed-notice")), "Winter energy") ||
		filed.TestID("filed-next").Find("li").Length() < 3 || filed.TestID("filed-proposal").AttrOr("href", "") != "/proposals/"+id {
		t.Fatalf("the confirmation:\n%s", uitest.Text(filed.Doc.Find("main")))
	}
	other := w.BrowserAs(t, "fr", "op@coop.test")
	if p := other.Get(loc); p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/proposals/"+id {
		t.Errorf("another account on the confirmation: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
}

// Each role has its spaces in the header: a researcher the sandbox and
// their proposals, an operator the operations page, a member none.
func TestPagesMenu_PerRole(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	for _, tt := range []struct {
		email         string
		want, without []string
	}{
		{"", nil, []string{"nav-spaces"}},
		{"ada@coop.test", nil, []string{"nav-spaces"}},
		{"rosalind@coop.test", []string{"nav-sandbox", "nav-mine"}, []string{"nav-ops"}},
		{"op@coop.test", []string{"nav-ops"}, []string{"nav-sandbox", "nav-mine"}},
	} {
		b := uitest.NewBrowser(t, w.App, "fr")
		if tt.email != "" {
			b.Cookies[server.SessionCookie] = w.Login(t, tt.email)
		}
		p := b.Get("/proposals")
		for _, id := range tt.want {
			if p.TestID("nav-spaces").Find(`[data-testid="`+id+`"]`).Length() != 1 {
				t.Errorf("%s: no %s", tt.email, id)
			}
		}
		for _, id := range tt.without {
			if p.TestID(id).Length() != 0 {
				t.Errorf("%s: %s is shown", tt.email, id)
			}
		}
	}
	b := w.BrowserAs(t, "fr", "rosalind@coop.test")
	if got := b.Get("/sandbox").TestID("nav-sandbox").AttrOr("aria-current", ""); got != "page" {
		t.Errorf("the sandbox's menu entry is not current: %q", got)
	}
}
