package ingest

import (
	"bytes"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/ledongthuc/pdf"
)

// ParsePDF extracts the text of a PDF page by page within DefaultLimits.
// Glyphs are grouped into lines by position and lines into paragraphs by
// the vertical gap between them, so that a paragraph wrapped over several
// lines comes out as one block; lines set larger than the body text, or
// wholly bold, become headings.
func ParsePDF(data []byte) (blocks []Block, pages int, err error) {
	return ParsePDFLimited(data, DefaultLimits())
}

// ParsePDFLimited is ParsePDF within lim: a file over a limit is
// ErrUnreadable naming the limit. The page tree is walked once, by our
// code, refusing cycles and counting the pages it really holds.
func ParsePDFLimited(data []byte, lim Limits) (blocks []Block, pages int, err error) {
	lim = lim.WithDefaults()
	defer func() {
		// The PDF reader panics on some malformed files.
		if r := recover(); r != nil {
			blocks, pages, err = nil, 0, unreadable("corrupt PDF: %v", r)
		}
	}()
	if xrefLoops(data) {
		return nil, 0, unreadable("corrupt PDF: its cross-reference sections name each other in a loop")
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, 0, unreadable("corrupt PDF: %v", err)
	}
	list, err := pageList(r, lim)
	if err != nil {
		return nil, 0, err
	}
	if len(list) == 0 {
		return nil, 0, unreadable("PDF has no pages")
	}
	ex := newTextExtractor(lim)
	all := make([][]pdfLine, len(list))
	for i, p := range list {
		glyphs, err := ex.page(p)
		if err != nil {
			return nil, 0, unreadable("page %d: %v", i+1, err)
		}
		all[i] = pageLines(glyphs)
	}
	body := bodyFontSize(all)
	for i, lines := range all {
		blocks = append(blocks, linesToBlocks(lines, i+1, body)...)
	}
	if !hasText(blocks) {
		return nil, 0, unreadable("PDF has no text layer (scanned images need OCR first)")
	}
	return blocks, len(list), nil
}

type pdfLine struct {
	text  string
	y     float64
	size  float64
	bold  bool
	chars int
}

func pageLines(texts []glyph) (lines []pdfLine) {
	var cur *pdfLine
	var b strings.Builder
	var lastX, lastW float64
	boldChars := 0
	sizeSum := 0.0
	flush := func() {
		if cur == nil {
			return
		}
		cur.text = cleanSpace(b.String())
		if cur.chars > 0 {
			cur.size = sizeSum / float64(cur.chars)
			cur.bold = boldChars == cur.chars
		}
		if cur.text != "" {
			lines = append(lines, *cur)
		}
		cur = nil
		b.Reset()
		boldChars, sizeSum = 0, 0
	}
	for _, t := range texts {
		if t.S == "" || t.S == "\n" {
			// A newline follows every TJ array; lines are found from
			// positions instead.
			continue
		}
		size := t.FontSize
		if size <= 0 {
			size = 10
		}
		if cur != nil && math.Abs(t.Y-cur.y) > 0.4*size {
			flush()
		}
		if cur == nil {
			cur = &pdfLine{y: t.Y}
		} else if lastW > 0 && (t.X-(lastX+lastW) > 0.15*size || t.X < lastX-size) {
			// Fonts with known widths: a gap between glyphs is a space the
			// file did not encode as a character. Without widths (composite
			// fonts) positions say nothing and only real spaces count.
			b.WriteByte(' ')
		}
		b.WriteString(t.S)
		lastX, lastW = t.X, t.W
		if isVisible(t.S) {
			cur.chars++
			sizeSum += size
			if t.Bold {
				boldChars++
			}
		}
	}
	flush()
	return lines
}

func isVisible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Co, r) && !unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func isBoldFont(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "bold") || strings.Contains(n, "black") || strings.Contains(n, "heavy") || strings.Contains(n, "semibold")
}

// bodyFontSize is the font size carrying most characters.
func bodyFontSize(pages [][]pdfLine) float64 {
	count := map[float64]int{}
	for _, lines := range pages {
		for _, l := range lines {
			count[math.Round(l.size*2)/2] += l.chars
		}
	}
	best, n := 10.0, -1
	for s, c := range count {
		if c > n || (c == n && s < best) {
			best, n = s, c
		}
	}
	return best
}

func (l pdfLine) isHeading(body float64) bool {
	if len([]rune(l.text)) > 120 {
		return false
	}
	if l.size >= body*1.2 {
		return true
	}
	return l.bold && !strings.HasSuffix(l.text, ".") && len([]rune(l.text)) <= 90
}

func startsListItem(s string) bool {
	if s == "" {
		return false
	}
	r := []rune(s)
	switch r[0] {
	case '•', '·', '▪', '◦', '‣', '–', '-', '*', '○', '■':
		return len(r) > 1 && r[1] == ' '
	}
	i := 0
	for i < len(r) && i < 3 && unicode.IsDigit(r[i]) {
		i++
	}
	return i > 0 && i+1 < len(r) && (r[i] == '.' || r[i] == ')') && r[i+1] == ' '
}

func linesToBlocks(lines []pdfLine, page int, body float64) []Block {
	// The usual distance between consecutive body lines; a larger gap
	// separates paragraphs.
	var gaps []float64
	for i := 1; i < len(lines); i++ {
		g := lines[i-1].y - lines[i].y
		if g > 0 && !lines[i].isHeading(body) && !lines[i-1].isHeading(body) {
			gaps = append(gaps, g)
		}
	}
	lineGap := body * 1.5
	if len(gaps) > 0 {
		sort.Float64s(gaps)
		lineGap = gaps[len(gaps)/4] // lower quartile: most gaps are within paragraphs
	}
	var blocks []Block
	var cur []string
	kind := Paragraph
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, Block{Kind: kind, Text: joinLines(cur), Page: page})
		}
		cur = nil
		kind = Paragraph
	}
	for i, l := range lines {
		heading := l.isHeading(body)
		if heading {
			flush()
			blocks = append(blocks, Block{Kind: Heading, Text: l.text, Page: page})
			continue
		}
		if i > 0 {
			g := lines[i-1].y - l.y
			if g <= 0 || g > lineGap*1.25 || math.Abs(l.size-lines[i-1].size) > body*0.1 {
				flush()
			}
		}
		if startsListItem(l.text) {
			flush()
			kind = ListItem
		}
		cur = append(cur, l.text)
	}
	flush()
	return blocks
}

// joinLines joins the lines of a paragraph, gluing words hyphenated at a
// line end.
func joinLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := lines[i-1]
			if !strings.HasSuffix(prev, "-") {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return cleanSpace(b.String())
}
