package web

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/raftdata"
	"coop/ui/pages"
	"coop/ui/server"
)

// rectifyPage answers GET /me/records/{id}/edit: the form that corrects
// one of the member's records (right to rectification).
func (w *web) rectifyPage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	pool, rec, err := w.ownRecord(c, a, c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	p := w.page(c, "me", "rectify.title")
	return w.render(c, fiber.StatusOK, pages.RectifyPage(pages.Rectify{Page: p, Pool: pool, RecordID: rec.ID,
		Form: pages.ReadingForm{Values: formValues(pool, rec)}}))
}

// rectifySubmit answers POST /me/records/{id} (f.FIELD=value for each
// field of the pool): the record holds the corrected values, or the form
// comes back with the reason.
func (w *web) rectifySubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	pool, rec, err := w.ownRecord(c, a, c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	typed, values := readReadingForm(c, pool)
	if _, rowErrs := pool.ValidateRecord(values); len(rowErrs) > 0 {
		err = pooling.NewBatchError(rowErrs) // each problem shown next to its field
	} else {
		err = w.Deps.Pools.Rectify(c.UserContext(), a.ID, rec.ID, values)
	}
	if err != nil {
		p := w.page(c, "me", "rectify.title")
		status, fe := w.formError(c, p.Tr, err)
		return w.render(c, status, pages.RectifyPage(pages.Rectify{Page: p, Pool: pool, RecordID: rec.ID,
			Form: readingForm(p.Tr, pool, typed, err, fe)}))
	}
	setFlash(c, flash{Notice: "record_rectified"})
	return seeOther(c, "/me/records#records-"+pool.ID)
}

// ownRecord finds one of the member's records and its pool; another
// member's record is not found.
func (w *web) ownRecord(c *fiber.Ctx, a members.Account, id string) (pooling.Pool, pooling.StoredRecord, error) {
	ctx := c.UserContext()
	recs, err := w.Deps.Pools.Records(ctx, a.ID, "")
	if err != nil {
		return pooling.Pool{}, pooling.StoredRecord{}, err
	}
	for _, r := range recs {
		if r.ID == id {
			pool, err := w.Deps.Pools.Pool(ctx, r.Pool)
			return pool, r, err
		}
	}
	return pooling.Pool{}, pooling.StoredRecord{}, raftdata.Refuse(raftdata.CodeNotFound, "no_record", "no record %q among yours", id)
}
