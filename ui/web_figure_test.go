package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/ui/i18n"
)

// Charts people can read: two groupings draw one small chart per value
// of the first, every figure carries its unit and the axis says what it
// measures; histogram bins read "0–10 kWh"; each chart has its table;
// the sandbox's figures download as CSV. Labels come from the schema.
func TestPagesCharts_PanelsUnitsBinsTableAndCSV(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	createHeatingPool(t, w)
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.get("/sandbox?pool=heating&aggregate=mean&field=kwh&group_by=system&group_by=month")
	if p.resp.StatusCode != 200 {
		t.Fatalf("sandbox: %d\n%s", p.resp.StatusCode, p.body)
	}
	chart := p.testID("sandbox-chart")
	panels := chart.Find("svg")
	titles := cellTexts(chart.Find(".panel-title"))
	if panels.Length() != 2 || titles != "gaz | pompe à chaleur" {
		t.Fatalf("%d panels titled %q, want one per heating system", panels.Length(), titles)
	}
	if axis := text(chart.Find(".axis-title").First()); axis != fr.F("chart.axis.mean", "Consommation (kWh)") {
		t.Errorf("axis %q", axis)
	}
	if chart.Find("text.tick").Length() < 2 {
		t.Error("no ticks on the value axis")
	}
	shown := chart.Find("g.bar text[font-weight]").First()
	if !strings.HasSuffix(text(shown), "\u00a0kWh") && !strings.HasSuffix(text(shown), " kWh") {
		t.Errorf("a figure without its unit: %q", text(shown))
	}
	table := p.testID("sandbox-chart-table")
	if got := cellTexts(table.Find("th")); got != "Système | Mois | "+fr.F("chart.axis.mean", "Consommation (kWh)") {
		t.Errorf("table header %q", got)
	}
	if table.Find("tbody tr").Length() != chart.Find("g.bar").Length() {
		t.Errorf("the table has %d rows for %d bars", table.Find("tbody tr").Length(), chart.Find("g.bar").Length())
	}

	p = b.get("/sandbox?pool=energy&aggregate=histogram&field=kwh")
	first := text(p.testID("sandbox-chart").Find("g.bar text").First())
	if first != "0–10 kWh" { // text() makes the no-break space a space
		t.Errorf("first bin %q, want 0–10 kWh", first)
	}

	href := p.testID("sandbox-csv").AttrOr("href", "")
	req := httptest.NewRequest("GET", href, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: b.cookies[sessionCookie]})
	resp, body := call(t, w.app, req)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(body, "bin,value,suppressed\n0..10,") || strings.Count(body, "\n") != 11 {
		t.Fatalf("sandbox CSV %s: %d %q", href, resp.StatusCode, body)
	}
	anon, _ := call(t, w.app, httptest.NewRequest("GET", href, nil))
	if anon.StatusCode != 401 {
		t.Errorf("anonymous sandbox CSV: %d", anon.StatusCode)
	}
}
