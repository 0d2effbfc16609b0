package ui

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"coop/pooling"
	"coop/raftdata/raftdatatest"
	"coop/ui/components"
	"coop/ui/i18n"
)

// The researcher's and operator's pages let only their role in: an
// anonymous visitor is sent to log in, another member gets the 403 page.
func TestPagesOps_RoleGating(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")

	anon := newBrowser(t, w.app, "en")
	member := newBrowser(t, w.app, "en")
	member.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	researcher := newBrowser(t, w.app, "en")
	researcher.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	operator := newBrowser(t, w.app, "en")
	operator.cookies[sessionCookie] = w.login(t, "op@coop.test")

	for _, tc := range []struct {
		path    string
		allowed *browser
		other   *browser
	}{
		{"/sandbox", researcher, operator},
		{"/proposals/new", researcher, operator},
		{"/ops", operator, researcher},
		{"/ops/pools", operator, member},
	} {
		p := anon.get(tc.path)
		if p.resp.StatusCode != 303 || !strings.HasPrefix(p.resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous GET %s: %d %q, want a redirect to log in", tc.path, p.resp.StatusCode, p.resp.Header.Get("Location"))
		}
		for _, b := range []*browser{member, tc.other} {
			if p := b.get(tc.path); p.resp.StatusCode != 403 || p.testID("page-title").Length() != 1 {
				t.Errorf("GET %s without the role: %d, want the 403 page", tc.path, p.resp.StatusCode)
			}
		}
		p = tc.allowed.get(tc.path)
		if p.resp.StatusCode != 200 {
			t.Errorf("GET %s with the role: %d", tc.path, p.resp.StatusCode)
		}
	}
	if p := member.post("/ops/members/x/role", url.Values{"role": {"researcher"}, "action": {"grant"}, "_csrf": {csrfToken(member.cookies[sessionCookie])}}); p.resp.StatusCode != 403 {
		t.Errorf("a member posting to /ops: %d, want 403", p.resp.StatusCode)
	}
	if p := researcher.get("/me"); p.testID("sandbox-link").Length() != 1 || p.testID("ops-link").Length() != 0 {
		t.Errorf("the researcher's dashboard does not link the sandbox alone")
	}
}

