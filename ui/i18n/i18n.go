// Package i18n holds every sentence of the web pages, in English and in
// French, and the few formats (dates, numbers) that differ between them.
// The two catalogues (en.go, fr.go) carry the same keys; a test checks it.
package i18n

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The languages of the pages; Default answers when no other fits.
const (
	English = "en"
	French  = "fr"
	Default = English
)

// Catalog is every message in every language, and the time zone dates
// are written in.
type Catalog struct {
	msgs map[string]map[string]string
	zone *time.Location
}

// New builds the catalogue; its dates are in UTC.
func New() *Catalog { return NewIn(time.UTC) }

// NewIn builds the catalogue with dates written in zone (UTC when nil).
func NewIn(zone *time.Location) *Catalog {
	if zone == nil {
		zone = time.UTC
	}
	return &Catalog{msgs: map[string]map[string]string{
		English: merge(english(), englishData(), englishAccount(), englishBallots(), englishErrors(), englishUX()),
		French:  merge(french(), frenchData(), frenchAccount(), frenchBallots(), frenchErrors(), frenchUX()),
	}, zone: zone}
}

// merge gathers the catalogue's parts (one file per part of the pages) in
// one map; a key defined twice is a mistake the catalogue test reports.
func merge(parts ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range parts {
		for k, v := range p {
			if _, dup := out[k]; dup {
				out["duplicate key: "+k] = v
			}
			out[k] = v
		}
	}
	return out
}

// Langs lists the languages of the catalogue, sorted.
func (c *Catalog) Langs() []string {
	out := make([]string, 0, len(c.msgs))
	for l := range c.msgs {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// For returns the translator of lang, of Default when lang is unknown.
func (c *Catalog) For(lang string) Tr {
	m, ok := c.msgs[lang]
	if !ok {
		lang, m = Default, c.msgs[Default]
	}
	return Tr{Lang: lang, msgs: m, Zone: c.zone}
}

// Messages is a copy of every message of lang (tests look for one
// language's sentences on another's pages).
func (c *Catalog) Messages(lang string) map[string]string {
	out := make(map[string]string, len(c.msgs[lang]))
	for k, v := range c.msgs[lang] {
		out[k] = v
	}
	return out
}

// Problems lists what is wrong with the catalogue: a key missing from a
// language, an empty message, or messages whose formatting verbs differ.
func (c *Catalog) Problems() []string {
	var out []string
	ref := c.msgs[Default]
	for _, lang := range c.Langs() {
		m := c.msgs[lang]
		for k, v := range ref {
			other, ok := m[k]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s: missing %q", lang, k))
			case strings.TrimSpace(other) == "":
				out = append(out, fmt.Sprintf("%s: %q is empty", lang, k))
			case !slices.Equal(verbs(v), verbs(other)):
				out = append(out, fmt.Sprintf("%s: %q has verbs %v, %s has %v", lang, k, verbs(other), Default, verbs(v)))
			case !slices.Equal(placeholders(v), placeholders(other)):
				out = append(out, fmt.Sprintf("%s: %q has placeholders %v, %s has %v", lang, k, placeholders(other), Default, placeholders(v)))
			}
		}
		for k := range m {
			if strings.HasPrefix(k, "duplicate key: ") {
				out = append(out, fmt.Sprintf("%s: %s", lang, k))
			}
			if _, ok := ref[k]; !ok {
				out = append(out, fmt.Sprintf("%s: %q is not in %s", lang, k, Default))
			}
		}
	}
	slices.Sort(out)
	return out
}

// verbs lists the formatting verbs of a message, in order.
func verbs(s string) []string {
	var out []string
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '%' {
			continue
		}
		if s[i+1] == '%' {
			i++
			continue
		}
		out = append(out, s[i:i+2])
	}
	return out
}

// placeholders lists the named placeholders ({min}) of a message, sorted
// and without repeats.
func placeholders(s string) []string {
	var out []string
	for rest := s; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		if name := rest[i+1 : i+j]; name != "" && !strings.ContainsAny(name, " {") {
			out = append(out, name)
		}
		rest = rest[i+j+1:]
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Tr translates into one language.
type Tr struct {
	Lang string
	msgs map[string]string
	// Zone is the coop's time zone: dates are written in it, with its
	// abbreviation (nil: UTC).
	Zone *time.Location
}

// T is the message of key; the key itself when it is missing, so that a
// gap shows on the page instead of an empty space.
func (t Tr) T(key string) string {
	if s, ok := t.msgs[key]; ok {
		return s
	}
	return key
}

// F is the message of key formatted with args.
func (t Tr) F(key string, args ...any) string {
	return fmt.Sprintf(t.T(key), args...)
}

// P is the message of key with each {name} replaced by params[name] (the
// values already written for the page's language); a placeholder without
// a value stays as it is, so that a gap shows.
func (t Tr) P(key string, params map[string]string) string {
	msg := t.T(key)
	for name, v := range params {
		msg = strings.ReplaceAll(msg, "{"+name+"}", v)
	}
	return msg
}

// N is the message of key for a count n, the number written by Int:
// key.one for the singular, key.many for the plural. French takes the
// singular for 0 and 1, English for 1 only. A message without a verb
// ("Your reading is added.") is given no number.
func (t Tr) N(key string, n int) string {
	key += ".many"
	if n == 1 || n == 0 && t.Lang == French {
		key = strings.TrimSuffix(key, ".many") + ".one"
	}
	if len(verbs(t.T(key))) == 0 { // "Your reading is added.": the count goes without saying
		return t.T(key)
	}
	return t.F(key, t.Int(n))
}

// Has tells whether key has a message.
func (t Tr) Has(key string) bool {
	_, ok := t.msgs[key]
	return ok
}

// Date writes a time in the coop's time zone, with the zone's
// abbreviation (CET, CEST, UTC…).
func (t Tr) Date(tm time.Time) string {
	tm = tm.In(t.zone())
	if t.Lang == French {
		return tm.Format("02/01/2006 15:04 MST")
	}
	return tm.Format("2 Jan 2006, 15:04 MST")
}

// ZoneName is the name of the coop's time zone, like Europe/Paris.
func (t Tr) ZoneName() string { return t.zone().String() }

func (t Tr) zone() *time.Location {
	if t.Zone == nil {
		return time.UTC
	}
	return t.Zone
}

// Num writes a decimal number, with a decimal comma in French.
func (t Tr) Num(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if t.Lang == French {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Int writes a whole number, grouping thousands (10,000 or 10 000).
func (t Tr) Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if t.Lang == French {
		sep = "\u202f"
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
