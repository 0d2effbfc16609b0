package pooling

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"coop/raftdata"
)

// Labels name a pool, a field or a category value in each language a
// person may read: {"fr": "Chauffage", "en": "Heating"}. They are optional;
// without a label in the page's language the id shows.
type Labels map[string]string

// In is the label in lang, or fallback when there is none.
func (l Labels) In(lang, fallback string) string {
	if s := l[lang]; s != "" {
		return s
	}
	return fallback
}

// Label is the field's name in lang (its id without a label).
func (f Field) Label(lang string) string { return f.Labels.In(lang, f.Name) }

// ValueLabel is a category value's name in lang (the value itself
// without a label).
func (f Field) ValueLabel(lang, value string) string {
	return f.ValueLabels[value].In(lang, value)
}

// ValueLabelList lists the category's values in lang, in their order.
func (f Field) ValueLabelList(lang string) []string {
	out := make([]string, len(f.Values))
	for i, v := range f.Values {
		out[i] = f.ValueLabel(lang, v)
	}
	return out
}

// FieldLabelList lists the pool's field labels in lang, as the header of
// its CSV template writes them.
func (p Pool) FieldLabelList(lang string) []string {
	out := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		out[i] = f.Label(lang)
	}
	return out
}

// TitleIn is the pool's title in lang (its Title without a label).
func (p Pool) TitleIn(lang string) string { return p.Labels.In(lang, p.Title) }

var langPattern = regexp.MustCompile(`^[a-z]{2}$`)

// maxLabelChars bounds a label.
const maxLabelChars = 100

// problemFunc records one problem of a schema: its reason, the form field
// it is about, and the English sentence.
type problemFunc func(reason, field, format string, args ...any) *raftdata.Error

// validateLabels lists the problems of one set of labels (field names the
// form field they are about).
func validateLabels(where, field string, l Labels, bad problemFunc) {
	for _, lang := range slices.Sorted(maps.Keys(l)) {
		s := l[lang]
		switch {
		case !langPattern.MatchString(lang):
			bad("label_lang", field, "%s: a label's language is two lower-case letters (fr, en), got %q", where, lang).With("lang", lang)
		case strings.TrimSpace(s) == "" || s != strings.TrimSpace(s):
			bad("label_blank", field, "%s: the %s label is empty or starts or ends with a space", where, lang).With("lang", lang)
		case !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxLabelChars || strings.IndexFunc(s, unicode.IsControl) >= 0:
			bad("label_long", field, "%s: the %s label is at most %d characters of text", where, lang, maxLabelChars).With("lang", lang).With("max", maxLabelChars)
		}
	}
}

// validateSchemaLabels checks the labels of the fields and category values:
// a CSV header or value may be a label in any language, so one label names
// one field (or one value of its field) only, and no other field's id.
func validateSchemaLabels(p Pool, bad problemFunc) {
	validateLabels("labels", "labels", p.Labels, bad)
	names := map[string]string{} // lower-cased id or label -> field
	for _, f := range p.Fields {
		names[strings.ToLower(f.Name)] = f.Name
	}
	for i, f := range p.Fields {
		where := fmt.Sprintf("field %d (%q)", i+1, f.Name)
		field := fmt.Sprintf("fields.%d.labels", i)
		validateLabels(where, field, f.Labels, bad)
		for _, lang := range slices.Sorted(maps.Keys(f.Labels)) {
			k := strings.ToLower(f.Labels[lang])
			if other, ok := names[k]; ok && other != f.Name {
				bad("label_names_field", field, "%s: the label %q already names the field %q", where, f.Labels[lang], other).
					With("label", f.Labels[lang]).With("name", other)
			}
			names[k] = f.Name
		}
		if len(f.ValueLabels) > 0 && f.Type != TypeCategory {
			bad("value_labels_type", fmt.Sprintf("fields.%d.values", i), "%s: only a category has value_labels", where).With("n", i+1)
			continue
		}
		values := map[string]string{}
		for _, v := range f.Values {
			values[strings.ToLower(v)] = v
		}
		for _, v := range slices.Sorted(maps.Keys(f.ValueLabels)) {
			if !slices.Contains(f.Values, v) {
				bad("value_labels_unknown", fmt.Sprintf("fields.%d.values", i), "%s: value_labels names %q, which is not one of its values", where, v).With("value", v)
				continue
			}
			l := f.ValueLabels[v]
			validateLabels(fmt.Sprintf("%s, value %q", where, v), fmt.Sprintf("fields.%d.values", i), l, bad)
			for _, lang := range slices.Sorted(maps.Keys(l)) {
				k := strings.ToLower(l[lang])
				if other, ok := values[k]; ok && other != v {
					bad("label_names_value", fmt.Sprintf("fields.%d.values", i), "%s: the label %q already names the value %q", where, l[lang], other).
						With("label", l[lang]).With("value", other)
				}
				values[k] = v
			}
		}
	}
}

// column finds the field a CSV header names: its id, or one of its labels
// in any language, ignoring case and surrounding spaces.
func (p Pool) column(header string) (Field, bool) {
	h := strings.ToLower(strings.TrimSpace(header))
	for _, f := range p.Fields {
		if strings.ToLower(f.Name) == h {
			return f, true
		}
	}
	for _, f := range p.Fields {
		for _, l := range f.Labels {
			if strings.ToLower(l) == h {
				return f, true
			}
		}
	}
	return Field{}, false
}

// categoryValue finds the category value s names: the value itself, or
// one of its labels in any language, ignoring case and spaces around.
func (f Field) categoryValue(s string) (string, bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	for _, v := range f.Values {
		if strings.ToLower(v) == k {
			return v, true
		}
	}
	for _, v := range f.Values {
		for _, l := range f.ValueLabels[v] {
			if strings.ToLower(l) == k {
				return v, true
			}
		}
	}
	return "", false
}
