package components

import "strings"

// Block is one block of a short Markdown text: a heading (level 1 or 2), a
// paragraph, or a list (ordered or not) of items.
type Block struct {
	Kind  string // h1, h2, p, ol, ul
	Spans []Span
	Items [][]Span
}

// Span is a run of text, bold or not.
type Span struct {
	Text string
	Bold bool
}

// ParseText reads the small subset of Markdown the charters use: # and ##
// headings, paragraphs, "1." and "-" lists, **bold**. Everything else is
// plain text; nothing becomes HTML.
func ParseText(src string) []Block {
	var out []Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, Block{Kind: "p", Spans: spans(strings.Join(para, " "))})
			para = nil
		}
	}
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "## "):
			flush()
			out = append(out, Block{Kind: "h2", Spans: spans(line[3:])})
		case strings.HasPrefix(line, "# "):
			flush()
			out = append(out, Block{Kind: "h1", Spans: spans(line[2:])})
		case strings.HasPrefix(line, "- "):
			flush()
			out = appendItem(out, "ul", line[2:])
		case orderedItem(line) != "":
			flush()
			out = appendItem(out, "ol", orderedItem(line))
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

// orderedItem is the text of "12. text", "" for any other line.
func orderedItem(line string) string {
	digits := 0
	for digits < len(line) && line[digits] >= '0' && line[digits] <= '9' {
		digits++
	}
	if digits == 0 || !strings.HasPrefix(line[digits:], ". ") {
		return ""
	}
	return line[digits+2:]
}

func appendItem(out []Block, kind, text string) []Block {
	if n := len(out); n > 0 && out[n-1].Kind == kind {
		out[n-1].Items = append(out[n-1].Items, spans(text))
		return out
	}
	return append(out, Block{Kind: kind, Items: [][]Span{spans(text)}})
}

// spans splits "a **b** c" into plain and bold runs.
func spans(s string) []Span {
	var out []Span
	bold := false
	for i, part := range strings.Split(s, "**") {
		if i > 0 {
			bold = !bold
		}
		if part != "" {
			out = append(out, Span{Text: part, Bold: bold})
		}
	}
	return out
}
