package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"coop/proposals"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// On an open proposal, a visitor who does not vote sees why, and what
// they may still do, instead of a form they would be refused on: the
// member admitted after the opening, the requester, the operator, an
// anonymous visitor. A voter sees the form. The dashboard says the same
// for each open vote.
func TestPagesEligibility_WhyNotInsteadOfTheForm(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Winter energy")
	w.Member(t, "Lou", "lou@coop.test") // admitted (open admission) after the opening
	fr := i18n.New().For("fr")
	path := "/proposals/" + prop.ID

	tests := []struct {
		email, reason string
		want, absent  []string // data-testid present, absent
	}{
		{"", proposals.NotSignedIn, []string{"vote-login"}, []string{"vote-form", "can-object", "can-discuss"}},
		{"ada@coop.test", "", []string{"vote-form"}, []string{"vote-ineligible"}},
		{"lou@coop.test", proposals.AdmittedAfterOpen, []string{"can-object", "can-discuss", "can-read"}, []string{"vote-form", "vote-submit"}},
		{"rosalind@coop.test", proposals.IsRequester, []string{"can-discuss"}, []string{"vote-form"}},
		{"op@coop.test", proposals.NotMember, []string{"can-read-discussion"}, []string{"vote-form", "can-object", "can-discuss"}},
	}
	for _, tt := range tests {
		b := uitest.NewBrowser(t, w.App, "fr")
		if tt.email != "" {
			b.Cookies[server.SessionCookie] = w.Login(t, tt.email)
		}
		p := b.Get(path)
		if p.Resp.StatusCode != 200 {
			t.Fatalf("%s: %d", tt.email, p.Resp.StatusCode)
		}
		if got, _ := p.TestID("vote-ineligible").Attr("data-reason"); got != tt.reason {
			t.Errorf("%s: reason %q, want %q", tt.email, got, tt.reason)
		}
		for _, id := range tt.want {
			if p.TestID(id).Length() != 1 {
				t.Errorf("%s: no %s", tt.email, id)
			}
		}
		for _, id := range tt.absent {
			if p.TestID(id).Length() != 0 {
				t.Errorf("%s: %s is shown", tt.email, id)
			}
		}
		if tt.reason != "" && tt.reason != proposals.NotSignedIn && uitest.Text(p.TestID("vote-why")) != fr.T("vote.why."+tt.reason) {
			t.Errorf("%s: the reason reads %q", tt.email, uitest.Text(p.TestID("vote-why")))
		}
	}

	// Lou's ballot, forced through, is refused in French on a page that
	// still offers no form.
	lou := w.BrowserAs(t, "fr", "lou@coop.test")
	page := lou.Get(path)
	refused := lou.Post(path+"/vote", url.Values{"_csrf": {page.CSRF()}, "choice": {"yes"}})
	if refused.Resp.StatusCode != 403 || uitest.Text(refused.TestID("form-error")) != "⚠ "+fr.T("err.not_electorate") && uitest.Text(refused.TestID("form-error")) != fr.T("err.not_electorate") ||
		refused.TestID("vote-form").Length() != 0 {
		t.Fatalf("Lou's ballot: %d %q", refused.Resp.StatusCode, uitest.Text(refused.TestID("form-error")))
	}

	// The dashboard, per open vote.
	if got, _ := lou.Get("/me").TestID("me-vote-why").Attr("data-reason"); got != proposals.AdmittedAfterOpen {
		t.Errorf("Lou's dashboard: %q", got)
	}
	ada := w.BrowserAs(t, "fr", "ada@coop.test")
	if me := ada.Get("/me"); me.TestID("me-vote-yours").Length() != 1 || me.TestID("me-vote-why").Length() != 0 {
		t.Errorf("Ada's dashboard does not say she votes:\n%s", me.TestID("me-votes").Text())
	}
}

// An applicant (an operator admits, here) sees that they await admission
// and may keep their data out of the proposal.
func TestPagesEligibility_Applicant(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, nil)
	w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Winter energy")
	b := w.BrowserAs(t, "en", "ada@coop.test")
	p := b.Get("/proposals/" + prop.ID)
	if got, _ := p.TestID("vote-ineligible").Attr("data-reason"); got != proposals.NotAdmitted || p.TestID("can-object").Length() != 1 ||
		p.TestID("can-discuss").Length() != 0 || p.TestID("vote-form").Length() != 0 {
		t.Fatalf("an applicant: reason %q\n%s", got, p.TestID("vote-ineligible").Text())
	}
}

