package i18n

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func TestCatalog_SameKeysEveryLanguage(t *testing.T) {
	for _, p := range New().Problems() {
		t.Error(p)
	}
}

func TestTr_Formats(t *testing.T) {
	c := New()
	en, fr := c.For("en"), c.For("fr")
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	zone, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	paris := NewIn(zone)
	tests := []struct{ got, want string }{
		{en.Date(at), "4 Mar 2026, 05:06 UTC"},
		{fr.Date(at), "04/03/2026 05:06 UTC"},
		{en.Num(0.5), "0.5"},
		{fr.Num(0.5), "0,5"},
		{en.Int(43200), "43,200"},
		{fr.Int(1234567), "1\u202f234\u202f567"},
		// A counted message without a verb takes no number.
		{fr.N("notice.reading_added", 1), "Votre relevé est ajouté."},
		{en.N("notice.reading_added", 1), "Your reading is added."},
		{fr.N("notice.reading_added", 3), "3 relevés ajoutés."},
		{en.Int(-1000), "-1,000"},
		{c.For("de").Lang, "en"},
		{fr.T("no.such.key"), "no.such.key"},
		{paris.For("fr").Date(at), "04/03/2026 06:06 CET"},
		{paris.For("en").Date(at.AddDate(0, 4, 0)), "4 Jul 2026, 07:06 CEST"},
		{paris.For("fr").ZoneName(), "Europe/Paris"},
		{NewIn(nil).For("fr").ZoneName(), "UTC"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestTr_Placeholders(t *testing.T) {
	tr := New().For("en")
	tr.msgs = map[string]string{"k": "at least {min}, at most {max}; {min} again"}
	if got := tr.P("k", map[string]string{"min": "3", "max": "9"}); got != "at least 3, at most 9; 3 again" {
		t.Fatalf("P: %q", got)
	}
	if got := tr.P("k", map[string]string{"min": "3"}); got != "at least 3, at most {max}; 3 again" {
		t.Fatalf("P without max: %q", got)
	}
	if got := placeholders("a {b} {a} {b} {not one} {}"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("placeholders: %v", got)
	}
}
