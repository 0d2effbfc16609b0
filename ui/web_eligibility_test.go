package ui

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"coop/proposals"
	"coop/ui/i18n"
)

// On an open proposal, a visitor who does not vote sees why, and what
// they may still do, instead of a form they would be refused on: the
// member admitted after the opening, the requester, the operator, an
// anonymous visitor. A voter sees the form. The dashboard says the same
// for each open vote.
func TestPagesEligibility_WhyNotInsteadOfTheForm(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	prop := w.propose(t, "Winter energy")
	w.member(t, "Lou", "lou@coop.test") // admitted (open admission) after the opening
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
		b := newBrowser(t, w.app, "fr")
		if tt.email != "" {
			b.cookies[sessionCookie] = w.login(t, tt.email)
		}
		p := b.get(path)
		if p.resp.StatusCode != 200 {
			t.Fatalf("%s: %d", tt.email, p.resp.StatusCode)
		}
		if got, _ := p.testID("vote-ineligible").Attr("data-reason"); got != tt.reason {
			t.Errorf("%s: reason %q, want %q", tt.email, got, tt.reason)
		}
		for _, id := range tt.want {
			if p.testID(id).Length() != 1 {
				t.Errorf("%s: no %s", tt.email, id)
			}
		}
		for _, id := range tt.absent {
			if p.testID(id).Length() != 0 {
				t.Errorf("%s: %s is shown", tt.email, id)
			}
		}
		if tt.reason != "" && tt.reason != proposals.NotSignedIn && text(p.testID("vote-why")) != fr.T("vote.why."+tt.reason) {
			t.Errorf("%s: the reason reads %q", tt.email, text(p.testID("vote-why")))
		}
	}

	// Lou's ballot, forced through, is refused in French on a page that
	// still offers no form.
	lou := w.browserAs(t, "fr", "lou@coop.test")
	page := lou.get(path)
	refused := lou.post(path+"/vote", url.Values{"_csrf": {page.csrf()}, "choice": {"yes"}})
	if refused.resp.StatusCode != 403 || text(refused.testID("form-error")) != "⚠ "+fr.T("err.not_electorate") && text(refused.testID("form-error")) != fr.T("err.not_electorate") ||
		refused.testID("vote-form").Length() != 0 {
		t.Fatalf("Lou's ballot: %d %q", refused.resp.StatusCode, text(refused.testID("form-error")))
	}

	// The dashboard, per open vote.
	if got, _ := lou.get("/me").testID("me-vote-why").Attr("data-reason"); got != proposals.AdmittedAfterOpen {
		t.Errorf("Lou's dashboard: %q", got)
	}
	ada := w.browserAs(t, "fr", "ada@coop.test")
	if me := ada.get("/me"); me.testID("me-vote-yours").Length() != 1 || me.testID("me-vote-why").Length() != 0 {
		t.Errorf("Ada's dashboard does not say she votes:\n%s", me.testID("me-votes").Text())
	}
}

// An applicant (an operator admits, here) sees that they await admission
// and may keep their data out of the proposal.
func TestPagesEligibility_Applicant(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, nil)
	w.member(t, "Ada", "ada@coop.test")
	prop := w.propose(t, "Winter energy")
	b := w.browserAs(t, "en", "ada@coop.test")
	p := b.get("/proposals/" + prop.ID)
	if got, _ := p.testID("vote-ineligible").Attr("data-reason"); got != proposals.NotAdmitted || p.testID("can-object").Length() != 1 ||
		p.testID("can-discuss").Length() != 0 || p.testID("vote-form").Length() != 0 {
		t.Fatalf("an applicant: reason %q\n%s", got, p.testID("vote-ineligible").Text())
	}
}

