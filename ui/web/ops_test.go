package web_test

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
	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// The researcher's and operator's pages let only their role in: an
// anonymous visitor is sent to log in, another member gets the 403 page.
func TestPagesOps_RoleGating(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")

	anon := uitest.NewBrowser(t, w.App, "en")
	member := uitest.NewBrowser(t, w.App, "en")
	member.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	researcher := uitest.NewBrowser(t, w.App, "en")
	researcher.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	operator := uitest.NewBrowser(t, w.App, "en")
	operator.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")

	for _, tc := range []struct {
		path    string
		allowed *uitest.Browser
		other   *uitest.Browser
	}{
		{"/sandbox", researcher, operator},
		{"/proposals/new", researcher, operator},
		{"/ops", operator, researcher},
		{"/ops/pools", operator, member},
	} {
		p := anon.Get(tc.path)
		if p.Resp.StatusCode != 303 || !strings.HasPrefix(p.Resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous GET %s: %d %q, want a redirect to log in", tc.path, p.Resp.StatusCode, p.Resp.Header.Get("Location"))
		}
		for _, b := range []*uitest.Browser{member, tc.other} {
			if p := b.Get(tc.path); p.Resp.StatusCode != 403 || p.TestID("page-title").Length() != 1 {
				t.Errorf("GET %s without the role: %d, want the 403 page", tc.path, p.Resp.StatusCode)
			}
		}
		p = tc.allowed.Get(tc.path)
		if p.Resp.StatusCode != 200 {
			t.Errorf("GET %s with the role: %d", tc.path, p.Resp.StatusCode)
		}
	}
	if p := member.Post("/ops/members/x/role", url.Values{"role": {"researcher"}, "action": {"grant"}, "_csrf": {server.CSRFToken(member.Cookies[server.SessionCookie])}}); p.Resp.StatusCode != 403 {
		t.Errorf("a member posting to /ops: %d, want 403", p.Resp.StatusCode)
	}
	if p := researcher.Get("/me"); p.TestID("sandbox-link").Length() != 1 || p.TestID("ops-link").Length() != 0 {
		t.Errorf("the researcher's dashboard does not link the sandbox alone")
	}
}