// The sandbox answers a query on the synthetic twin, labelled synthetic,
// as a chart, and links to a proposal form prefilled with the query; the
// form creates the proposal, and a refusal re-renders it with a 400.
func TestPagesOps_SandboxAndPropose(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.get("/sandbox?pool=energy&aggregate=mean&field=kwh&group_by=region")
	if p.resp.StatusCode != 200 {
		t.Fatalf("sandbox: %d\n%s", p.resp.StatusCode, p.body)
	}
	if got := text(p.testID("synthetic-label")); got != fr.T("preview.synthetic") {
		t.Fatalf("synthetic label %q", got)
	}
	chart := p.testID("sandbox-chart")
	if chart.Length() != 1 || chart.Find("svg rect").Length() != 2 {
		t.Fatalf("chart: want one chart with a bar per region:\n%s", p.body)
	}
	if v, _ := p.doc.Find(`#group_by_1 option[selected]`).Attr("value"); v != "region" {
		t.Fatalf("the form does not keep the grouping: %q", v)
	}
	for _, sel := range []string{"#pool", "#aggregate", "#field", "#group_by_1", "#group_by_2", "#filter", "#epsilon"} {
		id := strings.TrimPrefix(sel, "#")
		if p.doc.Find(sel).Length() != 1 || p.doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s has no label", sel)
		}
	}
	link, _ := p.testID("propose-link").Attr("href")
	if !strings.HasPrefix(link, "/proposals/new?") || !strings.Contains(link, "group_by=region") {
		t.Fatalf("propose link %q", link)
	}

	// A tiny group is hidden, in words.
	p = b.get("/sandbox?pool=energy&aggregate=count&group_by=region&group_by=month")
	if p.resp.StatusCode != 200 {
		t.Fatalf("sandbox by region and month: %d", p.resp.StatusCode)
	}
	if p.testID("sandbox-chart").Find(".bar-hidden").Length() > 0 && !strings.Contains(p.body, fr.T("results.hidden")) {
		t.Fatalf("hidden groups are not said to be hidden")
	}

	// At a chosen epsilon each figure carries one run's noise, written as
	// ± and drawn as an interval over its bar; a bad epsilon is refused.
	p = b.get("/sandbox?pool=energy&aggregate=count&group_by=region&epsilon=0.5")
	if got, want := text(p.testID("sandbox-noise")), fr.F("sandbox.answer.noise", fr.Num(0.5)); p.resp.StatusCode != 200 || got != want {
		t.Fatalf("sandbox at epsilon 0.5: %d %q, want %q", p.resp.StatusCode, got, want)
	}
	if bars := p.testID("sandbox-chart").Find(`g.bar`); bars.Find("line.interval").Length() != bars.Find("rect").Length() ||
		!strings.Contains(text(bars), "±") || p.testID("sandbox-epsilon").AttrOr("value", "") != "0.5" {
		t.Fatalf("a noisy sandbox answer without its intervals:\n%s", text(bars))
	}
	if p = b.get("/sandbox?pool=energy&aggregate=count&group_by=region&epsilon=-1"); p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 {
		t.Fatalf("a negative epsilon: %d", p.resp.StatusCode)
	}

	// A bad query is refused next to the form.
	p = b.get("/sandbox?pool=energy&aggregate=mean&field=nope")
	if p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 || p.testID("sandbox-answer").Length() != 0 {
		t.Fatalf("bad query: %d", p.resp.StatusCode)
	}

	form := b.get(link)
	if v, _ := form.doc.Find(`#field option[selected]`).Attr("value"); v != "kwh" {
		t.Fatalf("the proposal form is not prefilled: field %q", v)
	}
	checkForms(t, link, form, csrfToken(b.cookies[sessionCookie]))
	values := url.Values{"_csrf": {form.csrf()}, "title": {"Winter energy by region"},
		"purpose": {"Find out whether homes in the north use more energy."}, "kind": {"knowledge"},
		"pool": {"energy"}, "aggregate": {"mean"}, "field": {"kwh"}, "group_by": {"region"},
		"min_cohort": {"5"}, "epsilon_total": {"1"}, "epsilon_per_query": {"0.5"},
		"voting_minutes": {"60"}, "grant_days": {"30"}}

	bad := url.Values{}
	for k, v := range values {
		bad[k] = v
	}
	bad.Set("voting_minutes", "soon")
	if p := b.post("/proposals/new", bad); p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 {
		t.Fatalf("bad number: %d", p.resp.StatusCode)
	} else if v, _ := p.testID("propose-title").Attr("value"); v != "Winter energy by region" {
		t.Fatalf("the refused form lost the title: %q", v)
	}

	p = b.post("/proposals/new", values)
	loc := p.resp.Header.Get("Location")
	if p.resp.StatusCode != 303 || !strings.HasPrefix(loc, "/proposals/") || !strings.HasSuffix(loc, "/filed") {
		t.Fatalf("create: %d %q\n%s", p.resp.StatusCode, loc, p.body)
	}
	loc = strings.TrimSuffix(loc, "/filed")
	prop, err := w.deps.Proposals.Get(t.Context(), strings.TrimPrefix(loc, "/proposals/"))
	if err != nil {
		t.Fatal(err)
	}
	if prop.Title != "Winter energy by region" || prop.Query == nil || prop.Query.Field != "kwh" ||
		len(prop.Query.GroupBy) != 1 || prop.Privacy == nil || prop.Privacy.MinCohort != 5 || prop.Status != "open" {
		t.Fatalf("created proposal: %+v", prop)
	}
	if p := b.get(loc); p.resp.StatusCode != 200 || text(p.testID("page-title")) != "Winter energy by region" {
		t.Fatalf("proposal page: %d", p.resp.StatusCode)
	}
}

