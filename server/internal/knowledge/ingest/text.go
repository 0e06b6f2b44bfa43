package ingest

import (
	"strings"
	"unicode"
)

// ParseText reads plain text. Blank lines separate paragraphs; lines that
// start with a bullet or a number are list items; a paragraph of one short
// line without final punctuation, or ending in a question mark, is taken as
// a heading (the usual shape of titles and of FAQ questions).
func ParseText(src string) []Block {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	var blocks []Block
	for _, para := range strings.Split(src, "\n\n") {
		lines := nonEmptyLines(para)
		if len(lines) == 0 {
			continue
		}
		if len(lines) == 1 && looksLikeHeading(lines[0]) {
			blocks = append(blocks, Block{Kind: Heading, Text: cleanSpace(lines[0])})
			continue
		}
		var cur []string
		kind := Paragraph
		flush := func() {
			if text := cleanSpace(strings.Join(cur, " ")); text != "" {
				blocks = append(blocks, Block{Kind: kind, Text: text})
			}
			cur = nil
			kind = Paragraph
		}
		for _, l := range lines {
			if startsListItem(l) {
				flush()
				kind = ListItem
			}
			cur = append(cur, l)
		}
		flush()
	}
	return blocks
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func looksLikeHeading(line string) bool {
	t := strings.TrimSpace(line)
	n := len([]rune(t))
	if n == 0 || n > 100 || startsListItem(t) {
		return false
	}
	if strings.HasSuffix(t, "?") {
		return true
	}
	last := []rune(t)[n-1]
	if unicode.IsPunct(last) && last != ')' {
		return false
	}
	return n <= 80
}
