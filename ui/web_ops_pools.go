package ui

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
	"coop/ui/pages"
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
	pools, err := w.deps.Pools.Pools(c.UserContext())
	if err != nil {
		return w.errorPage(c, err)
	}
	v := pages.OpsPools{Page: p, Pools: pools, Form: form}
	status := fiber.StatusOK
	if formErr != nil {
		status, v.Error = w.formError(c, p.Tr, formErr)
	}
	return w.render(c, status, pages.OpsPoolsPage(v))
}

// opsPoolSubmit answers POST /ops/pools: the pool is created as
// POST /api/v1/pools would, or the form comes back with the reason.
func (w *web) opsPoolSubmit(c *fiber.Ctx) error {
	if _, ok, err := w.operatorPage(c, "/ops/pools"); !ok {
		return err
	}
	form := poolFormOf(c)
	pool, err := poolOf(form)
	if err == nil {
		pool, err = w.deps.Pools.CreatePool(c.UserContext(), pool)
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
		f.Fields = append(f.Fields, pages.PoolFieldForm{Name: v(at + "name"), Type: v(at + "type"), Min: v(at + "min"),
			Max: v(at + "max"), Unit: v(at + "unit"), Bins: v(at + "bins"), Values: v(at + "values")})
	}
	return f
}

// poolOf turns the form into a pool; the pooling service checks the rest
// (slug, names, bounds) as it does for the API.
func poolOf(f pages.PoolForm) (pooling.Pool, error) {
	p := pooling.Pool{ID: f.ID, Title: f.Title, Documentation: f.Documentation}
	for i, ff := range f.Fields {
		if ff.Name == "" {
			continue
		}
		field := pooling.Field{Name: ff.Name, Type: ff.Type, Unit: ff.Unit}
		for _, b := range []struct {
			text string
			into **float64
			what string
		}{{ff.Min, &field.Min, "minimum"}, {ff.Max, &field.Max, "maximum"}} {
			if b.text == "" {
				continue
			}
			x, err := strconv.ParseFloat(strings.Replace(b.text, ",", ".", 1), 64)
			if err != nil {
				return p, invalid("not_number", "field %d (%s): the %s %q is not a number", i+1, ff.Name, b.what, b.text).With("value", b.text)
			}
			*b.into = &x
		}
		if ff.Bins != "" {
			n, err := strconv.Atoi(ff.Bins)
			if err != nil {
				return p, invalid("not_whole_number", "field %d (%s): the number of bins %q is not a whole number", i+1, ff.Name, ff.Bins).With("value", ff.Bins)
			}
			field.Bins = n
		}
		for _, val := range strings.Split(ff.Values, ",") {
			if val = strings.TrimSpace(val); val != "" {
				field.Values = append(field.Values, val)
			}
		}
		p.Fields = append(p.Fields, field)
	}
	return p, nil
}
