package pages

import (
	"strings"
)

// statusURL is the list of proposals filtered by status ("" for all).
func statusURL(status string) string {
	if status == "" {
		return "/proposals"
	}
	return "/proposals?status=" + status
}

// statusKey names the filter's message.
func statusKey(status string) string {
	if status == "" {
		return "all"
	}
	return status
}

// joinValues lists a category's values.
func joinValues(values []string) string {
	return strings.Join(values, ", ")
}
