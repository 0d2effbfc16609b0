package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"coop/members"
	"coop/pooling"
	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
	"coop/ui/web"
)

// Before the vote, a member sees about how many members are in scope (a
// noisy count, the same all day) and what the query would produce on the
// synthetic twin sized like them, labelled synthetic, each figure with its
// expected error, the hidden groups marked and the drowned figures
// flagged; an anonymous visitor does not.
func TestPagesMore_PreviewBeforeVote(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Grace", "grace@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	r := w.Session(t, "rosalind@coop.test")
	prop, err := w.Deps.Proposals.Create(context.Background(), r, proposals.Draft{
		Title: "Energy by region", Purpose: "Count contributions by region.", Kind: "knowledge", Pool: "energy",
		Query:         &pooling.Query{Aggregate: "count", GroupBy: []string{"region"}},
		Privacy:       &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 0.5},
		VotingMinutes: 60, GrantDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	preview, err := w.Deps.Proposals.Preview(context.Background(), ada, prop.ID)
	if err != nil || preview.MembersInScopeNoisy == nil {
		t.Fatalf("preview for a member: %+v %v", preview, err)
	}
	again, _ := w.Deps.Proposals.Preview(context.Background(), ada, prop.ID)
	if *again.MembersInScopeNoisy != *preview.MembersInScopeNoisy {
		t.Fatalf("the noisy count changed within the day: %d then %d", *preview.MembersInScopeNoisy, *again.MembersInScopeNoisy)
	}

	for _, lang := range []string{"en", "fr"} {
		tr := i18n.New().For(lang)
		b := uitest.NewBrowser(t, w.App, lang)
		b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
		p := b.Get("/proposals/" + prop.ID)
		if p.Resp.StatusCode != 200 || p.TestID("preview").Length() != 1 {
			t.Fatalf("%s: no preview for a member: %d\n%s", lang, p.Resp.StatusCode, p.Body)
		}
		if got, want := uitest.Text(p.TestID("preview").Find("h2")), tr.T("preview.title"); got != want {
			t.Errorf("%s: preview heading %q, want %q", lang, got, want)
		}
		if got, want := uitest.Text(p.TestID("preview-scope")), tr.F("preview.scope_noisy", tr.Int(int(*preview.MembersInScopeNoisy)), preview.CountedOn); got != want {
			t.Errorf("%s: scope %q, want %q", lang, got, want)
		}
		if got := p.TestID("preview-warning").Length(); got != len(preview.Warnings) {
			t.Errorf("%s: %d warnings shown, the preview has %d", lang, got, len(preview.Warnings))
		}
		if got := uitest.Text(p.TestID("preview-synthetic")); !strings.HasPrefix(got, tr.T("preview.synthetic")) {
			t.Errorf("%s: the preview is not labelled synthetic: %q", lang, got)
		}
		rows := p.TestID("preview-group")
		if rows.Length() != len(preview.Twin.Groups) || rows.Length() == 0 {
			t.Fatalf("%s: %d groups shown, the twin has %d", lang, rows.Length(), len(preview.Twin.Groups))
		}
		for i, g := range preview.Twin.Groups {
			row := rows.Eq(i)
			if got := uitest.Text(row.Find("th")); got != g.Key["region"] {
				t.Errorf("%s: group %d labelled %q, want %q", lang, i, got, g.Key["region"])
			}
			if g.Suppressed {
				if row.Find(`[data-testid="preview-suppressed"]`).Length() != 1 || uitest.Text(row.Find("td")) != tr.T("results.hidden") {
					t.Errorf("%s: suppressed group %q not marked: %q", lang, g.Key["region"], uitest.Text(row))
				}
			} else if got, want := uitest.Text(row.Find("td")), web.FigureText(tr, g); got != want || !strings.Contains(got, "±") {
				t.Errorf("%s: group %q shows %q, want %q", lang, g.Key["region"], got, want)
			}
		}
		if p.TestID("results").Length() != 0 || p.TestID("run-form").Length() != 0 {
			t.Errorf("%s: an open proposal shows results or a run form", lang)
		}
	}
	if p := uitest.NewBrowser(t, w.App, "en").Get("/proposals/" + prop.ID); p.TestID("preview").Length() != 0 {
		t.Error("an anonymous visitor sees the preview")
	}
}

// The requester of a passed proposal runs its query from the page; the
// result shows as a chart to members (a figure with its ± and interval
// line, a hidden group as words, no bar), with its consent set's hash;
// a spent budget re-renders the page with a 409 and the message; each
// included member's dashboard adds the epsilon to their privacy ledger.
func TestPagesMore_RunResultsAndLedger(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	var voters []members.Account
	for i := range 5 {
		voters = append(voters, w.Member(t, fmt.Sprintf("North %d", i), fmt.Sprintf("north%d@coop.test", i)))
	}
	voters = append(voters, w.Member(t, "South", "south@coop.test"))
	for i, a := range voters {
		region := "north"
		if i == 5 {
			region = "south"
		}
		w.ConsentAndContribute(t, a, region)
	}
	prop := w.Propose(t, "Winter energy")
	for _, a := range voters {
		if _, err := w.Deps.Proposals.Vote(context.Background(), a, prop.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}

	member := uitest.NewBrowser(t, w.App, "en")
	member.Cookies[server.SessionCookie] = w.Login(t, "north0@coop.test")
	if p := member.Get("/proposals/" + prop.ID); p.TestID("run-form").Length() != 0 || p.TestID("results").Length() != 0 {
		t.Fatalf("before any run, a member sees a run form or results:\n%s", p.Body)
	}

	req := uitest.NewBrowser(t, w.App, "en")
	req.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	page := req.Get("/proposals/" + prop.ID)
	if page.TestID("run-form").Length() != 1 || page.TestID("status").First().Text() != "Passed" {
		t.Fatalf("the requester of a passed proposal has no run form:\n%s", page.Body)
	}
	checkForms(t, "/proposals/"+prop.ID, page, server.CSRFToken(req.Cookies[server.SessionCookie]))
	if p := req.Post("/proposals/"+prop.ID+"/run", url.Values{}); p.Resp.StatusCode != 403 {
		t.Fatalf("run without _csrf: %d", p.Resp.StatusCode)
	}
	if p := member.Post("/proposals/"+prop.ID+"/run", url.Values{"_csrf": {server.CSRFToken(member.Cookies[server.SessionCookie])}}); p.Resp.StatusCode != 403 || p.TestID("form-error").Length() != 1 {
		t.Fatalf("a member who is not the requester runs the query: %d", p.Resp.StatusCode)
	}
	for run := 1; run <= 2; run++ {
		p := req.Post("/proposals/"+prop.ID+"/run", url.Values{"_csrf": {page.CSRF()}})
		if p.Resp.StatusCode != 303 || p.Resp.Header.Get("Location") != "/proposals/"+prop.ID+"#results" {
			t.Fatalf("run %d: %d %q\n%s", run, p.Resp.StatusCode, p.Resp.Header.Get("Location"), p.Body)
		}
		after := req.Get("/proposals/" + prop.ID)
		if got, want := after.TestID("notice").Text(), i18n.New().For("en").T("notice.query_run"); got != want {
			t.Fatalf("run %d: notice %q, want %q", run, got, want)
		}
		if got := after.TestID("result-run").Length(); got != run {
			t.Fatalf("after run %d: %d runs listed", run, got)
		}
	}
	// The budget (1, at 0.5 a run) is spent: the page says so with a 409.
	p := req.Post("/proposals/"+prop.ID+"/run", url.Values{"_csrf": {page.CSRF()}})
	if p.Resp.StatusCode != 409 || !strings.Contains(p.TestID("form-error").Text(), "budget") || p.TestID("results").Length() != 1 {
		t.Fatalf("a run over budget: %d %q", p.Resp.StatusCode, p.TestID("form-error").Text())
	}

	// A knowledge proposal's results are for every member.
	for _, b := range []*uitest.Browser{member, req} {
		p := b.Get("/proposals/" + prop.ID)
		chart := p.TestID("result-chart-1")
		svg := chart.Find("svg")
		if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.Find("title").Text() == "" || svg.Find("desc").Text() == "" {
			t.Fatalf("no accessible result chart:\n%s", p.Body)
		}
		bars := chart.Find(`g.bar`)
		if bars.Length() != 2 {
			t.Fatalf("%d groups in the chart, want north and south", bars.Length())
		}
		// Hidden or shown follows a noisy count: either way the page says
		// which, and a shown figure carries its interval.
		for i, region := range []string{"north", "south"} {
			bar := bars.Eq(i)
			switch got := uitest.Text(bar); {
			case got == region+" hidden (too few members)":
				if bar.Find("rect").Length() != 0 {
					t.Errorf("%s: hidden with a bar", region)
				}
			case strings.HasPrefix(got, region+" ") && strings.Contains(got, " ± "):
				if bar.Find("rect").Length() != 1 || bar.Find(`line.interval`).Length() != 1 {
					t.Errorf("%s: %q without its bar and interval", region, got)
				}
			default:
				t.Errorf("%s: %q", region, got)
			}
		}
		if hash := uitest.Text(p.TestID("consent-hash").First()); len(hash) != 64 {
			t.Errorf("the run's consent set hash: %q", hash)
		}
	}
	// They are published: an anonymous visitor reads them too (DESIGN.md:
	// anonymous visitors read published results), with no run form.
	if p := uitest.NewBrowser(t, w.App, "en").Get("/proposals/" + prop.ID); p.TestID("results").Length() != 1 || p.TestID("run-form").Length() != 0 {
		t.Error("an anonymous visitor does not see the published results, or sees a run form")
	}

	// A reuse proposal's results go to its requester only: a member's page
	// leaves the section out.
	reuse, err := w.Deps.Proposals.Create(context.Background(), w.Session(t, "rosalind@coop.test"), proposals.Draft{
		Title: "Energy for a utility", Purpose: "A utility plans its grid.", Kind: "reuse", Organisation: "GridCo", Pool: "energy",
		Query:         &pooling.Query{Aggregate: "count", GroupBy: []string{"region"}},
		Privacy:       &proposals.Privacy{MinCohort: 5, EpsilonTotal: 1, EpsilonPerQuery: 1},
		VotingMinutes: 60, GrantDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range voters {
		if _, err := w.Deps.Proposals.Vote(context.Background(), a, reuse.ID, "yes"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Deps.Proposals.RunQuery(context.Background(), w.Session(t, "rosalind@coop.test"), reuse.ID, nil); err != nil {
		t.Fatal(err)
	}
	if p := member.Get("/proposals/" + reuse.ID); p.Resp.StatusCode != 200 || p.TestID("results").Length() != 0 {
		t.Errorf("a member sees a reuse proposal's results: %d", p.Resp.StatusCode)
	}
	if p := uitest.NewBrowser(t, w.App, "en").Get("/proposals/" + reuse.ID); p.Resp.StatusCode != 200 || p.TestID("results").Length() != 0 {
		t.Errorf("an anonymous visitor sees a reuse proposal's results: %d", p.Resp.StatusCode)
	}
	// The public results page lists the knowledge proposal, not the reuse.
	pub := uitest.NewBrowser(t, w.App, "fr").Get("/results")
	if items := pub.TestID("published-item"); pub.Resp.StatusCode != 200 || items.Length() != 1 ||
		items.Find(`a[href^="/proposals/`+prop.ID+`"]`).Length() != 1 || items.Find("svg").Length() != 1 {
		t.Errorf("published results: %d, %d items\n%s", pub.Resp.StatusCode, items.Length(), uitest.Text(pub.Doc.Find("main")))
	}
	if p := req.Get("/proposals/" + reuse.ID); p.TestID("result-chart-1").Length() != 1 {
		t.Errorf("the requester does not see their reuse results")
	}

	// North members were drawn on twice at 0.5 and once at 1: their
	// ledger says 2.
	fr := i18n.New().For("fr")
	me := uitest.NewBrowser(t, w.App, "fr")
	me.Cookies[server.SessionCookie] = member.Cookies[server.SessionCookie]
	mePage := me.Get("/me")
	ledger := uitest.Text(mePage.TestID("privacy-ledger"))
	if want := fr.F("me.ledger", fr.Num(2)) + " " + fr.T("me.ledger.explain"); ledger != want {
		t.Fatalf("ledger %q, want %q", ledger, want)
	}
	// The three runs' consent sets had them in, each with their token, and
	// what the year charged them against their cap.
	rules, _ := w.Deps.Rules.Current(context.Background())
	if got, want := uitest.Text(mePage.TestID("privacy-cap")), fr.F("me.cap", fr.Num(2), fr.Num(rules.Rules.Disclosure.MemberEpsilonPerYear())); got != want {
		t.Errorf("cap %q, want %q", got, want)
	}
	if sets, tokens := mePage.TestID("consent-set").Length(), mePage.TestID("consent-token").Length(); sets != 3 || tokens != 3 || mePage.TestID("left-out").Length() != 0 {
		t.Errorf("%d consent sets, %d tokens on the dashboard, want 3 and 3", sets, tokens)
	}
}

// A member sees their records per consented pool, uploads a CSV (a bad
// one lists its rows with a 400, a double submit adds nothing twice) and
// deletes a record, all from /me/records.
func TestPagesMore_RecordsUploadAndDelete(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	en := i18n.New().For("en")

	me := b.Get("/me")
	if href, _ := me.TestID("records-link").Attr("href"); href != "/me/records" {
		t.Fatalf("/me links to records at %q", href)
	}
	if got, want := uitest.Text(me.TestID("privacy-ledger")), en.F("me.ledger", "0")+" "+en.T("me.ledger.explain"); got != want {
		t.Fatalf("ledger %q, want %q", got, want)
	}
	if p := b.Get("/me/records"); p.Resp.StatusCode != 200 || p.TestID("records-none").Length() != 1 {
		t.Fatalf("no consent yet: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	if p := uitest.NewBrowser(t, w.App, "en").Get("/me/records"); p.Resp.StatusCode != 303 {
		t.Fatalf("anonymous /me/records: %d", p.Resp.StatusCode)
	}
	if _, err := w.Deps.Pools.SetConsent(context.Background(), ada.ID, "energy", true); err != nil {
		t.Fatal(err)
	}

	p := b.Get("/me/records")
	form := p.TestID("upload-energy")
	checkForms(t, "/me/records", p, server.CSRFToken(b.Cookies[server.SessionCookie]))
	if form.AttrOr("enctype", "") != "multipart/form-data" || form.AttrOr("action", "") != "/pools/energy/upload" {
		t.Fatalf("upload form: %v", form.Nodes)
	}
	file := form.Find(`input[type="file"][name="file"]`)
	if id := file.AttrOr("id", ""); id == "" || form.Find(`label[for="`+id+`"]`).Length() != 1 {
		t.Fatal("the file input has no label")
	}
	idem := form.Find(`input[name="idem"]`).AttrOr("value", "")
	if len(idem) < 16 || p.TestID("records-empty").Length() != 1 {
		t.Fatalf("idempotency key %q; empty notice %d", idem, p.TestID("records-empty").Length())
	}
	fields := url.Values{"_csrf": {p.CSRF()}, "idem": {idem}}

	if p := b.PostFile("/pools/energy/upload", url.Values{"idem": {idem}}, "file", "r.csv", "kwh,region,month\n1,north,2025-01\n"); p.Resp.StatusCode != 403 {
		t.Fatalf("upload without _csrf: %d", p.Resp.StatusCode)
	}
	bad := b.PostFile("/pools/energy/upload", fields, "file", "r.csv", "kwh,region,month\n12.5,north,2025-01\n500,west,2025-02\n")
	if bad.Resp.StatusCode != 400 || bad.TestID("form-error").Length() != 1 {
		t.Fatalf("bad CSV: %d\n%s", bad.Resp.StatusCode, bad.Body)
	}
	rows := bad.TestID("row-error")
	if rows.Length() < 2 {
		t.Fatalf("bad CSV: %d row errors listed, want kwh and region of row 2:\n%s", rows.Length(), bad.Body)
	}
	seen := map[string]bool{}
	for i := range rows.Length() {
		cells := rows.Eq(i).Find("td")
		if uitest.Text(cells.Eq(0)) != "3" || uitest.Text(cells.Eq(2)) == "" { // the file's line: the header is line 1
			t.Errorf("row error %d: %q", i, uitest.Text(rows.Eq(i)))
		}
		seen[uitest.Text(cells.Eq(1))] = true
	}
	if !seen["kwh"] || !seen["region"] {
		t.Errorf("row errors name fields %v, want kwh and region", seen)
	}
	if n := b.Get("/me/records").TestID("record").Length(); n != 0 {
		t.Fatalf("a refused upload added %d records", n)
	}
	missing := b.PostFile("/pools/energy/upload", fields, "file", "r.csv", "month,region\n2025-01,north\n")
	if cells := missing.TestID("row-error").Find("td"); missing.Resp.StatusCode != 400 || cells.Length() != 3 ||
		uitest.Text(cells.Eq(0)) != "1" || uitest.Text(cells.Eq(1)) != "kwh" || uitest.Text(cells.Eq(2)) != en.T("rowerr.missing_column") {
		t.Fatalf("missing column: %d %q", missing.Resp.StatusCode, uitest.Text(missing.TestID("row-error")))
	}

	good := "kwh,region,month\r\n12.5,north,2025-01\r\n30,south,2025-02\r\n"
	up := b.PostFile("/pools/energy/upload", fields, "file", "r.csv", good)
	if up.Resp.StatusCode != 303 || up.Resp.Header.Get("Location") != "/me/records#records-energy" {
		t.Fatalf("upload: %d %q\n%s", up.Resp.StatusCode, up.Resp.Header.Get("Location"), up.Body)
	}
	p = b.Get("/me/records")
	if got := p.TestID("notice").Text(); got != "2 records added." {
		t.Fatalf("notice %q", got)
	}
	if n := p.TestID("record").Length(); n != 2 {
		t.Fatalf("%d records after the upload", n)
	}
	if got := uitest.Text(p.TestID("record").First().Find("td").Eq(0)); got != "12.5" {
		t.Fatalf("first record's kwh %q", got)
	}
	// The same form posted again (a double click) adds nothing.
	if p := b.PostFile("/pools/energy/upload", fields, "file", "r.csv", good); p.Resp.StatusCode != 303 {
		t.Fatalf("double submit: %d", p.Resp.StatusCode)
	}
	p = b.Get("/me/records")
	if n := p.TestID("record").Length(); n != 2 || p.TestID("notice").Text() != en.N("notice.records_replayed", 2) {
		t.Fatalf("after a double submit: %d records, notice %q", n, p.TestID("notice").Text())
	}
	if next := p.TestID("upload-energy").Find(`input[name="idem"]`).AttrOr("value", ""); next == idem {
		t.Fatal("a new rendering of the form reuses the idempotency key")
	}

	// Delete the first record.
	del := p.TestID("record").First().Find("form")
	action := del.AttrOr("action", "")
	if !strings.HasPrefix(action, "/me/records/") || del.Find("button").Length() != 1 {
		t.Fatalf("delete form %q", action)
	}
	if d := b.Post(action, url.Values{"_csrf": {p.CSRF()}}); d.Resp.StatusCode != 303 {
		t.Fatalf("delete: %d", d.Resp.StatusCode)
	}
	p = b.Get("/me/records")
	if n := p.TestID("record").Length(); n != 1 || uitest.Text(p.TestID("record").Find("td").Eq(0)) != "30" {
		t.Fatalf("after deleting: %d records", n)
	}
	if got := b.Get("/me").TestID("records-count").First().Text(); got != "1" {
		t.Fatalf("the dashboard counts %q records", got)
	}
	// Another's record, or none, cannot be deleted.
	if d := b.Post("/me/records/nope/delete", url.Values{"_csrf": {p.CSRF()}}); d.Resp.StatusCode < 400 || d.TestID("form-error").Length() != 1 {
		t.Fatalf("deleting an unknown record: %d", d.Resp.StatusCode)
	}
}

// /rules says, in French and in English, what protects members: the
// guarantee, the accountant, what is public and the limits, with the
// personal cap, the preview budget and the retention of reuse results in
// force.
func TestPagesMore_RulesExplainThePrivacyGuarantee(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	rules, err := w.Deps.Rules.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := rules.Rules.Disclosure
	for _, lang := range []string{"fr", "en"} {
		tr := i18n.New().For(lang)
		p := uitest.NewBrowser(t, w.App, lang).Get("/rules")
		section := uitest.Text(p.TestID("rules-privacy"))
		for _, key := range []string{"rules.privacy.title", "rules.privacy.guarantee", "rules.privacy.accountant", "rules.privacy.public", "rules.privacy.limits"} {
			if !strings.Contains(section, tr.T(key)) {
				t.Errorf("%s: /rules lacks %s", lang, key)
			}
		}
		if got, want := uitest.Text(p.TestID("rules-member-cap")), tr.F("rules.eps_member", tr.Num(d.MemberEpsilonPerYear())); got != want {
			t.Errorf("%s: cap %q, want %q", lang, got, want)
		}
		if want := tr.F("rules.eps_preview", tr.Num(d.PreviewEpsilonPerCount()), tr.Num(d.PreviewEpsilonPerPoolYear())); !strings.Contains(uitest.Text(p.TestID("rules-disclosure")), want) {
			t.Errorf("%s: no preview budget %q", lang, want)
		}
		if want := tr.F("rules.ret.outputs", tr.N("unit.day", rules.Rules.Retention.OutputRetention())); !strings.Contains(uitest.Text(p.TestID("rules-retention")), want) {
			t.Errorf("%s: no output retention %q", lang, want)
		}
	}
}
