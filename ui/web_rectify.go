package ui

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/ui/pages"
)

// rectifyPage answers GET /me/records/{id}/edit: the form that corrects
// one of the member's records (right to rectification).
func (w *web) rectifyPage(c *fiber.Ctx) error {
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	pool, rec, err := w.ownRecord(c, a, c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "me", "rectify.title")
	return w.render(c, fiber.StatusOK, pages.RectifyPage(pages.Rectify{Page: p, Pool: pool, RecordID: rec.ID,
		Values: recordRow(p.Tr, pool, rec).Values}))
}

// rectifySubmit answers POST /me/records/{id} (f.FIELD=value for each
// field of the pool): the record holds the corrected values, or the form
// comes back with the reason.
func (w *web) rectifySubmit(c *fiber.Ctx) error {
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	pool, rec, err := w.ownRecord(c, a, c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	values := map[string]any{}
	shown := make([]string, len(pool.Fields))
	for i, f := range pool.Fields {
		v := strings.TrimSpace(c.FormValue("f." + f.Name))
		shown[i] = v
		if v != "" {
			values[f.Name] = v
		}
	}
	if err := w.deps.Pools.Rectify(c.UserContext(), a.ID, rec.ID, values); err != nil {
		p := w.page(c, "me", "rectify.title")
		status, fe := w.formError(c, p.Tr, err)
		return w.render(c, status, pages.RectifyPage(pages.Rectify{Page: p, Pool: pool, RecordID: rec.ID, Values: shown, Error: fe}))
	}
	setFlash(c, flash{Notice: "record_rectified"})
	return seeOther(c, "/me/records#records-"+pool.ID)
}

// ownRecord finds one of the member's records and its pool; another
// member's record is not found.
func (w *web) ownRecord(c *fiber.Ctx, a members.Account, id string) (pooling.Pool, pooling.StoredRecord, error) {
	ctx := c.UserContext()
	recs, err := w.deps.Pools.Records(ctx, a.ID, "")
	if err != nil {
		return pooling.Pool{}, pooling.StoredRecord{}, err
	}
	for _, r := range recs {
		if r.ID == id {
			pool, err := w.deps.Pools.Pool(ctx, r.Pool)
			return pool, r, err
		}
	}
	return pooling.Pool{}, pooling.StoredRecord{}, raftdata.Errorf(raftdata.CodeNotFound, "no record %q among yours", id)
}
