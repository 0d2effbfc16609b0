package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// Charts people can read: two groupings draw one small chart per value
// of the first, every figure carries its unit and the axis says what it
// measures; histogram bins read "0–10 kWh"; each chart has its table;
// the sandbox's figures download as CSV. Labels come from the schema.
func TestPagesCharts_PanelsUnitsBinsTableAndCSV(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	createHeatingPool(t, w)
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "rosalind@coop.test")
	fr := i18n.New().For("fr")

	p := b.Get("/sandbox?pool=heating&aggregate=mean&field=kwh&group_by=system&group_by=month")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("sandbox: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	chart := p.TestID("sandbox-chart")
	panels := chart.Find("svg")
	titles := cellTexts(chart.Find(".panel-title"))
	if panels.Length() != 2 || titles != "gaz | pompe à chaleur" {
		t.Fatalf("%d panels titled %q, want one per heating system", panels.Length(), titles)
	}
	if axis := uitest.Text(chart.Find(".axis-title").First()); axis != fr.F("chart.axis.mean", "Consommation (kWh)") {
		t.Errorf("axis %q", axis)
	}
	if chart.Find("text.tick").Length() < 2 {
		t.Error("no ticks on the value axis")
	}
	shown := chart.Find("g.bar text[font-weight]").First()
	if !strings.HasSuffix(uitest.Text(shown), "\u00a0kWh") && !strings.HasSuffix(uitest.Text(shown), " kWh") {
		t.Errorf("a figure without its unit: %q", uitest.Text(shown))
	}
	table := p.TestID("sandbox-chart-table")
	if got := cellTexts(table.Find("th")); got != "Système | Mois | "+fr.F("chart.axis.mean", "Consommation (kWh)") {
		t.Errorf("table header %q", got)
	}
	if table.Find("tbody tr").Length() != chart.Find("g.bar").Length() {
		t.Errorf("the table has %d rows for %d bars", table.Find("tbody tr").Length(), chart.Find("g.bar").Length())
	}

	p = b.Get("/sandbox?pool=energy&aggregate=histogram&field=kwh")
	first := uitest.Text(p.TestID("sandbox-chart").Find("g.bar text").First())
	if first != "0–10 kWh" { // text() makes the no-break space a space
		t.Errorf("first bin %q, want 0–10 kWh", first)
	}

	href := p.TestID("sandbox-csv").AttrOr("href", "")
	req := httptest.NewRequest("GET", href, nil)
	req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: b.Cookies[server.SessionCookie]})
	resp, body := uitest.Call(t, w.App, req)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(body, "bin,value,suppressed\n0..10,") || strings.Count(body, "\n") != 11 {
		t.Fatalf("sandbox CSV %s: %d %q", href, resp.StatusCode, body)
	}
	anon, _ := uitest.Call(t, w.App, httptest.NewRequest("GET", href, nil))
	if anon.StatusCode != 401 {
		t.Errorf("anonymous sandbox CSV: %d", anon.StatusCode)
	}
}
