package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/ui/components"
	"coop/ui/i18n"
	"coop/ui/pages"
	"coop/ui/server"
)

// maxIdemKey bounds the idempotency key an upload form posts back.
const maxIdemKey = 200

// recordsPage answers GET /me/records: the member's records in each pool
// they consented to, with a delete button per record, the form of one
// reading and a CSV upload with its template.
func (w *web) recordsPage(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	return w.renderRecords(c, a, recordsForm{})
}

// recordsForm is what a refused form leaves for the records page: the
// pool it was about, the error, and the reading as typed.
type recordsForm struct {
	pool    string
	err     error
	reading map[string]string // the one-reading form's values (nil: the upload or a deletion)
}

// renderRecords draws the records page. A refused form is shown in the
// section of its pool, or above the pools when that pool is not listed;
// a refused upload lists its problems by line, a refused reading shows
// each problem next to its field.
func (w *web) renderRecords(c *fiber.Ctx, a members.Account, f recordsForm) error {
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
		pr := pages.PoolRecords{Pool: pl, IdemKey: newIdemKey(), TemplateURL: templateURL(pl.ID, p.Tr.Lang)}
		for _, r := range byPool[pl.ID] {
			pr.Records = append(pr.Records, recordRow(p.Tr, pl, r))
		}
		view.Pools = append(view.Pools, pr)
	}
	if f.err == nil {
		return w.render(c, fiber.StatusOK, pages.RecordsPage(view))
	}
	status, fe := w.formError(c, p.Tr, f.err)
	view.Error = fe
	for i := range view.Pools {
		pr := &view.Pools[i]
		if pr.Pool.ID != f.pool {
			continue
		}
		view.Error = components.FormError{}
		if f.reading != nil {
			pr.Reading = readingForm(p.Tr, pr.Pool, f.reading, f.err, fe)
			continue
		}
		pr.Error = fe
		var be *pooling.BatchError
		if errors.As(f.err, &be) {
			pr.Error = components.FormError{Text: p.Tr.T("upload.refused")}
			for _, re := range be.Rows {
				pr.Rows = append(pr.Rows, rowErrorView(p.Tr, pr.Pool, re))
			}
		}
	}
	return w.render(c, status, pages.RecordsPage(view))
}

// recordRow writes a record's values in the order of the pool's fields,
// as the page's language writes them (a category by its label).
func recordRow(tr i18n.Tr, p pooling.Pool, r pooling.StoredRecord) pages.RecordRow {
	row := pages.RecordRow{ID: r.ID, ContributedAt: r.ContributedAt, UpdatedAt: r.UpdatedAt}
	for _, f := range p.Fields {
		var s string
		switch v := r.Values[f.Name].(type) {
		case nil:
		case float64:
			s = tr.Num(v)
		case string:
			s = f.ValueLabel(tr.Lang, v)
		default:
			s = fmt.Sprint(v)
		}
		row.Values = append(row.Values, s)
	}
	return row
}

// formValues are a record's values as a form's inputs hold them: ids of
// category values, numbers with a decimal point.
func formValues(p pooling.Pool, r pooling.StoredRecord) map[string]string {
	out := map[string]string{}
	for _, f := range p.Fields {
		switch v := r.Values[f.Name].(type) {
		case float64:
			out[f.Name] = strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			out[f.Name] = v
		}
	}
	return out
}

// readReadingForm reads one record from a form (f.FIELD=value): the values
// as typed, and the record for the services (a decimal comma read as a
// point).
func readReadingForm(c *fiber.Ctx, p pooling.Pool) (typed map[string]string, values map[string]any) {
	typed, values = map[string]string{}, map[string]any{}
	for _, f := range p.Fields {
		v := strings.TrimSpace(c.FormValue("f." + f.Name))
		typed[f.Name] = v
		if v == "" {
			continue
		}
		if f.Type == pooling.TypeNumber {
			v = strings.Replace(v, ",", ".", 1)
		}
		values[f.Name] = v
	}
	return typed, values
}

// readingForm is a refused reading for the page: each field's problem
// next to it, in the page's language.
func readingForm(tr i18n.Tr, p pooling.Pool, typed map[string]string, err error, fe components.FormError) pages.ReadingForm {
	form := pages.ReadingForm{Values: typed, Errors: map[string]string{}, Error: fe}
	var be *pooling.BatchError
	if errors.As(err, &be) {
		form.Error = components.FormError{Text: tr.T("reading.refused")}
		for _, re := range be.Rows {
			if _, ok := p.Field(re.Field); ok && form.Errors[re.Field] == "" {
				form.Errors[re.Field] = rowErrorText(tr, p, re)
			}
		}
	}
	return form
}

