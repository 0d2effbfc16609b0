package pooling

import "strings"

// CSVText makes a text cell safe to open in a spreadsheet (OWASP "CSV
// injection"): a cell that starts with =, +, -, @, a tab or a carriage
// return would run as a formula, so it gets a leading apostrophe, which
// spreadsheets read as "this is text". Every CSV coop writes passes its
// text cells through here; numbers coop formats itself (strconv) are
// written as they are, so a negative number stays a number.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