// The sandbox answers a query on the synthetic twin, labelled synthetic,
// as a chart, and links to a proposal form prefilled with the query; the
// form creates the proposal, and a refusal re-renders it with a 400.
func TestPagesOps_SandboxAndPropose(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.Get("/sandbox?pool=energy&aggregate=mean&field=kwh&group_by=region")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("sandbox: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	if got := uitest.Text(p.TestID("synthetic-label")); got != fr.T("preview.synthetic") {
		t.Fatalf("synthetic label %q", got)
	}
	chart := p.TestID("sandbox-chart")
	if chart.Length() != 1 || chart.Find("svg rect").Length() != 2 {
		t.Fatalf("chart: want one chart with a bar per region:\n%s", p.Body)
	}
	if v, _ := p.Doc.Find(`#group_by_1 option[selected]`).Attr("value"); v != "region" {
		t.Fatalf("the form does not keep the grouping: %q", v)
	}
	for _, sel := range []string{"#pool", "#aggregate", "#field", "#group_by_1", "#group_by_2", "#filter", "#epsilon"} {
		id := strings.TrimPrefix(sel, "#")
		if p.Doc.Find(sel).Length() != 1 || p.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s has no label", sel)
		}
	}
	link, _ := p.TestID("propose-link").Attr("href")
	if !strings.HasPrefix(link, "/proposals/new?") || !strings.Contains(link, "group_by=region") {
		t.Fatalf("propose link %q", link)
	}

	// A tiny group is hidden, in words.
	p = b.Get("/sandbox?pool=energy&aggregate=count&group_by=region&group_by=month")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("sandbox by region and month: %d", p.Resp.StatusCode)
	}
	if p.TestID("sandbox-chart").Find(".bar-hidden").Length() > 0 && !strings.Contains(p.Body, fr.T("results.hidden")) {
		t.Fatalf("hidden groups are not said to be hidden")
	}

	// At a chosen epsilon each figure carries one run's noise, written as
	// ± and drawn as an interval over its bar; a bad epsilon is refused.
	p = b.Get("/sandbox?pool=energy&aggregate=count&group_by=region&epsilon=0.5")
	if got, want := uitest.Text(p.TestID("sandbox-noise")), fr.F("sandbox.answer.noise", fr.Num(0.5)); p.Resp.StatusCode != 200 || got != want {
		t.Fatalf("sandbox at epsilon 0.5: %d %q, want %q", p.Resp.StatusCode, got, want)
	}
	if bars := p.TestID("sandbox-chart").Find(`g.bar`); bars.Find("line.interval").Length() != bars.Find("rect").Length() ||
		!strings.Contains(uitest.Text(bars), "±") || p.TestID("sandbox-epsilon").AttrOr("value", "") != "0.5" {
		t.Fatalf("a noisy sandbox answer without its intervals:\n%s", uitest.Text(bars))
	}
	if p = b.Get("/sandbox?pool=energy&aggregate=count&group_by=region&epsilon=-1"); p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 {
		t.Fatalf("a negative epsilon: %d", p.Resp.StatusCode)
	}

	// A bad query is refused next to the form.
	p = b.Get("/sandbox?pool=energy&aggregate=mean&field=nope")
	if p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 || p.TestID("sandbox-answer").Length() != 0 {
		t.Fatalf("bad query: %d", p.Resp.StatusCode)
	}

	form := b.Get(link)
	if v, _ := form.Doc.Find(`#field option[selected]`).Attr("value"); v != "kwh" {
		t.Fatalf("the proposal form is not prefilled: field %q", v)
	}
	checkForms(t, link, form, server.CSRFToken(b.Cookies[server.SessionCookie]))
	values := url.Values{"_csrf": {form.CSRF()}, "title": {"Winter energy by region"},
		"purpose": {"Find out whether homes in the north use more energy."}, "kind": {"knowledge"},
		"pool": {"energy"}, "aggregate": {"mean"}, "field": {"kwh"}, "group_by": {"region"},
		"min_cohort": {"5"}, "epsilon_total": {"1"}, "epsilon_per_query": {"0.5"},
		"voting_minutes": {"60"}, "grant_days": {"30"}}

	bad := url.Values{}
	for k, v := range values {
		bad[k] = v
	}
	bad.Set("voting_minutes", "soon")
	if p := b.Post("/proposals/new", bad); p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 {
		t.Fatalf("bad number: %d", p.Resp.StatusCode)
	} else if v, _ := p.TestID("propose-title").Attr("value"); v != "Winter energy by region" {
		t.Fatalf("the refused form lost the title: %q", v)
	}

	p = b.Post("/proposals/new", values)
	loc := p.Resp.Header.Get("Location")
	if p.Resp.StatusCode != 303 || !strings.HasPrefix(loc, "/proposals/") || !strings.HasSuffix(loc, "/filed") {
		t.Fatalf("create: %d %q\n%s", p.Resp.StatusCode, loc, p.Body)
	}
	loc = strings.TrimSuffix(loc, "/filed")
	prop, err := w.Deps.Proposals.Get(t.Context(), strings.TrimPrefix(loc, "/proposals/"))
	if err != nil {
		t.Fatal(err)
	}
	if prop.Title != "Winter energy by region" || prop.Query == nil || prop.Query.Field != "kwh" ||
		len(prop.Query.GroupBy) != 1 || prop.Privacy == nil || prop.Privacy.MinCohort != 5 || prop.Status != "open" {
		t.Fatalf("created proposal: %+v", prop)
	}
	if p := b.Get(loc); p.Resp.StatusCode != 200 || uitest.Text(p.TestID("page-title")) != "Winter energy by region" {
		t.Fatalf("proposal page: %d", p.Resp.StatusCode)
	}
}

