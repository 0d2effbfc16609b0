package ui

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
)

// createTravelPool adds a second pool to the page tests' coop: km (a
// number), mode (bike or train, labelled in French) and month.
func createTravelPool(t *testing.T, w *webCoop) {
	t.Helper()
	lo, hi := 0.0, 500.0
	_, err := w.deps.Pools.CreatePool(context.Background(), pooling.Pool{ID: "travel", Title: "Travel",
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
	w := newWebCoop(t)
	createTravelPool(t, w)
	b := w.browserAs(t, "fr", "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.get("/sandbox")
	if p.testID("pool-first").Length() != 1 || p.doc.Find("#aggregate, #field, #filter").Length() != 0 || p.testID("pool-step").Length() != 1 {
		t.Fatalf("the sandbox does not ask for the pool first:\n%s", p.testID("sandbox-form").Text())
	}
	if got := options(p.doc.Find("#pool")); strings.Join(got, ",") != ",energy,travel" {
		t.Fatalf("pool options %v", got)
	}
	script, _ := p.doc.Find(`script[src^="/static/forms."]`).Attr("src")
	if script == "" || p.doc.Find(`form[data-pool-form][data-fields-url="/sandbox"]`).Length() != 1 {
		t.Fatal("the sandbox's form does not follow the pool with forms.js")
	}

	p = b.get("/sandbox?pool=travel&step=pool")
	if p.resp.StatusCode != 200 || p.testID("sandbox-answer").Length() != 0 {
		t.Fatalf("the pool's step: %d", p.resp.StatusCode)
	}
	if got := options(p.doc.Find("#field")); strings.Join(got, ",") != ",km" {
		t.Errorf("number fields of travel: %v", got)
	}
	if got := options(p.doc.Find("#group_by_1")); strings.Join(got, ",") != ",mode,month" {
		t.Errorf("groupings of travel: %v", got)
	}
	filter := p.doc.Find("#filter")
	if got := options(filter); strings.Join(got, ",") != ",mode=bike,mode=train" || filter.Find("optgroup").AttrOr("label", "") != "Mode" {
		t.Errorf("filter of travel: %v", got)
	}
	if !strings.Contains(filter.Text(), "Vélo") || p.doc.Find(`input[name="filter_value"]`).Length() != 0 {
		t.Errorf("the filter's values are not the schema's, in French: %q", filter.Text())
	}
	if strings.Contains(p.testID("pool-fields").Text(), "kwh") || strings.Contains(p.testID("pool-fields").Text(), "region") {
		t.Error("the travel pool's form offers the energy pool's fields")
	}

	// The filter select runs.
	p = b.get("/sandbox?pool=energy&aggregate=count&group_by=month&filter=" + url.QueryEscape("region=north"))
	if p.resp.StatusCode != 200 || p.testID("sandbox-answer").Length() != 1 || p.doc.Find(`#filter option[selected]`).AttrOr("value", "") != "region=north" {
		t.Fatalf("a filtered sandbox query: %d", p.resp.StatusCode)
	}
	if link := p.testID("propose-link").AttrOr("href", ""); !strings.Contains(link, "filter=region%3Dnorth") {
		t.Errorf("the proposal link drops the filter: %q", link)
	}

	// ε explained, with the worked example.
	help := text(p.testID("epsilon-help"))
	if !strings.Contains(help, fr.T("epsilon.example")) || !strings.Contains(help, "94") || !strings.Contains(help, "106") {
		t.Errorf("epsilon help: %q", help)
	}

	// The new-proposal form: the pool's step keeps what was typed and
	// creates nothing.
	form := b.get("/proposals/new")
	if form.testID("pool-first").Length() != 1 || form.testID("epsilon-help").Length() != 1 {
		t.Fatalf("the proposal form does not ask for the pool first")
	}
	step := b.post("/proposals/new", url.Values{"_csrf": {form.csrf()}, "title": {"Cycling to work"}, "pool": {"travel"}, "step": {"pool"}})
	if step.resp.StatusCode != 200 || step.testID("propose-title").AttrOr("value", "") != "Cycling to work" ||
		strings.Join(options(step.doc.Find("#field")), ",") != ",km" {
		t.Fatalf("the pool's step on the proposal form: %d", step.resp.StatusCode)
	}
	if mine, _ := w.deps.Proposals.ByRequester(context.Background(), w.researcher.ID); len(mine) != 0 {
		t.Fatalf("the pool's step created %d proposals", len(mine))
	}
}

// The length of the vote defaults to the rulebook's (never 10080
// minutes), with its limits in words; a filed proposal shows a
// confirmation with what comes next; only its requester sees it.
func TestPagesResearch_DefaultsAndConfirmation(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	b := w.browserAs(t, "fr", "rosalind@coop.test")
	fr := i18n.New().For("fr")
	rules, err := w.deps.Rules.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rule, _ := rules.Rules.Rule(governance.Knowledge)

	form := b.get("/proposals/new")
	if got := form.testID("propose-voting_minutes").AttrOr("value", ""); got != strconv.Itoa(rule.MinMinutes) {
		t.Errorf("voting minutes default %q, want the rulebook's %d", got, rule.MinMinutes)
	}
	hint := text(form.doc.Find("#voting_minutes-hint"))
	if want := fr.F("propose.field.voting_minutes.hint", durationText(fr, rule.MinMinutes), durationText(fr, rule.MaxMinutes)); hint != want {
		t.Errorf("voting hint %q, want %q", hint, want)
	}
	if fr.N("duration.days", 30) != "30 jours" || durationText(fr, 43200) != "30 jours" || durationText(fr, 90) != "90 minutes" {
		t.Errorf("durations: %q %q", durationText(fr, 43200), durationText(fr, 90))
	}

	values := url.Values{"_csrf": {form.csrf()}, "title": {"Winter energy"}, "purpose": {"Find out about winter."}, "kind": {"knowledge"},
		"pool": {"energy"}, "aggregate": {"count"}, "group_by": {"region"}, "min_cohort": {"5"}, "epsilon_total": {"1"},
		"epsilon_per_query": {"0.5"}, "voting_minutes": {"60"}, "grant_days": {"30"}}
	bad := url.Values{}
	for k, v := range values {
		bad[k] = v
	}
	bad.Set("epsilon_total", "5")
	bad.Set("title", "")
	refused := b.post("/proposals/new", bad)
	if refused.resp.StatusCode != 400 || refused.testID("field-error-epsilon_total").Length() != 1 || refused.testID("field-error-title").Length() != 1 {
		t.Fatalf("two mistakes: %d\n%s", refused.resp.StatusCode, refused.testID("form-error").Text())
	}
	if msg := text(refused.testID("field-error-epsilon_total")); strings.Contains(msg, "epsilon_total") || !strings.Contains(msg, "2") {
		t.Errorf("the epsilon refusal next to its field: %q", msg)
	}
	if got, _ := refused.doc.Find("#epsilon_total").Attr("aria-describedby"); !strings.Contains(got, "error-epsilon_total") {
		t.Errorf("the field does not point to its error: %q", got)
	}

	p := b.post("/proposals/new", values)
	loc := p.resp.Header.Get("Location")
	if p.resp.StatusCode != 303 || !strings.HasSuffix(loc, "/filed") {
		t.Fatalf("filing: %d %q", p.resp.StatusCode, loc)
	}
	filed := b.get(loc)
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/proposals/"), "/filed")
	if text(filed.testID("page-title")) != fr.T("filed.title") || !strings.Contains(text(filed.testID("filed-notice")), "Winter energy") ||
		filed.testID("filed-next").Find("li").Length() < 3 || filed.testID("filed-proposal").AttrOr("href", "") != "/proposals/"+id {
		t.Fatalf("the confirmation:\n%s", text(filed.doc.Find("main")))
	}
	other := w.browserAs(t, "fr", "op@coop.test")
	if p := other.get(loc); p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/proposals/"+id {
		t.Errorf("another account on the confirmation: %d %q", p.resp.StatusCode, p.resp.Header.Get("Location"))
	}
}

// Each role has its spaces in the header: a researcher the sandbox and
// their proposals, an operator the operations page, a member none.
func TestPagesMenu_PerRole(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	for _, tt := range []struct {
		email         string
		want, without []string
	}{
		{"", nil, []string{"nav-spaces"}},
		{"ada@coop.test", nil, []string{"nav-spaces"}},
		{"rosalind@coop.test", []string{"nav-sandbox", "nav-mine"}, []string{"nav-ops"}},
		{"op@coop.test", []string{"nav-ops"}, []string{"nav-sandbox", "nav-mine"}},
	} {
		b := newBrowser(t, w.app, "fr")
		if tt.email != "" {
			b.cookies[sessionCookie] = w.login(t, tt.email)
		}
		p := b.get("/proposals")
		for _, id := range tt.want {
			if p.testID("nav-spaces").Find(`[data-testid="`+id+`"]`).Length() != 1 {
				t.Errorf("%s: no %s", tt.email, id)
			}
		}
		for _, id := range tt.without {
			if p.testID(id).Length() != 0 {
				t.Errorf("%s: %s is shown", tt.email, id)
			}
		}
	}
	b := w.browserAs(t, "fr", "rosalind@coop.test")
	if got := b.get("/sandbox").testID("nav-sandbox").AttrOr("aria-current", ""); got != "page" {
		t.Errorf("the sandbox's menu entry is not current: %q", got)
	}
}