// The receipt shown once after a ballot can be copied (a button forms.js
// reveals: the page's CSP forbids inline scripts) and downloaded as a
// small text file, in the page's language; it is gone on the next visit.
func TestPagesReceipt_CopyAndDownload(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	w.member(t, "Ben", "ben@coop.test") // two voters: the vote stays open
	prop := w.propose(t, "Winter energy")
	fr := i18n.New().For("fr")
	b := w.browserAs(t, "fr", "ada@coop.test")
	path := "/proposals/" + prop.ID
	if p := b.post(path+"/vote", url.Values{"_csrf": {b.get(path).csrf()}, "choice": {"yes"}}); p.resp.StatusCode != 303 {
		t.Fatalf("vote: %d", p.resp.StatusCode)
	}
	p := b.get(path)
	receipt := text(p.testID("receipt-code"))
	copyButton := p.testID("receipt-copy")
	if target, _ := copyButton.Attr("data-copy"); len(receipt) != 32 || target != "receipt-code" || p.doc.Find("#receipt-code").Length() != 1 {
		t.Fatalf("receipt %q, copy button for %q", receipt, target)
	}
	if _, hidden := copyButton.Attr("hidden"); !hidden {
		t.Error("the copy button shows without the script that makes it work")
	}
	script, _ := p.testID("receipt").Find("script").Attr("src")
	if !strings.HasPrefix(script, "/static/forms.") || p.doc.Find("script:not([src])").Length() != 0 {
		t.Errorf("the receipt's script: %q, or an inline script", script)
	}
	if asset := b.get(script); asset.resp.StatusCode != 200 || !strings.Contains(asset.body, "data-copy") {
		t.Errorf("forms.js: %d", asset.resp.StatusCode)
	}
	form := p.testID("receipt-download")
	if v, _ := form.Find(`input[name="receipt"]`).Attr("value"); v != receipt {
		t.Fatalf("the download form carries %q", v)
	}
	dl := b.post(path+"/receipt", url.Values{"_csrf": {p.csrf()}, "receipt": {receipt}, "choice": {"yes"}})
	if dl.resp.StatusCode != 200 || !strings.HasPrefix(dl.resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(dl.resp.Header.Get("Content-Disposition"), `attachment; filename="recu-de-vote-`+prop.ID+`.txt"`) {
		t.Fatalf("download: %d %q %q", dl.resp.StatusCode, dl.resp.Header.Get("Content-Type"), dl.resp.Header.Get("Content-Disposition"))
	}
	for _, want := range []string{receipt, proposals.ReceiptHash(receipt), "Winter energy", fr.F("receipt.file.choice", fr.T("choice.yes")), "/proposals/" + prop.ID + "/ballots"} {
		if !strings.Contains(dl.body, want) {
			t.Errorf("the file lacks %q:\n%s", want, dl.body)
		}
	}
	if bad := b.post(path+"/receipt", url.Values{"_csrf": {p.csrf()}, "receipt": {"<script>"}}); bad.resp.StatusCode != 400 || strings.Contains(bad.body, "<script>") {
		t.Errorf("a bad receipt: %d", bad.resp.StatusCode)
	}
	if again := b.get(path); again.testID("receipt").Length() != 0 || again.testID("receipt-download").Length() != 0 {
		t.Error("the receipt shows twice")
	}
}

// The API says the same as the page: GET /proposals/{id} tells a
// signed-in caller whether they vote on the open proposal, and why not.
func TestAPIEligibility(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	w.member(t, "Ada", "ada@coop.test")
	prop := w.propose(t, "Winter energy")
	w.member(t, "Lou", "lou@coop.test")
	for email, want := range map[string]eligibility{
		"ada@coop.test": {Votes: true},
		"lou@coop.test": {Reason: proposals.AdmittedAfterOpen},
		"op@coop.test":  {Reason: proposals.NotMember},
	} {
		var got struct {
			ID          string       `json:"id"`
			Eligibility *eligibility `json:"eligibility"`
		}
		getAPI(t, w.app, "/api/v1/proposals/"+prop.ID, w.login(t, email), &got)
		if got.ID != prop.ID || got.Eligibility == nil || *got.Eligibility != want {
			t.Errorf("%s: %+v, want %+v", email, got.Eligibility, want)
		}
	}
	var anon map[string]any
	getAPI(t, w.app, "/api/v1/proposals/"+prop.ID, "", &anon)
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
	resp, body := call(t, app, req)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