// An operator sees the cluster and the members, grants the researcher
// role with one form, and suspends an account with another.
func TestPagesOps_ClusterAndMembers(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")

	p := b.Get("/ops")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("ops: %d", p.Resp.StatusCode)
	}
	if p.TestID("cluster-nodes").Find("tbody tr").Length() < 1 || p.TestID("cluster-leader").Length() != 1 {
		t.Fatalf("no cluster on /ops:\n%s", p.Body)
	}
	checkForms(t, "/ops", p, server.CSRFToken(b.Cookies[server.SessionCookie]))
	row := p.TestID("member-" + ada.ID)
	if row.Length() != 1 || !strings.Contains(row.Text(), "ada@coop.test") || uitest.Text(row.Find(`[data-testid="member-status"]`)) != "active" {
		t.Fatalf("Ada's row: %q", uitest.Text(row))
	}

	if row.Find("form, button").Length() != 0 || row.Find(`[data-testid="member-link"]`).AttrOr("href", "") != "/ops/members/"+ada.ID {
		t.Fatalf("Ada's row is not a compact link to her page: %q", uitest.Text(row))
	}
	p = b.Post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {p.CSRF()}, "role": {"researcher"}, "action": {"grant"}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/ops/members/"+ada.ID {
		t.Fatalf("grant: %d %q", p.Resp.StatusCode, p.Resp.Header.Get("Location"))
	}
	p = b.Get("/ops/members/" + ada.ID)
	if !strings.Contains(uitest.Text(p.TestID("member-roles")), "researcher") || p.TestID("revoke-researcher").Length() != 1 {
		t.Fatalf("after the grant, Ada's page: %q", uitest.Text(p.TestID("member-roles")))
	}
	if p.TestID("notice").Length() != 1 {
		t.Fatalf("no notice after the grant")
	}
	a, err := w.Members.Authenticate(t.Context(), w.Login(t, "ada@coop.test"))
	if err != nil || !a.Has("researcher") {
		t.Fatalf("Ada is not a researcher: %v %v", a.Roles, err)
	}

	p = b.Post("/ops/members/"+ada.ID+"/status", url.Values{"_csrf": {p.CSRF()}, "action": {"suspend"}})
	if p.Resp.StatusCode != 303 {
		t.Fatalf("suspend: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	if got := uitest.Text(b.Get("/ops").TestID("member-" + ada.ID).Find(`[data-testid="member-status"]`)); got != "suspended" {
		t.Fatalf("after suspending, status %q", got)
	}

	// A refused change re-renders the account's page with the error.
	p = b.Post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {server.CSRFToken(b.Cookies[server.SessionCookie])}, "role": {"researcher"}, "action": {"promote"}})
	if p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 || uitest.Text(p.TestID("page-title")) != "Ada" {
		t.Fatalf("bad action: %d", p.Resp.StatusCode)
	}
}

// A suppressed group draws no bar: only its label and the words that say
// it is hidden.
func TestPagesOps_ChartHidesSuppressedGroups(t *testing.T) {
	tr := i18n.New().For("en")
	v := 12.5
	q := pooling.Query{Aggregate: "count", GroupBy: []string{"region"}}
	chart := web.GroupsFigure(tr, nil, q, []pooling.Group{
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
	nodes := raftdatatest.Cluster(t, 2, uitest.RegisterAll)
	w := uitest.CoopOn(t, uitest.EnvOn(t, nodes[0]))
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")

	p := b.Get("/ops")
	if p.TestID("remove-n2").Length() != 1 {
		t.Fatalf("no form to remove n2:\n%s", p.Body)
	}
	checkForms(t, "/ops", p, server.CSRFToken(b.Cookies[server.SessionCookie]))
	p = b.Post("/ops/nodes/n2/remove", url.Values{"_csrf": {p.CSRF()}})
	if p.Resp.StatusCode != 400 || p.TestID("form-error").Length() != 1 {
		t.Fatalf("without the confirmation: %d", p.Resp.StatusCode)
	}
	p = b.Post("/ops/nodes/n2/remove", url.Values{"_csrf": {server.CSRFToken(b.Cookies[server.SessionCookie])}, "confirm": {"yes"}})
	if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/ops" {
		t.Fatalf("remove n2: %d %q\n%s", p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body)
	}
	p = b.Get("/ops")
	if p.TestID("node-n2").Length() != 0 || p.TestID("notice").Length() != 1 {
		t.Fatalf("n2 still listed after its removal:\n%s", p.Body)
	}
	if p.TestID("remove-n1").Length() != 0 {
		t.Fatal("the last node offers a removal form")
	}
}
