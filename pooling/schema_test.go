package pooling

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func ptr(f float64) *float64 { return &f }

func energyPool() Pool {
	return Pool{
		ID: "energy", Title: "Home energy use",
		Fields: []Field{
			{Name: "kwh", Type: TypeNumber, Min: ptr(0), Max: ptr(2000), Unit: "kWh", Bins: 10},
			{Name: "heating", Type: TypeCategory, Values: []string{"gas", "electric", "wood"}},
			{Name: "month", Type: TypeMonth},
		},
		Documentation: Documentation{Provenance: "members' meters", CollectionMethod: "self-reported monthly reading",
			UpdateFrequency: "monthly", Format: "one row per home and month", Pseudonymisation: "records keyed by a random member key"},
	}
}

func TestPoolValidate(t *testing.T) {
	if err := energyPool().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*Pool)
		want   string
	}{
		{"bad slug", func(p *Pool) { p.ID = "Energy Use" }, "slug"},
		{"no fields", func(p *Pool) { p.Fields = nil }, "1 to 32 fields"},
		{"min above max", func(p *Pool) { p.Fields[0].Min = ptr(5000) }, "min < max"},
		{"one category value", func(p *Pool) { p.Fields[1].Values = []string{"gas"} }, "2 to 200 values"},
		{"duplicate name", func(p *Pool) { p.Fields[2].Name = "kwh" }, "used twice"},
		{"unknown type", func(p *Pool) { p.Fields[2].Type = "date" }, "type must be"},
		{"undocumented", func(p *Pool) { p.Documentation.Provenance = " " }, "documentation.provenance"},
		{"month range half given", func(p *Pool) { p.Fields[2].From = "2026-01" }, "both from and to"},
		{"month range backwards", func(p *Pool) { p.Fields[2].From, p.Fields[2].To = "2026-05", "2026-01" }, "comes after"},
		{"month range not months", func(p *Pool) { p.Fields[2].From, p.Fields[2].To = "2026-1", "2026-13" }, "YYYY-MM"},
		{"month range too long", func(p *Pool) { p.Fields[2].From, p.Fields[2].To = "2000-01", "2026-01" }, "at most 240"},
		{"range on a category", func(p *Pool) { p.Fields[1].From, p.Fields[1].To = "2026-01", "2026-02" }, "only a month"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := energyPool()
			p.Fields = append([]Field(nil), p.Fields...)
			tc.change(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMonthRangeIsAPublicDomainRecordsKeepTo(t *testing.T) {
	p := energyPool()
	p.Fields[2].From, p.Fields[2].To = "2025-11", "2026-02"
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Fields[2].Months(), " "); got != "2025-11 2025-12 2026-01 2026-02" {
		t.Fatalf("months = %s", got)
	}
	if energyPool().Fields[2].Months() != nil {
		t.Fatal("a month field without a range lists months")
	}
	if _, errs := p.ValidateRecord(map[string]any{"kwh": 1.0, "heating": "gas", "month": "2026-03"}); len(errs) != 1 || !strings.Contains(errs[0].Reason, "outside 2025-11..2026-02") {
		t.Fatalf("a month outside the range: %+v", errs)
	}
	if _, errs := p.ValidateRecord(map[string]any{"kwh": 1.0, "heating": "gas", "month": "2025-11"}); len(errs) != 0 {
		t.Fatalf("a month inside the range: %+v", errs)
	}
}

func TestValidateBatchIsAllOrNothing(t *testing.T) {
	p := energyPool()
	rows := []map[string]any{
		{"kwh": 120.5, "heating": "gas", "month": "2026-01"},
		{"kwh": 5000.0, "heating": "gas", "month": "2026-01"},
		{"kwh": 10.0, "heating": "coal", "month": "2026-13"},
		{"kwh": 10.0, "heating": "wood"},
		{"kwh": "12", "heating": "wood", "month": "2026-02", "extra": 1.0},
	}
	recs, errs := p.ValidateBatch(rows)
	if recs != nil {
		t.Fatal("a batch with bad rows returned records")
	}
	want := []string{
		"2 kwh 5000 is outside 0..2000",
		"3 heating \"coal\" is not one of gas, electric, wood",
		"3 month \"2026-13\" is not a month as YYYY-MM",
		"4 month missing value",
		"5 extra unknown field",
	}
	var got []string
	for _, e := range errs {
		got = append(got, strings.TrimSpace(strings.Join([]string{itoa(e.Row), e.Field, e.Reason}, " ")))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ok, errs := p.ValidateBatch(rows[:1])
	if len(errs) != 0 || ok[0]["kwh"] != 120.5 {
		t.Fatalf("good row: %v %v", ok, errs)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestParseCSV(t *testing.T) {
	p := energyPool()
	long := strings.Repeat("9", 10<<20)
	cases := []struct {
		name    string
		data    string
		rows    int
		wantErr string
	}{
		{"plain", "kwh,heating,month\n10,gas,2026-01\n20,wood,2026-02\n", 2, ""},
		{"columns in another order", "month,kwh,heating\n2026-01,10,gas\n", 1, ""},
		{"BOM and CRLF", "\ufeffkwh,heating,month\r\n10,gas,2026-01\r\n", 1, ""},
		{"empty file", "", 0, "empty"},
		{"header only", "kwh,heating,month\n", 0, "no records"},
		{"unknown column", "kwh,heating,month,name\n1,gas,2026-01,Ann\n", 0, "unknown column"},
		{"missing column", "kwh,heating\n1,gas\n", 0, "column missing"},
		{"wrong field count", "kwh,heating,month\n1,gas\n", 0, "wrong number of fields"},
		{"semicolons and decimal commas", "kwh;heating;month\n12,5;gas;2026-01\n", 1, ""},
		{"decimal comma needs semicolons", "kwh,heating,month\n12,5,gas,2026-01\n", 0, "wrong number of fields"},
		{"10 MB line", "kwh,heating,month\n" + long + ",gas,2026-01\n", 0, "longer than"},
		{"bad quote", "kwh,heating,month\n1,\"gas,2026-01\n", 0, "quote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file, errs := ParseCSV(p, strings.NewReader(tc.data))
			rows := file.Rows
			if tc.wantErr == "" {
				if len(errs) > 0 || len(rows) != tc.rows {
					t.Fatalf("rows %d errs %v", len(rows), errs)
				}
				if _, verrs := p.ValidateBatch(rows); len(verrs) > 0 {
					t.Fatalf("valid CSV did not validate: %v", verrs)
				}
				return
			}
			if rows != nil || len(errs) == 0 {
				t.Fatalf("accepted: %v", rows)
			}
			var all bytes.Buffer
			for _, e := range errs {
				all.WriteString(e.Reason + "; ")
			}
			if !strings.Contains(all.String(), tc.wantErr) {
				t.Fatalf("errors %q, want %q", all.String(), tc.wantErr)
			}
		})
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("kwh,heating,month\n10,gas,2026-01\n")
	f.Add("\ufeffmonth,kwh,heating\r\n2026-01,1e3,wood\r\n")
	f.Add("kwh,heating,month\n\"1\",\"gas\"\"\",2026-01\n")
	p := energyPool()
	f.Fuzz(func(t *testing.T, data string) {
		file, errs := ParseCSV(p, strings.NewReader(data))
		rows := file.Rows
		if rows == nil {
			if len(errs) == 0 {
				t.Fatal("no rows and no error")
			}
			return
		}
		recs, verrs := p.ValidateBatch(rows)
		if len(verrs) == 0 {
			for _, r := range recs {
				kwh := r["kwh"].(float64)
				if kwh < 0 || kwh > 2000 {
					t.Fatalf("out of range value accepted: %v", kwh)
				}
			}
		}
	})
}

func FuzzValidateRecordJSON(f *testing.F) {
	f.Add(`{"kwh":1,"heating":"gas","month":"2026-01"}`)
	f.Add(`{"kwh":"NaN","heating":"gas","month":"2026-01"}`)
	f.Add(`{"kwh":1e309}`)
	p := energyPool()
	f.Fuzz(func(t *testing.T, data string) {
		var in map[string]any
		if json.Unmarshal([]byte(data), &in) != nil {
			return
		}
		rec, errs := p.ValidateRecord(in)
		if len(errs) == 0 && len(rec) != len(p.Fields) {
			t.Fatalf("valid record with %d of %d fields", len(rec), len(p.Fields))
		}
	})
}