// readingSubmit answers POST /pools/{id}/records (f.FIELD=value, idem):
// one reading added to the pool.
func (w *web) readingSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	ctx := c.UserContext()
	pool, err := w.Deps.Pools.Pool(ctx, c.Params("id"))
	if err != nil {
		return w.renderRecords(c, a, recordsForm{pool: c.Params("id"), err: err})
	}
	typed, values := readReadingForm(c, pool)
	if _, err := server.RequireContributor(c); err != nil {
		return w.renderRecords(c, a, recordsForm{pool: pool.ID, err: err, reading: typed})
	}
	res, err := w.Deps.Pools.Contribute(ctx, a.ID, pool.ID, []map[string]any{values}, formIdemKey(c))
	if err != nil {
		return w.renderRecords(c, a, recordsForm{pool: pool.ID, err: err, reading: typed})
	}
	notice := "reading_added"
	if res.Replayed {
		notice = "records_replayed"
	}
	setFlash(c, flash{Notice: notice, Count: res.Accepted})
	return seeOther(c, "/me/records#records-"+pool.ID)
}

// templateURL is the CSV template of a pool in lang: a French one is
// separated by ';', as a French spreadsheet opens it.
func templateURL(pool, lang string) string {
	sep := "comma"
	if lang == i18n.French {
		sep = "semicolon"
	}
	return "/pools/" + pool + "/template.csv?lang=" + lang + "&sep=" + sep
}

// templateCSV answers GET /pools/{id}/template.csv[?lang=fr|en&sep=semicolon|comma]:
// the CSV a member fills in, its header in the page's language.
func (w *web) templateCSV(c *fiber.Ctx) error {
	pool, err := w.Deps.Pools.Pool(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	l := c.Query("lang")
	if l != i18n.French && l != i18n.English {
		l = server.Lang(c)
	}
	sep := ','
	if c.Query("sep") == "semicolon" || c.Query("sep") == "" && l == i18n.French {
		sep = ';'
	}
	tr := w.cat.For(l)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+pool.ID+"-"+tr.T("upload.template.file")+`.csv"`)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return c.Send(append([]byte("\uFEFF"), pooling.Template(pool, l, sep)...))
}

// formIdemKey is the idempotency key a form posts back (idem), bounded.
func formIdemKey(c *fiber.Ctx) string {
	idem := strings.TrimSpace(c.FormValue("idem"))
	if len(idem) > maxIdemKey {
		idem = idem[:maxIdemKey]
	}
	return idem
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
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	poolID := c.Params("id")
	refused := func(err error) error { return w.renderRecords(c, a, recordsForm{pool: poolID, err: err}) }
	if _, err := server.RequireContributor(c); err != nil {
		return refused(err)
	}
	ctx := c.UserContext()
	pool, err := w.Deps.Pools.Pool(ctx, poolID)
	if err != nil {
		return refused(err)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refused(server.Invalid("choose_file", "choose a CSV file to upload").On("file"))
	}
	f, err := fh.Open()
	if err != nil {
		return refused(server.Invalid("file_unreadable", "the file could not be read").On("file"))
	}
	defer f.Close()
	file, rowErrs := pooling.ParseCSV(pool, f)
	if len(rowErrs) > 0 {
		return refused(pooling.NewBatchError(rowErrs))
	}
	res, err := w.Deps.Pools.Contribute(ctx, a.ID, pool.ID, file.Rows, formIdemKey(c))
	if err != nil {
		return refused(err)
	}
	notice := "records_added"
	switch {
	case res.Replayed:
		notice = "records_replayed"
	case file.DecimalComma:
		notice = "records_added_semicolon"
	}
	setFlash(c, flash{Notice: notice, Count: res.Accepted})
	return seeOther(c, "/me/records#records-"+pool.ID)
}

// recordDeleteSubmit answers POST /me/records/{id}/delete: one of the
// member's records is deleted.
func (w *web) recordDeleteSubmit(c *fiber.Ctx) error {
	a, ok := server.Actor(c)
	if !ok {
		return toLogin(c, "/me/records")
	}
	if _, err := server.RequireAccount(c); err != nil {
		return w.renderRecords(c, a, recordsForm{err: err})
	}
	if err := w.Deps.Pools.DeleteRecord(c.UserContext(), a.ID, c.Params("id")); err != nil {
		return w.renderRecords(c, a, recordsForm{err: err})
	}
	setFlash(c, flash{Notice: "record_deleted"})
	return seeOther(c, "/me/records")
}
