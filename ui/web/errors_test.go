package web_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"coop/ui"
	"coop/ui/i18n"
	"coop/ui/uitest"
)

// A path no page answers is a French (or English) 404 page, never fiber's
// "Cannot GET"; a server failure is a 500 page in the visitor's language
// that shows nothing of the error; the API keeps its JSON errors.
func TestPages_NotFoundAndServerErrorInFrench(t *testing.T) {
	t.Parallel()
	app := ui.New(uitest.OpenEnv(t).Deps)
	app.Get("/test-fails", func(c *fiber.Ctx) error { return errors.New("disk on fire at /secret/path") })
	for _, lang := range []string{"fr", "en"} {
		tr := i18n.New().For(lang)
		for _, tc := range []struct {
			path, title, text string
			status            int
		}{
			{"/nope", "error.title.not_found", "error.no_page", 404},
			{"/me/nope/deeper", "error.title.not_found", "error.no_page", 404},
			{"/test-fails", "error.title.server", "err.internal", 500},
		} {
			p := uitest.NewBrowser(t, app, lang).Get(tc.path)
			if p.Resp.StatusCode != tc.status || !strings.HasPrefix(p.Resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s %s: %d %q", lang, tc.path, p.Resp.StatusCode, p.Resp.Header.Get("Content-Type"))
			}
			if got := uitest.Text(p.TestID("page-title")); !strings.HasPrefix(got, tr.T(tc.title)+" (") {
				t.Errorf("%s %s: title %q", lang, tc.path, got)
			}
			if got := uitest.Text(p.TestID("form-error")); got != "⚠ "+tr.T(tc.text) && got != tr.T(tc.text) {
				t.Errorf("%s %s: message %q", lang, tc.path, got)
			}
			for _, leak := range []string{"Cannot GET", "secret", "disk on fire"} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("%s %s: the page shows %q", lang, tc.path, leak)
				}
			}
		}
	}
	resp, body := uitest.Call(t, app, httptest.NewRequest("GET", "/api/v1/nope", nil))
	if resp.StatusCode != 404 || uitest.DecodeError(t, body).Code != "not_found" {
		t.Fatalf("API: %d %s", resp.StatusCode, body)
	}
}
