package ui

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"coop/members"
	"coop/ui/i18n"
)

// An operator creates a documented pool from the form: a bad bound comes
// back with what was typed; a good form creates the pool members see.
func TestPagesOps_CreatePool(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	b := newBrowser(t, w.app, "fr")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")
	p := b.get("/ops/pools")
	if p.resp.StatusCode != 200 || p.testID("pool-form").Find(`fieldset.field-row`).Length() != 6 {
		t.Fatalf("pools page: %d\n%s", p.resp.StatusCode, p.body)
	}
	form := url.Values{"_csrf": {p.csrf()}, "id": {"sleep"}, "title": {"Sommeil"},
		"field.0.name": {"hours"}, "field.0.type": {"number"}, "field.0.min": {"0"}, "field.0.max": {"douze"}, "field.0.unit": {"h"},
		"field.1.name": {"weekday"}, "field.1.type": {"category"}, "field.1.values": {"lun, mar, mer"},
		"field.2.name": {"month"}, "field.2.type": {"month"},
		"doc.provenance": {"Typed in by members"}, "doc.collection_method": {"A weekly form"}, "doc.update_frequency": {"Weekly"},
		"doc.format": {"CSV"}, "doc.pseudonymisation": {"A member key, never a name"}}
	bad := b.post("/ops/pools", form)
	if bad.resp.StatusCode != 400 || bad.testID("form-error").Length() != 1 {
		t.Fatalf("a bound that is not a number: %d\n%s", bad.resp.StatusCode, bad.body)
	}
	if v, _ := bad.doc.Find(`input[name="field.0.max"]`).Attr("value"); v != "douze" {
		t.Errorf("the refused form lost what was typed: %q", v)
	}
	form.Set("field.0.max", "12")
	r := b.post("/ops/pools", form)
	if r.resp.StatusCode != 303 || r.resp.Header.Get("Location") != "/pools/sleep" {
		t.Fatalf("create: %d %q\n%s", r.resp.StatusCode, r.resp.Header.Get("Location"), r.body)
	}
	pool, err := w.deps.Pools.Pool(context.Background(), "sleep")
	if err != nil || len(pool.Fields) != 3 || pool.Fields[1].Values[2] != "mer" || *pool.Fields[0].Max != 12 || pool.Documentation.Format != "CSV" {
		t.Fatalf("created pool: %+v %v", pool, err)
	}
	if got := text(b.get("/pools/sleep").testID("notice")); got != i18n.New().For("fr").T("notice.pool_created") {
		t.Errorf("notice %q", got)
	}
	// Members may not create pools, even by posting the form.
	w.member(t, "Ada", "ada@coop.test")
	ada := newBrowser(t, w.app, "en")
	ada.cookies[sessionCookie] = w.login(t, "ada@coop.test")
	mp := ada.get("/me")
	form.Set("_csrf", mp.csrf())
	form.Set("id", "sleep-2")
	if r := ada.post("/ops/pools", form); r.resp.StatusCode != 403 {
		t.Fatalf("a member's pool: %d", r.resp.StatusCode)
	}
}

// An operator erases an account only with the box ticked, and runs the
// retention now.
func TestPagesOps_EraseAndRetention(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")
	p := b.get("/ops/members/" + ada.ID)
	// The operator role is granted from the account's page.
	if p.testID("grant-operator").Length() != 1 {
		t.Fatal("no button to make Ada an operator")
	}
	if r := b.post("/ops/members/"+ada.ID+"/role", url.Values{"_csrf": {p.csrf()}, "role": {"operator"}, "action": {"grant"}}); r.resp.StatusCode != 303 {
		t.Fatalf("grant operator: %d\n%s", r.resp.StatusCode, r.body)
	}
	if acct := w.session(t, "ada@coop.test"); !acct.Has(members.RoleOperator) {
		t.Fatalf("Ada's roles after the grant: %v", acct.Roles)
	}
	p = b.get("/ops/members/" + ada.ID)
	if p.testID("revoke-operator").Length() != 1 {
		t.Fatal("no button to remove the operator role")
	}
	action := "/ops/members/" + ada.ID + "/delete"
	if p.doc.Find(`form[action="`+action+`"]`).Length() != 1 {
		t.Fatalf("no erase form for Ada\n%s", p.body)
	}
	if r := b.post(action, url.Values{"_csrf": {p.csrf()}}); r.resp.StatusCode != 400 {
		t.Fatalf("unconfirmed erasure: %d", r.resp.StatusCode)
	}
	if r := b.post(action, url.Values{"_csrf": {p.csrf()}, "confirm": {"yes"}}); r.resp.StatusCode != 303 {
		t.Fatalf("erasure: %d\n%s", r.resp.StatusCode, r.body)
	}
	if _, err := w.members.Login(context.Background(), members.LoginInput{Email: "ada@coop.test", Password: testPassword, Address: "192.0.2.7"}); err == nil {
		t.Fatal("an erased account logs in")
	}
	r := b.post("/ops/retention", url.Values{"_csrf": {p.csrf()}})
	if r.resp.StatusCode != 303 {
		t.Fatalf("retention: %d\n%s", r.resp.StatusCode, r.body)
	}
	if n := b.get("/ops").testID("notice"); n.Length() != 1 {
		t.Fatal("no notice after the retention run")
	}
}

// The operators' access journal shows each use of pooled data, never who
// nor an exact count (an export has none; a query run shows a noisy count
// from its minimum cohort, pooling's TestAccessSummary...); the API gives
// the same.
func TestPagesOps_AccessJournal(t *testing.T) {
	t.Parallel()
	w := newWebCoop(t)
	ada := w.member(t, "Ada", "ada@coop.test")
	w.consentAndContribute(t, ada, "north")
	b := newBrowser(t, w.app, "en")
	b.cookies[sessionCookie] = w.login(t, "op@coop.test")
	if p := b.get("/ops"); p.testID("ops-journal-empty").Length() != 1 {
		t.Fatalf("a journal before any use\n%s", p.testID("ops-journal").Text())
	}
	if _, err := w.deps.Pools.Export(context.Background(), ada.ID); err != nil {
		t.Fatal(err)
	}
	p := b.get("/ops")
	rows := p.testID("ops-access")
	if rows.Length() != 1 || text(rows.Find(`[data-testid="ops-access-members"]`)) != "—" ||
		!strings.Contains(text(rows), i18n.New().For("en").T("opsjournal.action.export")) {
		t.Fatalf("journal rows: %q", text(rows))
	}
	if strings.Contains(text(p.testID("ops-journal")), "Ada") || strings.Contains(p.testID("ops-journal").Text(), ada.ID) {
		t.Fatal("the operators' journal names the member")
	}
	req := httptest.NewRequest("GET", "/api/v1/journal", nil)
	req.Header.Set("Authorization", "Bearer "+w.login(t, "op@coop.test"))
	if resp, body := call(t, w.app, req); resp.StatusCode != 200 || !strings.Contains(body, `"action":"export"`) || strings.Contains(body, `"members`) || strings.Contains(body, ada.ID) {
		t.Fatalf("API journal: %d %s", resp.StatusCode, body)
	}
}
