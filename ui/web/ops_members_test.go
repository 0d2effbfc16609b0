package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"coop/members"
	"coop/ui/i18n"
	"coop/ui/uitest"
)

// /ops for many members: the applicants queue comes first; the accounts
// come a page of 50 at a time, one compact row each (a link to the
// account's page, no buttons), searched by name or email on the server;
// the API pages alike.
func TestPagesOps_MembersPagedAndSearched(t *testing.T) {
	t.Parallel()
	w := admissionCoop(t, nil) // an operator admits: sign-ups are applicants
	ctx := context.Background()
	op := w.Session(t, "op@coop.test")
	var zoe members.Account
	for i := range members.AccountsPageSize + 3 {
		a := w.Member(t, fmt.Sprintf("Member %02d", i), fmt.Sprintf("m%02d@coop.test", i))
		if i == 5 {
			zoe = a
		}
		if i > 0 { // Member 00 stays an applicant
			if err := w.Members.Admit(ctx, op, a.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	fr := i18n.New().For("fr")
	b := w.BrowserAs(t, "fr", "op@coop.test")
	p := b.Get("/ops")
	if p.Resp.StatusCode != 200 {
		t.Fatalf("/ops: %d", p.Resp.StatusCode)
	}
	if !strings.Contains(p.Body, `id="applicants"`) || strings.Index(p.Body, `id="applicants"`) > strings.Index(p.Body, `id="members"`) {
		t.Error("the applicants queue does not come before the members")
	}
	if p.TestID("ops-applicants").Find(`[data-testid^="applicant-"]`).Length() < 1 {
		t.Error("the applicant is not in the queue")
	}
	total := members.AccountsPageSize + 3 + 2 // the operator and the researcher too
	rows := p.TestID("ops-members").Find("tbody tr")
	if rows.Length() != members.AccountsPageSize || rows.Find("form, button").Length() != 0 {
		t.Fatalf("page 1: %d rows, %d forms", rows.Length(), rows.Find("form, button").Length())
	}
	if got, want := uitest.Text(p.TestID("members-count")), strings.Join(strings.Fields(fr.N("ops.members.count", total)+" "+fr.F("ops.members.page", 1, 2)), " "); got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	next := p.TestID("members-next").AttrOr("href", "")
	if next != "/ops?page=2#members" || p.TestID("members-prev").Length() != 0 {
		t.Fatalf("next %q", next)
	}
	p2 := b.Get(strings.TrimSuffix(next, "#members"))
	if n := p2.TestID("ops-members").Find("tbody tr").Length(); n != total-members.AccountsPageSize || p2.TestID("members-prev").Length() != 1 || p2.TestID("members-next").Length() != 0 {
		t.Fatalf("page 2: %d rows", n)
	}

	for query, want := range map[string]int{"Member 05": 1, "M05@COOP": 1, "member 1": 10, "nobody": 0} {
		s := b.Get("/ops?q=" + url.QueryEscape(query))
		if n := s.TestID("ops-members").Find("tbody tr").Length(); n != want || s.TestID("members-q").AttrOr("value", "") != query {
			t.Errorf("search %q: %d rows, want %d", query, n, want)
		}
	}
	s := b.Get("/ops?q=" + url.QueryEscape("member 05"))
	if link := s.TestID("member-"+zoe.ID).Find(`[data-testid="member-link"]`).AttrOr("href", ""); link != "/ops/members/"+zoe.ID {
		t.Fatalf("the found member's link: %q", link)
	}
	if page := b.Get("/ops/members/" + zoe.ID); page.Resp.StatusCode != 200 || uitest.Text(page.TestID("page-title")) != "Member 05" ||
		page.TestID("suspend").Length() != 1 || page.TestID("erase-form").Length() != 1 || page.TestID("grant-researcher").Length() != 1 {
		t.Fatalf("the account's page: %d", page.Resp.StatusCode)
	}
	if page := b.Get("/ops/members/nobody"); page.Resp.StatusCode != 404 {
		t.Errorf("an unknown account's page: %d", page.Resp.StatusCode)
	}
	member := w.BrowserAs(t, "fr", "m05@coop.test")
	if page := member.Get("/ops/members/" + zoe.ID); page.Resp.StatusCode != 403 {
		t.Errorf("a member on an account's page: %d", page.Resp.StatusCode)
	}

	var list members.AccountPage
	getAPI(t, w.App, "/api/v1/members?q=member&page=2", w.Login(t, "op@coop.test"), &list)
	if list.Total != members.AccountsPageSize+3 || list.Page != 2 || list.More || len(list.Accounts) != 3 {
		t.Fatalf("API page 2: total %d, page %d, more %v, %d accounts", list.Total, list.Page, list.More, len(list.Accounts))
	}
}

// The health summary says, in plain words, the disk's free space, the
// live updates' connection, the last backup, the lag, and whether the
// server writes; the French page speaks no operations jargon.
func TestPagesOps_HealthInPlainWords(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	fr := i18n.New().For("fr")
	b := w.BrowserAs(t, "fr", "op@coop.test")
	p := b.Get("/ops")
	h := p.TestID("ops-health")
	disk := h.Find(`[data-testid="health-disk"]`)
	if h.Length() != 1 || !strings.Contains(uitest.Text(disk), "libres sur") || disk.AttrOr("data-ok", "") != "true" {
		t.Fatalf("disk: %q", uitest.Text(disk))
	}
	if got := h.Find(`[data-testid="health-nats"]`); got.AttrOr("data-state", "") != "none" || uitest.Text(got) != fr.T("health.nats.none") {
		t.Errorf("NATS without live updates: %q", uitest.Text(got))
	}
	if got := uitest.Text(h.Find(`[data-testid="health-backup"]`)); got != fr.T("health.backup.never") {
		t.Errorf("backup: %q", got)
	}
	if got := uitest.Text(h.Find(`[data-testid="health-lag"]`)); got != fr.T("health.lag.none") {
		t.Errorf("lag: %q", got)
	}
	if got := h.Find(`[data-testid="health-storage"]`); got.AttrOr("data-ok", "") != "true" {
		t.Errorf("storage: %q", uitest.Text(got))
	}
	for _, jargon := range []string{"Meneur", "leader", "Index appliqué", "Lancer la conservation", "follower", "cluster"} {
		if strings.Contains(uitest.Text(p.Doc.Find("main")), jargon) {
			t.Errorf("/ops in French says %q", jargon)
		}
	}
	if got := uitest.Text(p.TestID("node-state")); got != fr.T("ops.state.leader") {
		t.Errorf("the node's state: %q", got)
	}

	if err := w.Store.RecordBackup(context.Background(), w.Store.AppliedIndex(), "operator"); err != nil {
		t.Fatal(err)
	}
	if got := uitest.Text(b.Get("/ops").TestID("health-backup")); !strings.HasPrefix(got, strings.TrimSuffix(fr.F("health.backup.at", ""), " ")) || got == fr.T("health.backup.never") {
		t.Errorf("backup after one: %q", got)
	}
}

// A pool is created field by field type: a number's bounds, unit and
// bars, a category's values with their labels, a month's range; each
// type's inputs are marked for forms.js; a refusal comes back next to the
// input of the form's row (rows left empty counted).
func TestPagesOps_PoolByFieldType(t *testing.T) {
	t.Parallel()
	w := uitest.NewCoop(t)
	fr := i18n.New().For("fr")
	b := w.BrowserAs(t, "fr", "op@coop.test")
	p := b.Get("/ops/pools")
	row := p.TestID("pool-field-0")
	for _, typ := range []string{"number", "category", "month"} {
		if row.Find(`[data-show-for="`+typ+`"]`).Length() != 1 {
			t.Errorf("no inputs for a %s", typ)
		}
	}
	if p.Doc.Find(`form[data-field-types] select[data-field-type]`).Length() != 6 || !strings.HasPrefix(p.Doc.Find(`script[src^="/static/forms."]`).AttrOr("src", ""), "/static/forms.") {
		t.Fatal("the form does not follow each field's type with forms.js")
	}
	form := url.Values{"_csrf": {p.CSRF()}, "id": {"heating"}, "title": {"Chauffage"},
		"field.2.name": {"kwh"}, "field.2.type": {"number"}, "field.2.min": {"10"}, "field.2.max": {"5"}, "field.2.unit": {"kWh"},
		"field.2.values": {"ignored | by | a number"},
		"field.3.name":   {"energy"}, "field.3.type": {"category"}, "field.3.label_fr": {"Énergie"}, "field.3.label_en": {"Energy"},
		"field.3.values": {"gas | Gaz | Gas\r\nheat_pump | Pompe à chaleur | Heat pump\r\nwood"},
		"field.4.name":   {"month"}, "field.4.type": {"month"}, "field.4.from": {"2026-01"}, "field.4.to": {"2026-12"}, "field.4.min": {"3"},
		"doc.provenance": {"Members"}, "doc.collection_method": {"A form"}, "doc.update_frequency": {"Monthly"},
		"doc.format": {"CSV"}, "doc.pseudonymisation": {"Member keys"}}
	bad := b.Post("/ops/pools", form)
	msg := uitest.Text(bad.TestID("field-error-fields.2.max"))
	if bad.Resp.StatusCode != 400 || !strings.Contains(msg, "Champ 3") || msg != strings.Join(strings.Fields(fr.P("err.field_min_max", map[string]string{"n": "3"})), " ") {
		t.Fatalf("min above max: %d %q", bad.Resp.StatusCode, msg)
	}
	if got := bad.Doc.Find("#fmax-2").AttrOr("aria-describedby", ""); !strings.Contains(got, "error-fields.2.max") {
		t.Errorf("the maximum does not point to its error: %q", got)
	}
	form.Set("field.2.max", "5000")
	if r := b.Post("/ops/pools", form); r.Resp.StatusCode != 303 {
		t.Fatalf("create: %d\n%s", r.Resp.StatusCode, uitest.Text(r.TestID("form-error")))
	}
	pool, err := w.Deps.Pools.Pool(context.Background(), "heating")
	if err != nil || len(pool.Fields) != 3 {
		t.Fatalf("%+v %v", pool, err)
	}
	kwh, energy, month := pool.Fields[0], pool.Fields[1], pool.Fields[2]
	if *kwh.Max != 5000 || kwh.Unit != "kWh" || len(kwh.Values) != 0 {
		t.Errorf("the number: %+v", kwh)
	}
	if strings.Join(energy.Values, ",") != "gas,heat_pump,wood" || energy.Labels["fr"] != "Énergie" ||
		energy.ValueLabels["heat_pump"]["fr"] != "Pompe à chaleur" || energy.ValueLabels["gas"]["en"] != "Gas" || energy.ValueLabels["wood"] != nil {
		t.Errorf("the category: %+v", energy)
	}
	if month.From != "2026-01" || month.To != "2026-12" || month.Min != nil {
		t.Errorf("the month: %+v", month)
	}
}
