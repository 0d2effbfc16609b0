package pooling

import (
	"fmt"
	"time"
)

// A month field may declare the range its values take (From..To,
// YYYY-MM): a public domain. Grouped by such a field, an answer lists
// every month of the range, each present or suppressed by its noisy
// count, so one member's lone record in a month cannot make the month
// appear. Without a range the months come from the data, and the engine
// selects them with differential privacy (aggregate.go).

const monthLayout = "2006-01"

// monthRangeProblem says what is wrong with a month field's range, with
// the reason of the refusal, or "".
func (f Field) monthRangeProblem() (reason, problem string) {
	if f.From == "" && f.To == "" {
		return "", ""
	}
	from, err1 := time.Parse(monthLayout, f.From)
	to, err2 := time.Parse(monthLayout, f.To)
	switch {
	case f.From == "" || f.To == "":
		return "month_range_both", "a month range needs both from and to"
	case err1 != nil || err2 != nil || from.Format(monthLayout) != f.From || to.Format(monthLayout) != f.To:
		return "month_range_format", fmt.Sprintf("from and to are months as YYYY-MM, got %q and %q", f.From, f.To)
	case from.Year() < 1900 || to.Year() > 2200:
		return "month_range_years", "a month range lies within 1900..2200"
	case f.From > f.To:
		return "month_range_order", fmt.Sprintf("from (%s) comes after to (%s)", f.From, f.To)
	case monthsBetween(from, to)+1 > maxMonthSpan:
		return "month_range_span", fmt.Sprintf("a month range spans at most %d months", maxMonthSpan)
	}
	return "", ""
}

// Months lists the months of a month field's declared range, in order;
// nil when it declares none.
func (f Field) Months() []string {
	if f.Type != TypeMonth || f.From == "" || !f.monthRangeOK() {
		return nil
	}
	from, _ := time.Parse(monthLayout, f.From)
	to, _ := time.Parse(monthLayout, f.To)
	out := make([]string, 0, monthsBetween(from, to)+1)
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format(monthLayout))
	}
	return out
}

func monthsBetween(from, to time.Time) int {
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
}

// monthRangeOK tells whether a month field's range, if any, is valid.
func (f Field) monthRangeOK() bool {
	_, problem := f.monthRangeProblem()
	return problem == ""
}
