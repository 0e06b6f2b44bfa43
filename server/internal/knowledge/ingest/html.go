package ingest

import (
	"strings"

	"golang.org/x/net/html"
)

// ParseHTML reads an HTML page into blocks. Headings, paragraphs, list
// items, table cells and other block elements each make a block; scripts,
// styles, navigation and forms are skipped. The title is used as the first
// heading when the page has no h1.
func ParseHTML(src string) []Block {
	z := html.NewTokenizer(strings.NewReader(src))
	var blocks []Block
	var b strings.Builder
	kind := Paragraph
	skip := 0
	inTitle := false
	// The titles' text, cleaned once at the end: cleaning the whole of it
	// at each title would cost the square of its length.
	var title strings.Builder
	hasH1 := false
	flush := func() {
		if text := cleanSpace(b.String()); text != "" {
			blocks = append(blocks, Block{Kind: kind, Text: text})
		}
		b.Reset()
		kind = Paragraph
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			if t := cleanSpace(title.String()); t != "" && !hasH1 {
				blocks = append([]Block{{Kind: Heading, Text: t}}, blocks...)
			}
			return blocks
		case html.TextToken:
			if inTitle {
				title.WriteByte(' ')
				title.Write(z.Text())
				continue
			}
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "noscript", "template", "nav", "form", "svg", "iframe", "select", "button":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case "title":
				inTitle = tt == html.StartTagToken
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "h1", "h2", "h3", "h4", "h5", "h6":
				flush()
				if tt == html.StartTagToken {
					kind = Heading
					if tag == "h1" {
						hasH1 = true
					}
				}
			case "li", "dt", "dd":
				flush()
				if tt == html.StartTagToken {
					kind = ListItem
				}
			case "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
				"pre", "table", "tr", "td", "th", "ul", "ol", "dl", "figure", "figcaption", "hr", "summary", "details", "body":
				flush()
			case "br":
				b.WriteByte(' ')
			}
		}
	}
}
