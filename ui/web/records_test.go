package web_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"coop/pooling"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// createHeatingPool adds a pool whose schema carries French and English
// labels (title, fields, category values).
func createHeatingPool(t *testing.T, w *uitest.Coop) pooling.Pool {
	t.Helper()
	lo, hi := 0.0, 2000.0
	p, err := w.Deps.Pools.CreatePool(context.Background(), pooling.Pool{ID: "heating", Title: "Heating",
		Labels: pooling.Labels{"fr": "Chauffage du foyer", "en": "Home heating"},
		Fields: []pooling.Field{
			{Name: "kwh", Type: "number", Min: &lo, Max: &hi, Unit: "kWh", Labels: pooling.Labels{"fr": "Consommation", "en": "Energy use"}},
			{Name: "system", Type: "category", Values: []string{"gas", "heat pump"}, Labels: pooling.Labels{"fr": "Système", "en": "System"},
				ValueLabels: map[string]pooling.Labels{"gas": {"fr": "gaz"}, "heat pump": {"fr": "pompe à chaleur"}}},
			{Name: "month", Type: "month", Labels: pooling.Labels{"fr": "Mois", "en": "Month"}},
		},
		Documentation: pooling.Documentation{Provenance: "Meters", CollectionMethod: "Monthly form",
			UpdateFrequency: "Monthly", Format: "CSV", Pseudonymisation: "A member key"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A French member adds one reading through the form drawn from the
// schema (a refused one shows each problem next to its field, in French,
// and keeps what was typed), downloads the French template, and uploads a
// French spreadsheet's export (';', labels, decimal commas); a bad file
// lists its problems by the file's line numbers, in French.
func TestPagesRecords_ReadingTemplateAndFrenchCSV(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	createHeatingPool(t, w)
	ada := w.Member(t, "Ada", "ada@coop.test")
	if _, err := w.Deps.Pools.SetConsent(context.Background(), ada.ID, "heating", true); err != nil {
		t.Fatal(err)
	}
	fr := i18n.New().For("fr")
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")

	p := b.Get("/me/records")
	form := p.TestID("reading-heating")
	if form.AttrOr("action", "") != "/pools/heating/records" || uitest.Text(p.TestID("records-heating").Find("h2")) != "Chauffage du foyer" {
		t.Fatalf("reading form: %q\n%s", form.AttrOr("action", ""), p.Body)
	}
	kwh := form.Find(`input[name="f.kwh"]`)
	if kwh.AttrOr("type", "") != "number" || kwh.AttrOr("min", "") != "0" || kwh.AttrOr("max", "") != "2000" ||
		uitest.Text(form.Find(`label[for="`+kwh.AttrOr("id", "")+`"]`)) != "Consommation (kWh)" {
		t.Errorf("number input: %v", kwh.Nodes)
	}
	if opts := cellTexts(form.Find(`select[name="f.system"] option`)); opts != fr.T("reading.choose")+" | gaz | pompe à chaleur" {
		t.Errorf("category options %q", opts)
	}
	if form.Find(`input[name="f.month"]`).AttrOr("type", "") != "month" {
		t.Error("no month input")
	}
	checkForms(t, "/me/records", p, server.CSRFToken(b.Cookies[server.SessionCookie]))

	fields := url.Values{"_csrf": {p.CSRF()}, "idem": {"reading-1"}, "f.kwh": {"2500"}, "f.system": {""}, "f.month": {"2026-01"}}
	bad := b.Post("/pools/heating/records", fields)
	if bad.Resp.StatusCode != 400 {
		t.Fatalf("bad reading: %d\n%s", bad.Resp.StatusCode, bad.Body)
	}
	if got, want := uitest.Text(bad.TestID("field-error-kwh")), fr.F("rowerr.out_of_range", "2500", "0", "2000\u00a0kWh"); got != strings.Join(strings.Fields(want), " ") {
		t.Errorf("kwh error %q, want %q", got, want)
	}
	if got := uitest.Text(bad.TestID("field-error-system")); got != fr.T("rowerr.missing_value") {
		t.Errorf("system error %q", got)
	}
	if v := bad.TestID("reading-heating-kwh").AttrOr("value", ""); v != "2500" || bad.TestID("reading-heating-kwh").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("the refused value is not kept and marked: %q", v)
	}
	fields.Set("f.kwh", "12,5")
	fields.Set("f.system", "heat pump")
	if ok := b.Post("/pools/heating/records", fields); ok.Resp.StatusCode != 303 || ok.Resp.Header.Get("Location") != "/me/records#records-heating" {
		t.Fatalf("reading: %d\n%s", ok.Resp.StatusCode, ok.Body)
	}
	p = b.Get("/me/records")
	if got := uitest.Text(p.TestID("notice")); got != fr.N("notice.reading_added", 1) {
		t.Errorf("notice %q", got)
	}
	if got := cellTexts(p.TestID("record").First().Find("td")); !strings.HasPrefix(got, "12,5 | pompe à chaleur | 2026-01 |") {
		t.Errorf("record as shown: %q", got)
	}

	href := p.TestID("template-heating").AttrOr("href", "")
	tpl, body := uitest.Call(t, w.App, httptest.NewRequest("GET", href, nil))
	if tpl.StatusCode != 200 || !strings.HasPrefix(tpl.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(body, "\ufeffConsommation;Système;Mois\n") || !strings.Contains(tpl.Header.Get("Content-Disposition"), "heating-modele.csv") {
		t.Fatalf("template %s: %d %q %q", href, tpl.StatusCode, tpl.Header.Get("Content-Disposition"), body)
	}
	up := url.Values{"_csrf": {p.CSRF()}, "idem": {"upload-1"}}
	// The template's own example line, then a line with a value missing.
	if r := b.PostFile("/pools/heating/upload", up, "file", "export.csv", body+"9,75;gaz\n"); r.Resp.StatusCode != 400 ||
		cellTexts(r.TestID("row-error").Find("td")) != "3 |  | "+fr.T("rowerr.csv_field_count") {
		t.Fatalf("a line missing its month: %d %q", r.Resp.StatusCode, cellTexts(r.TestID("row-error").Find("td")))
	}
	export := "Mois;Consommation;Système\r\n2026-02;9,75;gaz\r\n2026-03;1 200,5;fioul\r\n"
	refused := b.PostFile("/pools/heating/upload", up, "file", "export.csv", export)
	rows := refused.TestID("row-error")
	if refused.Resp.StatusCode != 400 || rows.Length() != 2 {
		t.Fatalf("bad export: %d, %d problems\n%s", refused.Resp.StatusCode, rows.Length(), refused.Body)
	}
	want := []string{
		"3 | Consommation | " + fr.F("rowerr.not_number", "1 200.5"),
		"3 | Système | " + fr.F("rowerr.not_in_category", "fioul", "gaz, pompe à chaleur"),
	}
	for i, w := range want {
		if got := cellTexts(rows.Eq(i).Find("td")); got != w {
			t.Errorf("problem %d: %q, want %q", i, got, w)
		}
	}
	if got := uitest.Text(refused.Doc.Find("#records-error-heating")); !strings.Contains(got, fr.T("upload.refused")) {
		t.Errorf("upload error %q", got)
	}
	export = "Mois;Consommation;Système\r\n2026-02;9,75;gaz\r\n2026-03;1200,5;Pompe à chaleur\r\n"
	if r := b.PostFile("/pools/heating/upload", up, "file", "export.csv", export); r.Resp.StatusCode != 303 {
		t.Fatalf("French export: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	p = b.Get("/me/records")
	if got := uitest.Text(p.TestID("notice")); got != fr.N("notice.records_added_semicolon", 2) {
		t.Errorf("notice %q", got)
	}
	recs, err := w.Deps.Pools.Records(context.Background(), ada.ID, "heating")
	if err != nil || len(recs) != 3 || recs[2].Values["kwh"] != 1200.5 || recs[2].Values["system"] != "heat pump" {
		t.Fatalf("records %v %v", recs, err)
	}
}

// cellTexts joins the texts of a selection's elements with " | ".
func cellTexts(s *goquery.Selection) string {
	var out []string
	s.Each(func(_ int, c *goquery.Selection) { out = append(out, uitest.Text(c)) })
	return strings.Join(out, " | ")
}
