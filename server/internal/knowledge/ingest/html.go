package ingest

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// ParseHTML reads an HTML page into blocks. Headings, paragraphs, list
// items, table rows and other block elements each make a block; scripts,
// styles, navigation and forms are skipped. The title is used as the first
// heading when the page has no h1. A table row is one block with its cells
// joined by " · ", as a Markdown table's: "San Miguel · Gran Avenida 4820 ·
// sábados 10:00 a 14:00" keeps the hours with their branch.
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
	// cells of the table row being read; inRow while inside a <tr>, inCell
	// while inside one of its cells.
	var cells []string
	inRow, inCell := false, false
	endCell := func() {
		if inCell {
			cells = append(cells, cleanSpace(b.String()))
			b.Reset()
			inCell = false
		}
	}
	endRow := func() {
		endCell()
		if slices.ContainsFunc(cells, func(c string) bool { return c != "" }) {
			blocks = append(blocks, Block{Kind: Paragraph, Text: strings.Join(cells, " · ")})
		}
		cells, inRow = nil, false
		b.Reset()
	}
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
			if inRow {
				endRow()
			}
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
			switch {
			case tag == "tr" || tag == "table" || tag == "thead" || tag == "tbody" || tag == "tfoot":
				if inRow {
					endRow()
				}
				flush()
				inRow = tag == "tr" && tt == html.StartTagToken
				continue
			case (tag == "td" || tag == "th") && inRow:
				endCell()
				if tt == html.StartTagToken {
					b.Reset()
					inCell = true
				}
				continue
			case inRow:
				// Block elements inside a cell separate words, not blocks.
				if cellBreaks[tag] {
					b.WriteByte(' ')
				}
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

// cellBreaks are the elements that separate words inside a table cell.
var cellBreaks = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "dl": true, "dt": true, "dd": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "hr": true,
}
