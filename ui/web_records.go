package ui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// maxIdemKey bounds the idempotency key an upload form posts back.
const maxIdemKey = 200

// recordsPage answers GET /me/records: the member's records in each pool
// they consented to, with a delete button per record and a CSV upload.
func (w *web) recordsPage(c *fiber.Ctx) error {
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	return w.renderRecords(c, a, "", nil)
}

// renderRecords draws the records page. A refused form (formErr) is shown
// in the section of its pool, or above the pools when that pool is not
// listed; a refused upload lists its bad rows.
func (w *web) renderRecords(c *fiber.Ctx, a members.Account, pool string, formErr error) error {
	p := w.page(c, "me", "records.title")
	ctx := c.UserContext()
	pools, consents, records, err := w.memberPools(ctx, a.ID)
	if err != nil {
		return w.errorPage(c, err)
	}
	granted := map[string]bool{}
	for _, cs := range consents {
		granted[cs.Pool] = cs.Granted
	}
	byPool := map[string][]pooling.StoredRecord{}
	for _, r := range records {
		byPool[r.Pool] = append(byPool[r.Pool], r)
	}
	view := pages.Records{Page: p, UploadScript: w.assets.URL("upload.js")}
	for _, pl := range pools {
		if !granted[pl.ID] {
			continue
		}
		pr := pages.PoolRecords{Pool: pl, IdemKey: newIdemKey()}
		for _, r := range byPool[pl.ID] {
			pr.Records = append(pr.Records, recordRow(p.Tr, pl, r))
		}
		view.Pools = append(view.Pools, pr)
	}

	status := fiber.StatusOK
	if formErr != nil {
		var fe components.FormError
		status, fe = w.formError(c, p.Tr, formErr)
		var rows []pooling.RowError
		if be := (*pooling.BatchError)(nil); errors.As(formErr, &be) {
			rows = be.Rows
		}
		view.Error = fe
		for i := range view.Pools {
			if view.Pools[i].Pool.ID == pool {
				view.Pools[i].Error, view.Pools[i].Rows, view.Error = fe, rows, components.FormError{}
			}
		}
	}
	return w.render(c, status, pages.RecordsPage(view))
}

// recordRow writes a record's values in the order of the pool's fields.
func recordRow(tr i18n.Tr, p pooling.Pool, r pooling.StoredRecord) pages.RecordRow {
	row := pages.RecordRow{ID: r.ID, ContributedAt: r.ContributedAt, UpdatedAt: r.UpdatedAt}
	for _, f := range p.Fields {
		var s string
		switch v := r.Values[f.Name].(type) {
		case nil:
		case float64:
			s = tr.Num(v)
		case string:
			s = v
		default:
			s = fmt.Sprint(v)
		}
		row.Values = append(row.Values, s)
	}
	return row
}

// newIdemKey is the idempotency key of one rendering of an upload form:
// the same form posted twice adds its records once.
func newIdemKey() string {
	var b [16]byte
	rand.Read(b[:])
	return "web-" + hex.EncodeToString(b[:])
}

// uploadSubmit answers POST /pools/{id}/upload (multipart, file=CSV,
// idem=the form's idempotency key): the whole file is added, or nothing
// and the page lists each bad row.
func (w *web) uploadSubmit(c *fiber.Ctx) error {
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	poolID := c.Params("id")
	if _, err := requireContributor(c); err != nil {
		return w.renderRecords(c, a, poolID, err)
	}
	ctx := c.UserContext()
	pool, err := w.deps.Pools.Pool(ctx, poolID)
	if err != nil {
		return w.renderRecords(c, a, poolID, err)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return w.renderRecords(c, a, poolID, invalidf("choose a CSV file to upload"))
	}
	f, err := fh.Open()
	if err != nil {
		return w.renderRecords(c, a, poolID, invalidf("the file could not be read"))
	}
	defer f.Close()
	rows, rowErrs := pooling.ParseCSV(pool, f)
	if len(rowErrs) > 0 {
		return w.renderRecords(c, a, poolID, pooling.NewBatchError(rowErrs))
	}
	idem := strings.TrimSpace(c.FormValue("idem"))
	if len(idem) > maxIdemKey {
		idem = idem[:maxIdemKey]
	}
	res, err := w.deps.Pools.Contribute(ctx, a.ID, pool.ID, rows, idem)
	if err != nil {
		return w.renderRecords(c, a, poolID, err)
	}
	notice := "records_added"
	if res.Replayed {
		notice = "records_replayed"
	}
	setFlash(c, flash{Notice: notice, Count: res.Accepted})
	return seeOther(c, "/me/records#records-"+pool.ID)
}

// recordDeleteSubmit answers POST /me/records/{id}/delete: one of the
// member's records is deleted.
func (w *web) recordDeleteSubmit(c *fiber.Ctx) error {
	a, ok := actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	if _, err := requireAccount(c); err != nil {
		return w.renderRecords(c, a, "", err)
	}
	if err := w.deps.Pools.DeleteRecord(c.UserContext(), a.ID, c.Params("id")); err != nil {
		return w.renderRecords(c, a, "", err)
	}
	setFlash(c, flash{Notice: "record_deleted"})
	return seeOther(c, "/me/records")
}
