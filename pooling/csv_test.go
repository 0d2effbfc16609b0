package pooling

import (
	"strings"
	"testing"
)

// labelledPool is energyPool with labels in French and English.
func labelledPool() Pool {
	p := energyPool()
	p.Labels = Labels{"fr": "Énergie du foyer", "en": "Home energy"}
	p.Fields = append([]Field(nil), p.Fields...)
	p.Fields[0].Labels = Labels{"fr": "Consommation", "en": "Energy use"}
	p.Fields[1].Labels = Labels{"fr": "Chauffage", "en": "Heating"}
	p.Fields[1].ValueLabels = map[string]Labels{"gas": {"fr": "gaz"}, "electric": {"fr": "électrique"}, "wood": {"fr": "bois"}}
	p.Fields[2].Labels = Labels{"fr": "Mois", "en": "Month"}
	return p
}

// A French spreadsheet's export: ';', French headers and category labels,
// decimal commas; every line number is the file's (the header is line 1),
// a quoted value over two lines included.
func TestParseCSV_FrenchSpreadsheet(t *testing.T) {
	p := labelledPool()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	file, errs := ParseCSV(p, strings.NewReader("\ufeffMois;Consommation;Chauffage\r\n2026-01;12,5;gaz\r\n2026-02;1 200;bois\r\n"))
	if len(errs) != 1 || errs[0].Line != 3 || errs[0].Row != 2 || errs[0].Code != ErrNotNumber || errs[0].Params["value"] != "1 200" {
		t.Fatalf("errors %+v", errs)
	}
	file, errs = ParseCSV(p, strings.NewReader("Mois;Consommation;Chauffage\n2026-01;12,5;gaz\n2026-02;1200;BOIS\n"))
	if len(errs) > 0 || file.Separator != ';' || !file.DecimalComma || len(file.Rows) != 2 {
		t.Fatalf("%+v %v", file, errs)
	}
	if r := file.Rows[0]; r["kwh"] != 12.5 || r["heating"] != "gas" || r["month"] != "2026-01" {
		t.Fatalf("row 1 = %v", r)
	}
	if file.Rows[1]["heating"] != "wood" {
		t.Fatalf("row 2 = %v", file.Rows[1])
	}

	_, errs = ParseCSV(p, strings.NewReader("kwh,heating,month\n10,\"gas\nstill gas\",2026-01\n5000,coal,2026-13\n"))
	want := []string{
		"line 2, heating: \"gas\\nstill gas\" is not one of gas, electric, wood",
		"line 4, heating: \"coal\" is not one of gas, electric, wood",
		"line 4, kwh: 5000 is outside 0..2000",
		"line 4, month: \"2026-13\" is not a month as YYYY-MM",
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if errs[2].Code != ErrOutOfRange || errs[2].Params["max"] != "2000" || errs[2].Row != 2 {
		t.Fatalf("out of range: %+v", errs[2])
	}
}

// The header's problems are on line 1, each with its code.
func TestParseCSV_HeaderProblems(t *testing.T) {
	_, errs := ParseCSV(labelledPool(), strings.NewReader("Chauffage;Heating;name\n"))
	codes := map[string]string{}
	for _, e := range errs {
		if e.Line != 1 || e.Row != 0 {
			t.Errorf("header problem not on line 1: %+v", e)
		}
		codes[e.Code] += e.Field + " "
	}
	if codes[ErrDuplicateColumn] != "heating " || codes[ErrUnknownColumn] != "name " || codes[ErrMissingColumn] != "kwh month " {
		t.Fatalf("codes %v", codes)
	}
}

// The template a page offers, in each language and separator, is a file
// the upload accepts back.
func TestTemplate_RoundTrip(t *testing.T) {
	p := labelledPool()
	for _, tc := range []struct {
		lang   string
		sep    rune
		header string
	}{
		{"fr", ';', "Consommation;Chauffage;Mois"},
		{"en", ',', "Energy use,Heating,Month"},
		{"de", ',', "kwh,heating,month"},
	} {
		tpl := string(Template(p, tc.lang, tc.sep))
		if first, _, _ := strings.Cut(tpl, "\n"); first != tc.header {
			t.Errorf("%s header %q, want %q", tc.lang, first, tc.header)
		}
		file, errs := ParseCSV(p, strings.NewReader(tpl))
		if len(errs) > 0 || len(file.Rows) != 1 {
			t.Fatalf("%s template refused: %v\n%s", tc.lang, errs, tpl)
		}
	}
	if tpl := string(Template(p, "fr", ';')); !strings.Contains(tpl, "500;gaz;2026-01") {
		t.Errorf("French example line: %q", tpl)
	}
}

// Labels are optional and checked: languages, length, and no label that
// names two fields or two values.
func TestPoolValidate_Labels(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Pool)
		want   string
	}{
		{"bad language", func(p *Pool) { p.Fields[0].Labels = Labels{"french": "x"} }, "two lower-case letters"},
		{"empty label", func(p *Pool) { p.Labels = Labels{"fr": " "} }, "empty"},
		{"long label", func(p *Pool) { p.Fields[1].Labels = Labels{"fr": strings.Repeat("é", 101)} }, "at most 100"},
		{"label names another field", func(p *Pool) { p.Fields[0].Labels = Labels{"fr": "Heating"} }, `already names the field`},
		{"value label of a number", func(p *Pool) { p.Fields[0].ValueLabels = map[string]Labels{"x": {"fr": "x"}} }, "only a category"},
		{"label of an unknown value", func(p *Pool) { p.Fields[1].ValueLabels = map[string]Labels{"coal": {"fr": "charbon"}} }, "not one of its values"},
		{"value label names another value", func(p *Pool) { p.Fields[1].ValueLabels = map[string]Labels{"gas": {"fr": "wood"}} }, "already names the value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := labelledPool()
			tc.change(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	old := energyPool() // no labels: ids show
	if old.Fields[1].Label("fr") != "heating" || old.Fields[1].ValueLabel("fr", "gas") != "gas" || old.TitleIn("fr") != old.Title {
		t.Fatal("a pool without labels shows its ids")
	}
}
