package ui

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"coop/pooling"
	"coop/ui/i18n"
)

// createHeatingPool adds a pool whose schema carries French and English
// labels (title, fields, category values).
func createHeatingPool(t *testing.T, w *webCoop) pooling.Pool {
	t.Helper()
	lo, hi := 0.0, 2000.0
	p, err := w.deps.Pools.CreatePool(context.Background(), pooling.Pool{ID: "heating", Title: "Heating",
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
	w := newWebCoop(t)
	createHeatingPool(t, w)
	ada := w.member(t, "Ada", "ada@coop.test")
	if _, err := w.deps.Pools.SetConsent(context.Background(), ada.ID, "heating", true); err != nil {
		t.Fatal(err)
	}
	fr := i18n.New().For("fr")
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "ada@coop.test")

	p := b.get("/me/records")
	form := p.testID("reading-heating")
	if form.AttrOr("action", "") != "/pools/heating/records" || text(p.testID("records-heating").Find("h2")) != "Chauffage du foyer" {
		t.Fatalf("reading form: %q\n%s", form.AttrOr("action", ""), p.body)
	}
	kwh := form.Find(`input[name="f.kwh"]`)
	if kwh.AttrOr("type", "") != "number" || kwh.AttrOr("min", "") != "0" || kwh.AttrOr("max", "") != "2000" ||
		text(form.Find(`label[for="`+kwh.AttrOr("id", "")+`"]`)) != "Consommation (kWh)" {
		t.Errorf("number input: %v", kwh.Nodes)
	}
	if opts := cellTexts(form.Find(`select[name="f.system"] option`)); opts != fr.T("reading.choose")+" | gaz | pompe à chaleur" {
		t.Errorf("category options %q", opts)
	}
	if form.Find(`input[name="f.month"]`).AttrOr("type", "") != "month" {
		t.Error("no month input")
	}
	checkForms(t, "/me/records", p, csrfToken(b.cookies[sessionCookie]))

	fields := url.Values{"_csrf": {p.csrf()}, "idem": {"reading-1"}, "f.kwh": {"2500"}, "f.system": {""}, "f.month": {"2026-01"}}
	bad := b.post("/pools/heating/records", fields)
	if bad.resp.StatusCode != 400 {
		t.Fatalf("bad reading: %d\n%s", bad.resp.StatusCode, bad.body)
	}
	if got, want := text(bad.testID("field-error-kwh")), fr.F("rowerr.out_of_range", "2500", "0", "2000\u00a0kWh"); got != strings.Join(strings.Fields(want), " ") {
		t.Errorf("kwh error %q, want %q", got, want)
	}
	if got := text(bad.testID("field-error-system")); got != fr.T("rowerr.missing_value") {
		t.Errorf("system error %q", got)
	}
	if v := bad.testID("reading-heating-kwh").AttrOr("value", ""); v != "2500" || bad.testID("reading-heating-kwh").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("the refused value is not kept and marked: %q", v)
	}
	fields.Set("f.kwh", "12,5")
	fields.Set("f.system", "heat pump")
	if ok := b.post("/pools/heating/records", fields); ok.resp.StatusCode != 303 || ok.resp.Header.Get("Location") != "/me/records#records-heating" {
		t.Fatalf("reading: %d\n%s", ok.resp.StatusCode, ok.body)
	}
	p = b.get("/me/records")
	if got := text(p.testID("notice")); got != fr.N("notice.reading_added", 1) {
		t.Errorf("notice %q", got)
	}
	if got := cellTexts(p.testID("record").First().Find("td")); !strings.HasPrefix(got, "12,5 | pompe à chaleur | 2026-01 |") {
		t.Errorf("record as shown: %q", got)
	}

	href := p.testID("template-heating").AttrOr("href", "")
	tpl, body := call(t, w.app, httptest.NewRequest("GET", href, nil))
	if tpl.StatusCode != 200 || !strings.HasPrefix(tpl.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(body, "\ufeffConsommation;Système;Mois\n") || !strings.Contains(tpl.Header.Get("Content-Disposition"), "heating-modele.csv") {
		t.Fatalf("template %s: %d %q %q", href, tpl.StatusCode, tpl.Header.Get("Content-Disposition"), body)
	}
	up := url.Values{"_csrf": {p.csrf()}, "idem": {"upload-1"}}
	// The template's own example line, then a line with a value missing.
	if r := b.postFile("/pools/heating/upload", up, "file", "export.csv", body+"9,75;gaz\n"); r.resp.StatusCode != 400 ||
		cellTexts(r.testID("row-error").Find("td")) != "3 |  | "+fr.T("rowerr.csv_field_count") {
		t.Fatalf("a line missing its month: %d %q", r.resp.StatusCode, cellTexts(r.testID("row-error").Find("td")))
	}
	export := "Mois;Consommation;Système\r\n2026-02;9,75;gaz\r\n2026-03;1 200,5;fioul\r\n"
	refused := b.postFile("/pools/heating/upload", up, "file", "export.csv", export)
	rows := refused.testID("row-error")
	if refused.resp.StatusCode != 400 || rows.Length() != 2 {
		t.Fatalf("bad export: %d, %d problems\n%s", refused.resp.StatusCode, rows.Length(), refused.body)
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
	if got := text(refused.doc.Find("#records-error-heating")); !strings.Contains(got, fr.T("upload.refused")) {
		t.Errorf("upload error %q", got)
	}
	export = "Mois;Consommation;Système\r\n2026-02;9,75;gaz\r\n2026-03;1200,5;Pompe à chaleur\r\n"
	if r := b.postFile("/pools/heating/upload", up, "file", "export.csv", export); r.resp.StatusCode != 303 {
		t.Fatalf("French export: %d\n%s", r.resp.StatusCode, r.body)
	}
	p = b.get("/me/records")
	if got := text(p.testID("notice")); got != fr.N("notice.records_added_semicolon", 2) {
		t.Errorf("notice %q", got)
	}
	recs, err := w.deps.Pools.Records(context.Background(), ada.ID, "heating")
	if err != nil || len(recs) != 3 || recs[2].Values["kwh"] != 1200.5 || recs[2].Values["system"] != "heat pump" {
		t.Fatalf("records %v %v", recs, err)
	}
}

// cellTexts joins the texts of a selection's elements with " | ".
func cellTexts(s *goquery.Selection) string {
	var out []string
	s.Each(func(_ int, c *goquery.Selection) { out = append(out, text(c)) })
	return strings.Join(out, " | ")
}
