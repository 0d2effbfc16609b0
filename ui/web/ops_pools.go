package web

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
	"coop/raftdata"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// opsPoolsPage answers GET /ops/pools (operators): the pools and the form
// that creates one.
func (w *web) opsPoolsPage(c *fiber.Ctx) error {
	if _, ok, err := w.operatorPage(c, "/ops/pools"); !ok {
		return err
	}
	form := pages.PoolForm{Fields: make([]pages.PoolFieldForm, pages.PoolFormFields)}
	return w.renderOpsPools(c, form, nil)
}

func (w *web) renderOpsPools(c *fiber.Ctx, form pages.PoolForm, formErr error) error {
	p := w.page(c, "ops", "opspools.title")
	pools, err := w.Deps.Pools.Pools(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.OpsPools{Page: p, Pools: pools, Form: form, Script: w.assets.URL("forms.js")}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.OpsPoolsPage(v))
}

// opsPoolSubmit answers POST /ops/pools: the pool is created as
// POST /api/v1/pools would, or the form comes back with the reasons, each
// next to its input.
func (w *web) opsPoolSubmit(c *fiber.Ctx) error {
	if _, ok, err := w.operatorPage(c, "/ops/pools"); !ok {
		return err
	}
	form := poolFormOf(c)
	pool, rows, err := poolOf(form)
	if err == nil {
		pool, err = w.Deps.Pools.CreatePool(c.UserContext(), pool)
		err = toFormRows(err, rows)
	}
	if err != nil {
		return w.renderOpsPools(c, form, err)
	}
	setFlash(c, flash{Notice: "pool_created"})
	return seeOther(c, "/pools/"+pool.ID)
}

// poolFormOf reads the creation form as typed.
func poolFormOf(c *fiber.Ctx) pages.PoolForm {
	v := func(name string) string { return strings.TrimSpace(c.FormValue(name)) }
	f := pages.PoolForm{ID: v("id"), Title: v("title"), Documentation: pooling.Documentation{
		Provenance: v("doc.provenance"), CollectionMethod: v("doc.collection_method"), UpdateFrequency: v("doc.update_frequency"),
		Format: v("doc.format"), Pseudonymisation: v("doc.pseudonymisation"), Sensitive: v("sensitive") == "yes"}}
	for i := range pages.PoolFormFields {
		at := "field." + strconv.Itoa(i) + "."
		f.Fields = append(f.Fields, pages.PoolFieldForm{Name: v(at + "name"), LabelFR: v(at + "label_fr"), LabelEN: v(at + "label_en"),
			Type: v(at + "type"), Min: v(at + "min"), Max: v(at + "max"), Unit: v(at + "unit"), Bins: v(at + "bins"),
			Values: v(at + "values"), From: v(at + "from"), To: v(at + "to")})
	}
	return f
}

// poolOf turns the form into a pool, reading for each field the inputs
// of its type only; the pooling service checks the rest (slug, names,
// bounds) as it does for the API. rows[k] is the form row of the pool's
// k-th field (rows without a name are left out). A number that does not
// read is refused next to its input.
func poolOf(f pages.PoolForm) (pooling.Pool, []int, error) {
	p := pooling.Pool{ID: f.ID, Title: f.Title, Documentation: f.Documentation}
	var rows []int
	var bad raftdata.Problems
	for i, ff := range f.Fields {
		if ff.Name == "" {
			continue
		}
		field := pooling.Field{Name: ff.Name, Type: ff.Type, Labels: typedLabels(ff.LabelFR, ff.LabelEN)}
		at := func(attr string) string { return "fields." + strconv.Itoa(i) + "." + attr }
		switch ff.Type {
		case pooling.TypeNumber:
			field.Unit = ff.Unit
			for _, b := range []struct {
				text, attr string
				into       **float64
			}{{ff.Min, "min", &field.Min}, {ff.Max, "max", &field.Max}} {
				if b.text == "" {
					continue
				}
				x, err := strconv.ParseFloat(strings.Replace(b.text, ",", ".", 1), 64)
				if err != nil {
					bad.Add(server.Invalid("not_number", "field %d (%s): the %s %q is not a number", i+1, ff.Name, b.attr, b.text).With("value", b.text).On(at(b.attr)))
					continue
				}
				*b.into = &x
			}
			if ff.Bins != "" {
				n, err := strconv.Atoi(ff.Bins)
				if err != nil {
					bad.Add(server.Invalid("not_whole_number", "field %d (%s): the number of bars %q is not a whole number", i+1, ff.Name, ff.Bins).With("value", ff.Bins).On(at("bins")))
				}
				field.Bins = n
			}
		case pooling.TypeCategory:
			field.Values, field.ValueLabels = categoryValues(ff.Values)
		case pooling.TypeMonth:
			field.From, field.To = ff.From, ff.To
		}
		p.Fields = append(p.Fields, field)
		rows = append(rows, i)
	}
	return p, rows, bad.Err(raftdata.CodeInvalid, "")
}

// typedLabels is a field's labels as typed, nil when none is.
func typedLabels(fr, en string) pooling.Labels {
	l := pooling.Labels{}
	if fr != "" {
		l[i18n.French] = fr
	}
	if en != "" {
		l[i18n.English] = en
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

// categoryValues reads a category's values: one a line, each
// "value | French label | English label" (the labels optional), or one
// line of values separated by commas.
func categoryValues(text string) ([]string, map[string]pooling.Labels) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) == 1 && !strings.Contains(text, "|") {
		lines = strings.Split(text, ",")
	}
	var values []string
	var labels map[string]pooling.Labels
	for _, line := range lines {
		parts := strings.Split(line, "|")
		v := strings.TrimSpace(parts[0])
		if v == "" {
			continue
		}
		values = append(values, v)
		var fr, en string
		if len(parts) > 1 {
			fr = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			en = strings.TrimSpace(parts[2])
		}
		if l := typedLabels(fr, en); l != nil {
			if labels == nil {
				labels = map[string]pooling.Labels{}
			}
			labels[v] = l
		}
	}
	return values, labels
}

// toFormRows names the inputs of a refused pool after the form's rows:
// the pooling service counts the pool's fields, the form its rows, some
// of which may be empty.
func toFormRows(err error, rows []int) error {
	var e *raftdata.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	fix := func(p *raftdata.Error) *raftdata.Error {
		c := *p
		var k int
		var attr string
		if n, _ := fmt.Sscanf(c.Field, "fields.%d.%s", &k, &attr); n == 2 && k >= 0 && k < len(rows) {
			c.Field = "fields." + strconv.Itoa(rows[k]) + "." + attr
			if c.Params["n"] != "" {
				c.Params = maps.Clone(c.Params)
				c.Params["n"] = strconv.Itoa(rows[k] + 1)
			}
		}
		return &c
	}
	out = *fix(&out)
	out.Problems = nil
	for _, p := range e.Problems {
		out.Problems = append(out.Problems, fix(p))
	}
	return &out
}
