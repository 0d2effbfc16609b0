package pages

import (
	"strings"

	"coop/pooling"
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

// fieldNames lists a pool's field names, as a CSV header would.
func fieldNames(p pooling.Pool) string {
	names := make([]string, 0, len(p.Fields))
	for _, f := range p.Fields {
		names = append(names, f.Name)
	}
	return strings.Join(names, ",")
}
