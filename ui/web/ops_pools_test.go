package web_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"coop/members"
	"coop/ui/i18n"
	"coop/ui/server"
	"coop/ui/uitest"
)

// An operator creates a documented pool from the form: a bad bound comes
// back with what was typed; a good form creates the pool members see.
func TestPagesOps_CreatePool(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	b := uitest.NewBrowser(t, w.App, "fr")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := b.Get("/ops/pools")
	if p.Resp.StatusCode != 200 || p.TestID("pool-form").Find(`fieldset.field-row`).Length() != 6 {
		t.Fatalf("pools page: %d\n%s", p.Resp.StatusCode, p.Body)
	}
	form := url.Values{"_csrf": {p.CSRF()}, "id": {"sleep"}, "title": {"Sommeil"},
		"field.0.name": {"hours"}, "field.0.type": {"number"}, "field.0.min": {"0"}, "field.0.max": {"douze"}, "field.0.unit": {"h"},
		"field.1.name": {"weekday"}, "field.1.type": {"category"}, "field.1.values": {"lun, mar, mer"},
		"field.2.name": {"month"}, "field.2.type": {"month"},
		"doc.provenance": {"Typed in by members"}, "doc.collection_method": {"A weekly form"}, "doc.update_frequency": {"Weekly"},
		"doc.format": {"CSV"}, "doc.pseudonymisation": {"A member key, never a name"}}
	bad := b.Post("/ops/pools", form)
	if bad.Resp.StatusCode != 400 || bad.TestID("form-error").Length() != 1 {
		t.Fatalf("a bound that is not a number: %d\n%s", bad.Resp.StatusCode, bad.Body)
	}
	if v, _ := bad.Doc.Find(`input[name="field.0.max"]`).Attr("value"); v != "douze" {
		t.Errorf("the refused form lost what was typed: %q", v)
	}
	form.Set("field.0.max", "12")
	r := b.Post("/ops/pools", form)
	if r.Resp.StatusCode != 303 || r.Resp.Header.Get("Location") != "/pools/sleep" {
		t.Fatalf("create: %d %q\n%s", r.Resp.StatusCode, r.Resp.Header.Get("Location"), r.Body)
	}
	pool, err := w.Deps.Pools.Pool(context.Background(), "sleep")
	if err != nil || len(pool.Fields) != 3 || pool.Fields[1].Values[2] != "mer" || *pool.Fields[0].Max != 12 || pool.Documentation.Format != "CSV" {
		t.Fatalf("created pool: %+v %v", pool, err)
	}
	if got := uitest.Text(b.Get("/pools/sleep").TestID("notice")); got != i18n.New().For("fr").T("notice.pool_created") {
		t.Errorf("notice %q", got)
	}
	// Members may not create pools, even by posting the form.
	w.Member(t, "Ada", "ada@coop.test")
	ada := uitest.NewBrowser(t, w.App, "en")
	ada.Cookies[server.SessionCookie] = w.Login(t, "ada@coop.test")
	mp := ada.Get("/me")
	form.Set("_csrf", mp.CSRF())
	form.Set("id", "sleep-2")
	if r := ada.Post("/ops/pools", form); r.Resp.StatusCode != 403 {
		t.Fatalf("a member's pool: %d", r.Resp.StatusCode)
	}
}

// An operator erases an account only with the box ticked, and runs the
// retention now.
func TestPagesOps_EraseAndRetention(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	p := b.Get("/ops/members/" + ada.ID)
	// The operator role is granted from the account's page.
	if p.TestID("grant-operator").Length() != 1 {
		t.Fatal("no button to make Ada an operator")
	}
	if r := b.Post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {p.CSRF()}, "role": {"operator"}, "action": {"grant"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("grant operator: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if acct := w.Session(t, "ada@coop.test"); !acct.Has(members.RoleOperator) {
		t.Fatalf("Ada's roles after the grant: %v", acct.Roles)
	}
	p = b.Get("/ops/members/" + ada.ID)
	if p.TestID("revoke-operator").Length() != 1 {
		t.Fatal("no button to remove the operator role")
	}
	action := "/ops/members/" + ada.ID + "/delete"
	if p.Doc.Find(`form[action="`+action+`"]`).Length() != 1 {
		t.Fatalf("no erase form for Ada\n%s", p.Body)
	}
	if r := b.Post(action, url.Values{"_csrf": {p.CSRF()}}); r.Resp.StatusCode != 400 {
		t.Fatalf("unconfirmed erasure: %d", r.Resp.StatusCode)
	}
	if r := b.Post(action, url.Values{"_csrf": {p.CSRF()}, "confirm": {"yes"}}); r.Resp.StatusCode != 303 {
		t.Fatalf("erasure: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if _, err := w.Members.Login(context.Background(), members.LoginInput{Email: "ada@coop.test", Password: uitest.Password, Address: "192.0.2.7"}); err == nil {
		t.Fatal("an erased account logs in")
	}
	r := b.Post("/ops/retention", url.Values{"_csrf": {p.CSRF()}})
	if r.Resp.StatusCode != 303 {
		t.Fatalf("retention: %d\n%s", r.Resp.StatusCode, r.Body)
	}
	if n := b.Get("/ops").TestID("notice"); n.Length() != 1 {
		t.Fatal("no notice after the retention run")
	}
}

// The operators' access journal shows each use of pooled data, never who
// nor an exact count (an export has none; a query run shows a noisy count
// from its minimum cohort, pooling's TestAccessSummary...); the API gives
// the same.
func TestPagesOps_AccessJournal(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	ada := w.Member(t, "Ada", "ada@coop.test")
	w.ConsentAndContribute(t, ada, "north")
	b := uitest.NewBrowser(t, w.App, "en")
	b.Cookies[server.SessionCookie] = w.Login(t, "op@coop.test")
	if p := b.Get("/ops"); p.TestID("ops-journal-empty").Length() != 1 {
		t.Fatalf("a journal before any use\n%s", p.TestID("ops-journal").Text())
	}
	if _, err := w.Deps.Pools.Export(context.Background(), ada.ID); err != nil {
		t.Fatal(err)
	}
	p := b.Get("/ops")
	rows := p.TestID("ops-access")
	if rows.Length() != 1 || uitest.Text(rows.Find(`[data-testid="ops-access-members"]`)) != "—" ||
		!strings.Contains(uitest.Text(rows), i18n.New().For("en").T("opsjournal.action.export")) {
		t.Fatalf("journal rows: %q", uitest.Text(rows))
	}
	if strings.Contains(uitest.Text(p.TestID("ops-journal")), "Ada") || strings.Contains(p.TestID("ops-journal").Text(), ada.ID) {
		t.Fatal("the operators' journal names the member")
	}
	req := httptest.NewRequest("GET", "/api/v1/journal", nil)
	req.Header.Set("Authorization", "Bearer "+w.Login(t, "op@coop.test"))
	if resp, body := uitest.Call(t, w.App, req); resp.StatusCode != 200 || !strings.Contains(body, `"action":"export"`) || strings.Contains(body, `"members`) || strings.Contains(body, ada.ID) {
		t.Fatalf("API journal: %d %s", resp.StatusCode, body)
	}
}