// The receipt shown once after a ballot can be copied (a button forms.js
// reveals: the page's CSP forbids inline scripts) and downloaded as a
// small text file, in the page's language; it is gone on the next visit.
func TestPagesReceipt_CopyAndDownload(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	w.Member(t, "Ben", "ben@coop.test") // two voters: the vote stays open
	prop := w.Propose(t, "Winter energy")
	fr := i18n.New().For("fr")
	b := w.BrowserAs(t, "fr", "ada@coop.test")
	path := "/proposals/" + prop.ID
	if p := b.Post(path+"/vote", url.Values{"_csrf": {b.Get(path).CSRF()}, "choice": {"yes"}}); p.Resp.StatusCode != 303 {
		t.Fatalf("vote: %d", p.Resp.StatusCode)
	}
	p := b.Get(path)
	receipt := uitest.Text(p.TestID("receipt-code"))
	copyButton := p.TestID("receipt-copy")
	if target, _ := copyButton.Attr("data-copy"); len(receipt) != 32 || target != "receipt-code" || p.Doc.Find("#receipt-code").Length() != 1 {
		t.Fatalf("receipt %q, copy button for %q", receipt, target)
	}
	if _, hidden := copyButton.Attr("hidden"); !hidden {
		t.Error("the copy button shows without the script that makes it work")
	}
	script, _ := p.TestID("receipt").Find("script").Attr("src")
	if !strings.HasPrefix(script, "/static/forms.") || p.Doc.Find("script:not([src])").Length() != 0 {
		t.Errorf("the receipt's script: %q, or an inline script", script)
	}
	if asset := b.Get(script); asset.Resp.StatusCode != 200 || !strings.Contains(asset.Body, "data-copy") {
		t.Errorf("forms.js: %d", asset.Resp.StatusCode)
	}
	form := p.TestID("receipt-download")
	if v, _ := form.Find(`input[name="receipt"]`).Attr("value"); v != receipt {
		t.Fatalf("the download form carries %q", v)
	}
	dl := b.Post(path+"/receipt", url.Values{"_csrf": {p.CSRF()}, "receipt": {receipt}, "choice": {"yes"}})
	if dl.Resp.StatusCode != 200 || !strings.HasPrefix(dl.Resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(dl.Resp.Header.Get("Content-Disposition"), `attachment; filename="recu-de-vote-`+prop.ID+`.txt"`) {
		t.Fatalf("download: %d %q %q", dl.Resp.StatusCode, dl.Resp.Header.Get("Content-Type"), dl.Resp.Header.Get("Content-Disposition"))
	}
	for _, want := range []string{receipt, proposals.ReceiptHash(receipt), "Winter energy", fr.F("receipt.file.choice", fr.T("choice.yes")), "/proposals/" + prop.ID + "/ballots"} {
		if !strings.Contains(dl.Body, want) {
			t.Errorf("the file lacks %q:\n%s", want, dl.Body)
		}
	}
	if bad := b.Post(path+"/receipt", url.Values{"_csrf": {p.CSRF()}, "receipt": {"<script>"}}); bad.Resp.StatusCode != 400 || strings.Contains(bad.Body, "<script>") {
		t.Errorf("a bad receipt: %d", bad.Resp.StatusCode)
	}
	if again := b.Get(path); again.TestID("receipt").Length() != 0 || again.TestID("receipt-download").Length() != 0 {
		t.Error("the receipt shows twice")
	}
}

// The API says the same as the page: GET /proposals/{id} tells a
// signed-in caller whether they vote on the open proposal, and why not.
func TestAPIEligibility(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	w.Member(t, "Ada", "ada@coop.test")
	prop := w.Propose(t, "Winter energy")
	w.Member(t, "Lou", "lou@coop.test")
	for email, want := range map[string]server.Eligibility{
		"ada@coop.test": {Votes: true},
		"lou@coop.test": {Reason: proposals.AdmittedAfterOpen},
		"op@coop.test":  {Reason: proposals.NotMember},
	} {
		var got struct {
			ID          string              `json:"id"`
			Eligibility *server.Eligibility `json:"eligibility"`
		}
		getAPI(t, w.App, "/api/v1/proposals/"+prop.ID, w.Login(t, email), &got)
		if got.ID != prop.ID || got.Eligibility == nil || *got.Eligibility != want {
			t.Errorf("%s: %+v, want %+v", email, got.Eligibility, want)
		}
	}
	var anon map[string]any
	getAPI(t, w.App, "/api/v1/proposals/"+prop.ID, "", &anon)
	if _, ok := anon["eligibility"]; ok || anon["id"] != prop.ID {
		t.Errorf("an anonymous caller: %v", anon)
	}
}

// getAPI GETs an API route with a Bearer token ("" for none) and decodes
// the 200 answer into out.
func getAPI(t *testing.T, app *fiber.App, path, token string, out any) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, body := uitest.Call(t, app, req)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
