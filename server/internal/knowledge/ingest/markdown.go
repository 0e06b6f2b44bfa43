package ingest

import (
	"regexp"
	"strings"
)

var (
	mdHeading   = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	mdListItem  = regexp.MustCompile(`^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$`)
	mdRule      = regexp.MustCompile(`^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)
	mdSetext    = regexp.MustCompile(`^\s{0,3}(=+|-+)\s*$`)
	mdTableSep  = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)
	mdImage     = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink      = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdAutolink  = regexp.MustCompile(`<((?:https?://|mailto:)[^>\s]+)>`)
	mdTag       = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
	mdEmphasis  = regexp.MustCompile(`(\*\*|__|\*|` + "`" + `)`)
	mdBoldBlock = regexp.MustCompile(`^\s*(\*\*|__)(.+)(\*\*|__)\s*$`)
)

// ParseMarkdown reads Markdown into blocks: ATX and setext headings, list
// items, paragraphs, table rows and code blocks. Inline markup is removed;
// link targets are kept in parentheses because support answers often are
// the link. A paragraph that is wholly bold is taken as a heading, as FAQ
// pages often write their questions that way.
func ParseMarkdown(src string) []Block {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	var blocks []Block
	var cur []string
	kind := Paragraph
	flush := func() {
		if len(cur) == 0 {
			return
		}
		raw := strings.Join(cur, " ")
		k := kind
		if k == Paragraph && mdBoldBlock.MatchString(raw) && len(raw) < 160 {
			k = Heading
		}
		if text := mdInline(raw); text != "" {
			blocks = append(blocks, Block{Kind: k, Text: text})
		}
		cur = nil
		kind = Paragraph
	}
	i := 0
	// Front matter.
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		for j := 1; j < len(lines); j++ {
			if t := strings.TrimSpace(lines[j]); t == "---" || t == "..." {
				i = j + 1
				break
			}
		}
	}
	inComment := false
	for ; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		if inComment {
			if strings.Contains(trim, "-->") {
				inComment = false
			}
			continue
		}
		if strings.HasPrefix(trim, "<!--") {
			flush()
			inComment = !strings.Contains(trim, "-->")
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			flush()
			fence := trim[:3]
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence); i++ {
				code = append(code, strings.TrimSpace(lines[i]))
			}
			if text := cleanSpace(strings.Join(code, " ")); text != "" {
				blocks = append(blocks, Block{Kind: Paragraph, Text: text})
			}
			continue
		}
		if trim == "" {
			flush()
			continue
		}
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			flush()
			if text := mdInline(m[2]); text != "" {
				blocks = append(blocks, Block{Kind: Heading, Text: text})
			}
			continue
		}
		if len(cur) > 0 && kind == Paragraph && mdSetext.MatchString(line) {
			kind = Heading
			flush()
			continue
		}
		if mdRule.MatchString(line) {
			flush()
			continue
		}
		if mdTableSep.MatchString(line) && strings.Contains(line, "-") && strings.Contains(line, "|") {
			continue
		}
		if strings.HasPrefix(trim, "|") {
			flush()
			cells := strings.Split(strings.Trim(trim, "|"), "|")
			for j := range cells {
				cells[j] = strings.TrimSpace(cells[j])
			}
			cur = []string{strings.Join(cells, " · ")}
			flush()
			continue
		}
		if m := mdListItem.FindStringSubmatch(line); m != nil {
			flush()
			kind = ListItem
			cur = append(cur, m[1])
			continue
		}
		line = strings.TrimLeft(trim, "> ")
		cur = append(cur, line)
	}
	flush()
	return blocks
}

// mdInline removes inline Markdown markup.
func mdInline(s string) string {
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		text, url := sub[1], strings.TrimPrefix(sub[2], "mailto:")
		if text == url || strings.HasPrefix(url, "#") {
			return text
		}
		return text + " (" + url + ")"
	})
	s = mdAutolink.ReplaceAllString(s, "$1")
	s = mdTag.ReplaceAllString(s, " ")
	s = mdEmphasis.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, `\`, "")
	return cleanSpace(s)
}
