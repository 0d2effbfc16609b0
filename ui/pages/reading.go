package pages

import (
	"strconv"
	"strings"

	"coop/pooling"
	"coop/ui/components"
	"coop/ui/i18n"
)

// ReadingForm is the form of one record: a value per field (as typed,
// keyed by field name) and, after a refusal, what is wrong with each
// field, already translated.
type ReadingForm struct {
	Values map[string]string
	Errors map[string]string
	Error  components.FormError // a refusal about no one field
}

// RowErrorView is one problem of a refused upload, translated: Line is
// the file's line ("" for the whole file), Field the column's label.
type RowErrorView struct {
	Line  string
	Field string
	Text  string
}

// fieldHeading is a field's label with its unit: "Consommation (kWh)".
func fieldHeading(lang string, f pooling.Field) string {
	if f.Unit != "" {
		return f.Label(lang) + " (" + f.Unit + ")"
	}
	return f.Label(lang)
}

// fieldHint says what a field takes: its bounds and unit, its values, or
// the shape of a month.
func fieldHint(tr i18n.Tr, f pooling.Field) string {
	switch f.Type {
	case pooling.TypeNumber:
		return tr.F("reading.hint.number", tr.Num(*f.Min), WithUnit(tr.Num(*f.Max), f.Unit))
	case pooling.TypeMonth:
		return tr.T("reading.hint.month")
	}
	return ""
}

// WithUnit writes a figure with its unit, when it has one: "200 kWh"
// (a no-break space between).
func WithUnit(figure, unit string) string {
	if unit == "" {
		return figure
	}
	return figure + "\u00a0" + unit
}

func numAttr(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// describedBy is the aria-describedby of an input: its hint and its error
// when it has them.
func describedBy(id, hint, err string) string {
	var ids []string
	if hint != "" {
		ids = append(ids, id+"-hint")
	}
	if err != "" {
		ids = append(ids, id+"-error")
	}
	return strings.Join(ids, " ")
}

// invalidAttr is the aria-invalid of an input with error err.
func invalidAttr(err string) string {
	if err != "" {
		return "true"
	}
	return "false"
}
