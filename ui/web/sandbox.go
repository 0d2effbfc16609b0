package web

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// researcherPage lets a researcher through; an anonymous visitor goes to
// the login page (and back), anyone else gets the 403 page. When ok is
// false the answer is written already and err is what to return.
func (w *web) researcherPage(c *fiber.Ctx) (a members.Account, ok bool, err error) {
	a, logged := server.Actor(c)
	if !logged {
		return a, false, toLogin(c, c.OriginalURL())
	}
	if _, err := server.RequireRole(c, members.RoleResearcher); err != nil {
		return a, false, w.errorPage(c, err)
	}
	return a, true, nil
}

// queryForm reads a query's fields from the query string (GET) or the
// posted form (POST); group_by may come twice.
func queryForm(c *fiber.Ctx) pages.QueryForm {
	args := c.Context().QueryArgs()
	if c.Method() == fiber.MethodPost {
		args = c.Context().PostArgs()
	}
	get := func(k string) string { return strings.TrimSpace(string(args.Peek(k))) }
	q := pages.QueryForm{Pool: get("pool"), Aggregate: get("aggregate"), Field: get("field"),
		FilterField: get("filter_field"), FilterValue: get("filter_value")}
	// The form's filter is one select of "field=value" (a field's name
	// holds no "="); filter_field and filter_value are the older links'.
	if f, v, ok := strings.Cut(get("filter"), "="); ok && f != "" && v != "" {
		q.FilterField, q.FilterValue = f, v
	}
	var groups []string
	for _, g := range args.PeekMulti("group_by") {
		if s := strings.TrimSpace(string(g)); s != "" {
			groups = append(groups, s)
		}
	}
	if len(groups) > 0 {
		q.GroupBy1 = groups[0]
	}
	if len(groups) > 1 {
		q.GroupBy2 = groups[1]
	}
	return q
}

// choosePool fills the form's pool when there is only one to choose: the
// query form asks for the pool first, and a single pool needs no step.
func choosePool(f pages.QueryForm, pools []pooling.Pool) pages.QueryForm {
	if f.Pool == "" && len(pools) == 1 {
		f.Pool = pools[0].ID
	}
	return f
}

// toQuery is the form's query for the services; nil when it asks nothing.
func toQuery(f pages.QueryForm) *pooling.Query {
	if f.Aggregate == "" {
		return nil
	}
	q := &pooling.Query{Aggregate: f.Aggregate, Field: f.Field}
	for _, g := range []string{f.GroupBy1, f.GroupBy2} {
		if g != "" {
			q.GroupBy = append(q.GroupBy, g)
		}
	}
	if f.FilterField != "" && f.FilterValue != "" {
		q.Filters = map[string]string{f.FilterField: f.FilterValue}
	}
	return q
}

// queryValues is the query string that carries the form's query.
func queryValues(f pages.QueryForm) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Add(k, s)
		}
	}
	set("pool", f.Pool)
	set("aggregate", f.Aggregate)
	set("field", f.Field)
	set("group_by", f.GroupBy1)
	set("group_by", f.GroupBy2)
	set("filter", f.Filter())
	return v
}

// sandboxPage answers GET /sandbox[?pool=&aggregate=&field=&group_by=]
// (researchers): the query form and, when a pool is chosen, the query's
// answer on the pool's synthetic twin, with the rulebook's cohort floor.
func (w *web) sandboxPage(c *fiber.Ctx) error {
	if _, ok, err := w.researcherPage(c); !ok {
		return err
	}
	p := w.page(c, "sandbox", "sandbox.title")
	ctx := c.UserContext()
	pools, err := w.Deps.Pools.Pools(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	form := choosePool(queryForm(c), pools)
	v := pages.Sandbox{Page: p, Pools: pools, Query: form, Epsilon: strings.TrimSpace(c.Query("epsilon")), Script: w.assets.URL("forms.js")}
	q := toQuery(form)
	if form.Pool == "" || q == nil || c.Query("step") == "pool" {
		return w.render(c, fiber.StatusOK, pages.SandboxPage(v))
	}
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return w.errorPage(c, err)
	}
	floor := rules.Rules.Disclosure.MinCohortFloor
	eps, err := server.SandboxEpsilon(v.Epsilon)
	var ans pooling.SandboxAnswer
	if err == nil {
		ans, err = w.Deps.Pools.Sandbox(ctx, form.Pool, *q, pooling.SandboxOptions{MinCohort: floor, Epsilon: eps})
	}
	if err != nil {
		status, fe := w.formError(c, p.Tr, err)
		v.Error = fe
		return w.render(c, status, pages.SandboxPage(v))
	}
	v.Answer = &pages.SandboxAnswer{Members: ans.Members, MinCohort: floor, Epsilon: ans.Epsilon, CSVURL: "/sandbox.csv?" + queryValues(form).Encode(),
		Chart: groupsFigure(p.Tr, w.poolOf(ctx, form.Pool), *q, ans.Groups, "sandbox-chart", p.Tr.T("sandbox.chart.title"))}
	v.ProposeURL = "/proposals/new?" + queryValues(form).Encode()
	return w.render(c, fiber.StatusOK, pages.SandboxPage(v))
}

// sandboxCSV answers GET /sandbox.csv?pool=&aggregate=… (researchers):
// the sandbox's synthetic answer as CSV, a line per group.
func (w *web) sandboxCSV(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleResearcher); err != nil {
		return err
	}
	ctx := c.UserContext()
	form := queryForm(c)
	q := toQuery(form)
	if form.Pool == "" || q == nil {
		return server.Invalid("choose_pool", "choose a pool and an aggregate").On("pool")
	}
	rules, err := w.Deps.Rules.Current(ctx)
	if err != nil {
		return err
	}
	eps, err := server.SandboxEpsilon(strings.TrimSpace(c.Query("epsilon")))
	if err != nil {
		return err
	}
	ans, err := w.Deps.Pools.Sandbox(ctx, form.Pool, *q, pooling.SandboxOptions{MinCohort: rules.Rules.Disclosure.MinCohortFloor, Epsilon: eps})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := server.WriteGroupsCSV(&buf, *q, ans.Groups); err != nil {
		return err
	}
	tr := w.cat.For(server.Lang(c))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+tr.T("sandbox.csv.file")+"-"+form.Pool+`.csv"`)
	return c.Send(buf.Bytes())
}

// figureText writes a released figure with the reach of its 95 % interval
// ("7 ± 25"), or the figure alone when it has none.
func figureText(tr i18n.Tr, g pooling.Group) string {
	v := round2(*g.Value)
	reach, _ := pooling.Swamped(g)
	if g.CI == nil {
		return tr.Num(v)
	}
	return tr.F("results.figure_ci", tr.Num(v), tr.Num(round2(reach)))
}
