package web

import (
	"strconv"
	"strings"

	"coop/pooling"
	"coop/ui/i18n"
	"coop/ui/pages"
)

// rowErrorView is one problem of a refused upload, in the page's
// language: the file's line, the column's label, the sentence.
func rowErrorView(tr i18n.Tr, p pooling.Pool, e pooling.RowError) pages.RowErrorView {
	v := pages.RowErrorView{Field: e.Field, Text: rowErrorText(tr, p, e)}
	if f, ok := p.Field(e.Field); ok {
		v.Field = f.Label(tr.Lang)
	}
	switch {
	case e.Line > 0:
		v.Line = tr.Int(e.Line)
	case e.Row > 0:
		v.Line = tr.F("upload.record", tr.Int(e.Row))
	default:
		v.Line = tr.T("upload.file")
	}
	return v
}

// rowErrorText is a RowError's sentence from the catalogue (rowerr.CODE),
// its parameters written as the language writes them; a code the
// catalogue lacks shows the service's English sentence.
func rowErrorText(tr i18n.Tr, p pooling.Pool, e pooling.RowError) string {
	key := "rowerr." + e.Code
	f, _ := p.Field(e.Field)
	switch {
	case !tr.Has(key):
		return e.Reason
	case e.Code == pooling.ErrOutOfRange:
		return tr.F(key, paramNum(tr, e, "value"), paramNum(tr, e, "min"), pages.WithUnit(paramNum(tr, e, "max"), f.Unit))
	case e.Params["value"] == "" && tr.Has(key+".type"):
		return tr.T(key + ".type") // a JSON value of the wrong type
	case e.Code == pooling.ErrNotInCategory:
		return tr.F(key, e.Params["value"], strings.Join(f.ValueLabelList(tr.Lang), ", "))
	case e.Code == pooling.ErrNotNumber, e.Code == pooling.ErrNotMonth:
		return tr.F(key, e.Params["value"])
	case e.Code == pooling.ErrUnknownColumn, e.Code == pooling.ErrDuplicateColumn:
		return tr.F(key, e.Params["column"], strings.Join(p.FieldLabelList(tr.Lang), ", "))
	case e.Code == pooling.ErrTooManyRows, e.Code == pooling.ErrValueTooLong:
		n, _ := strconv.Atoi(e.Params["max"])
		return tr.F(key, tr.Int(n))
	}
	return tr.T(key)
}

// paramNum is a numeric parameter written in the page's language.
func paramNum(tr i18n.Tr, e pooling.RowError, name string) string {
	f, err := strconv.ParseFloat(e.Params[name], 64)
	if err != nil {
		return e.Params[name]
	}
	return tr.Num(f)
}
