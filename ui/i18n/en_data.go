package i18n

// englishData is the English of data entry (a reading, a CSV upload and
// its template, the problems of a file), charts and error pages.
func englishData() map[string]string {
	return map[string]string{
		"upload.title":         "Add records from a CSV file",
		"upload.hint":          "The first line names the columns: %s. Separate the values with commas or semicolons; in a file separated by semicolons, as French spreadsheets save them, numbers may have a decimal comma (12,5). The whole file is added, or nothing if a line is wrong.",
		"upload.template":      "Start from the template:",
		"upload.template.link": "CSV template for “%s”",
		"upload.template.file": "template",
		"upload.refused":       "Nothing was added: the file has problems, listed below by line (the header is line 1). Fix them and upload the file again.",
		"upload.col.line":      "Line",
		"upload.record":        "record %s",
		"upload.file":          "whole file",

		"reading.title":       "Add one reading",
		"reading.submit":      "Add this reading",
		"reading.choose":      "Choose…",
		"reading.hint.number": "Between %s and %s.",
		"reading.hint.month":  "A month, for example 2026-01.",
		"reading.refused":     "This reading was not added: see the fields marked below.",

		"notice.reading_added.one":            "Your reading is added.",
		"notice.reading_added.many":           "%s readings added.",
		"notice.records_added_semicolon.one":  "%s record added (a file separated by semicolons: decimal commas were read, 12,5 as 12.5).",
		"notice.records_added_semicolon.many": "%s records added (a file separated by semicolons: decimal commas were read, 12,5 as 12.5).",

		"chart.table":        "The figures as a table",
		"chart.bin":          "Range",
		"chart.axis.members": "Members",
		"chart.axis.mean":    "Mean of %s",
		"chart.axis.sum":     "Total of %s",
		"sandbox.csv":        "Download these synthetic figures (CSV)",
		"sandbox.csv.file":   "sandbox",

		"layout.zone":           "Times are shown in the %s time zone.",
		"error.title.not_found": "Page not found",
		"error.title.server":    "Something went wrong",
		"error.no_page":         "No page lives at this address. Check the link, or start again from the home page.",

		"rowerr.empty_file":           "The file is empty: its first line must name the columns.",
		"rowerr.no_rows":              "The file has a header but no record after it.",
		"rowerr.too_many_rows":        "At most %s lines per file: split it in several files.",
		"rowerr.csv_quote":            "A quotation mark is misplaced on this line.",
		"rowerr.csv_field_count":      "This line does not have as many values as the header has columns.",
		"rowerr.csv_syntax":           "This line cannot be read as CSV.",
		"rowerr.unknown_column":       "“%s” is not a column of this pool (the columns: %s).",
		"rowerr.duplicate_column":     "The column “%s” appears twice (the columns: %s).",
		"rowerr.missing_column":       "This column is missing from the header.",
		"rowerr.value_too_long":       "The value is longer than %s bytes.",
		"rowerr.unknown_field":        "This field is not part of the pool.",
		"rowerr.missing_value":        "A value is needed.",
		"rowerr.not_number":           "“%s” is not a number.",
		"rowerr.not_number.type":      "A number is needed.",
		"rowerr.out_of_range":         "%s is outside %s to %s.",
		"rowerr.not_in_category":      "“%s” is not one of: %s.",
		"rowerr.not_in_category.type": "Choose one of the values.",
		"rowerr.not_month":            "“%s” is not a month written as 2026-01.",
		"rowerr.not_month.type":       "A month is needed, written as 2026-01.",
	}
}