// An operator sees the cluster and the members, grants the researcher
// role with one form, and suspends an account with another.
func TestPagesOps_ClusterAndMembers(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")

	p := b.get("/ops")
	if p.resp.StatusCode != 200 {
		t.Fatalf("ops: %d", p.resp.StatusCode)
	}
	if p.testID("cluster-nodes").Find("tbody tr").Length() < 1 || p.testID("cluster-leader").Length() != 1 {
		t.Fatalf("no cluster on /ops:\n%s", p.body)
	}
	checkForms(t, "/ops", p, csrfToken(b.cookies[sessionCookie]))
	row := p.testID("member-" + ada.ID)
	if row.Length() != 1 || !strings.Contains(row.Text(), "ada@coop.test") || text(row.Find(`[data-testid="member-status"]`)) != "active" {
		t.Fatalf("Ada's row: %q", text(row))
	}

	if row.Find("form, button").Length() != 0 || row.Find(`[data-testid="member-link"]`).AttrOr("href", "") != "/ops/members/"+ada.ID {
		t.Fatalf("Ada's row is not a compact link to her page: %q", text(row))
	}
	p = b.post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {p.csrf()}, "role": {"researcher"}, "action": {"grant"}})
	if p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/ops/members/"+ada.ID {
		t.Fatalf("grant: %d %q", p.resp.StatusCode, p.resp.Header.Get("Location"))
	}
	p = b.get("/ops/members/" + ada.ID)
	if !strings.Contains(text(p.testID("member-roles")), "researcher") || p.testID("revoke-researcher").Length() != 1 {
		t.Fatalf("after the grant, Ada's page: %q", text(p.testID("member-roles")))
	}
	if p.testID("notice").Length() != 1 {
		t.Fatalf("no notice after the grant")
	}
	a, err := w.members.Authenticate(t.Context(), w.login(t, "ada@coop.test"))
	if err != nil || !a.Has("researcher") {
		t.Fatalf("Ada is not a researcher: %v %v", a.Roles, err)
	}

	p = b.post("/ops/members/"+ada.ID+"/status", url.Values{"_csrf": {p.csrf()}, "action": {"suspend"}})
	if p.resp.StatusCode != 303 {
		t.Fatalf("suspend: %d\n%s", p.resp.StatusCode, p.body)
	}
	if got := text(b.get("/ops").testID("member-" + ada.ID).Find(`[data-testid="member-status"]`)); got != "suspended" {
		t.Fatalf("after suspending, status %q", got)
	}

	// A refused change re-renders the account's page with the error.
	p = b.post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {csrfToken(b.cookies[sessionCookie])}, "role": {"researcher"}, "action": {"promote"}})
	if p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 || text(p.testID("page-title")) != "Ada" {
		t.Fatalf("bad action: %d", p.resp.StatusCode)
	}
}

// A suppressed group draws no bar: only its label and the words that say
// it is hidden.
func TestPagesOps_ChartHidesSuppressedGroups(t *testing.T) {
	tr := i18n.New().For("en")
	v := 12.5
	q := pooling.Query{Aggregate: "count", GroupBy: []string{"region"}}
	chart := groupsFigure(tr, nil, q, []pooling.Group{
		{Key: map[string]string{"region": "north"}, Value: &v},
		{Key: map[string]string{"region": "south"}, Suppressed: true},
	}, "sandbox-chart", "t")
	var buf bytes.Buffer
	if err := components.FigureView(chart).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "<rect") != 1 || !strings.Contains(out, "hidden (too few members)") || !strings.Contains(out, ">12.5<") {
		t.Fatalf("chart:\n%s", out)
	}
}

// An operator takes a node out of a two-node cluster from /ops, after
// ticking the confirmation; the last node offers no such form.
func TestPagesOps_RemoveANode(t *testing.T) {
	t.Parallel()
	nodes := raftdatatest.Cluster(t, 2, registerAll)
	w := webCoopOn(t, envOn(t, nodes[0]))
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")

	p := b.get("/ops")
	if p.testID("remove-n2").Length() != 1 {
		t.Fatalf("no form to remove n2:\n%s", p.body)
	}
	checkForms(t, "/ops", p, csrfToken(b.cookies[sessionCookie]))
	p = b.post("/ops/nodes/n2/remove", url.Values{"_csrf": {p.csrf()}})
	if p.resp.StatusCode != 400 || p.testID("form-error").Length() != 1 {
		t.Fatalf("without the confirmation: %d", p.resp.StatusCode)
	}
	p = b.post("/ops/nodes/n2/remove", url.Values{"_csrf": {csrfToken(b.cookies[sessionCookie])}, "confirm": {"yes"}})
	if p.resp.StatusCode != 303 || p.resp.Header.Get("Location") != "/ops" {
		t.Fatalf("remove n2: %d %q\n%s", p.resp.StatusCode, p.resp.Header.Get("Location"), p.body)
	}
	p = b.get("/ops")
	if p.testID("node-n2").Length() != 0 || p.testID("notice").Length() != 1 {
		t.Fatalf("n2 still listed after its removal:\n%s", p.body)
	}
	if p.testID("remove-n1").Length() != 0 {
		t.Fatal("the last node offers a removal form")
	}
}
