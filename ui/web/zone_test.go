package web_test

import (
	"strings"
	"testing"
	"time"

	"coop/members"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// Pages write dates in the coop's time zone, with the zone; the API
// keeps UTC (RFC 3339).
func TestPages_DatesInTheCoopsTimeZone(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	env := uitest.OpenEnv(t)
	env.Deps.Location = paris
	w := uitest.CoopOn(t, env)
	tok := w.Login(t, "rosalind@coop.test")
	if _, err := w.Members.CreateToken(t.Context(), w.Session(t, "rosalind@coop.test"), members.TokenRequest{Name: "script", Scopes: []string{"read"}}); err != nil {
		t.Fatal(err)
	}
	tokens, err := w.Members.Tokens(t.Context(), w.Researcher.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatal(tokens, err)
	}
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = tok
	p := b.Get("/me/account")
	fr := i18n.NewIn(paris).For("fr")
	if got := uitest.Text(p.TestID("time-zone")); got != fr.F("layout.zone", "Europe/Paris") {
		t.Fatalf("footer %q", got)
	}
	if tokens[0].ExpiresAt == nil {
		t.Fatal("a new token without an expiry")
	}
	want := fr.Date(*tokens[0].ExpiresAt)
	if !strings.HasSuffix(want, " CET") && !strings.HasSuffix(want, " CEST") {
		t.Fatalf("a Paris date without its zone: %q", want)
	}
	if !strings.Contains(p.Body, want) {
		t.Fatalf("the token's date is not written %q on the page", want)
	}
	req := uitest.JSONRequest("GET", "/api/v1/me/tokens", "")
	req.Header.Set("Authorization", "Bearer "+tok)
	_, body := uitest.Call(t, w.App, req)
	if !strings.Contains(body, tokens[0].CreatedAt.UTC().Format(time.RFC3339Nano)) {
		t.Fatalf("the API's date is not UTC RFC 3339: %s", body)
	}
}
