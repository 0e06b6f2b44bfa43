// Package pdftest writes small PDF files for tests and benchmarks: honest
// documents of any number of pages, and the hostile shapes an extractor
// must survive (a page tree that contains itself, a content stream that
// inflates to millions of glyphs, a page count that lies).
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// writer assembles a PDF from numbered objects, with a correct
// cross-reference table.
type writer struct {
	objs [][]byte // objs[i] is object i+1's body
}

func (w *writer) add(body string) int {
	w.objs = append(w.objs, []byte(body))
	return len(w.objs)
}

func (w *writer) set(n int, body string) { w.objs[n-1] = []byte(body) }

func (w *writer) reserve() int { return w.add("null") }

func (w *writer) stream(dict string, data []byte) int {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<<%s /Length %d>>\nstream\n", dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream")
	w.objs = append(w.objs, b.Bytes())
	return len(w.objs)
}

func (w *writer) bytes(root int) []byte { return w.bytesPrev(root, false) }

// bytesPrev writes the file; with loop, the trailer's /Prev points at
// the cross-reference table it ends.
func (w *writer) bytesPrev(root int, loop bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(w.objs))
	for i, o := range w.objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(w.objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	prev := ""
	if loop {
		prev = fmt.Sprintf(" /Prev %d", xref)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(w.objs)+1, root, prev, xref)
	return b.Bytes()
}

const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// content is a page's content stream: a heading and a few paragraphs.
func content(page int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "BT /F1 18 Tf 72 740 Td (Section %d) Tj ET\n", page)
	y := 700
	for p := 0; p < 4; p++ {
		for l := 0; l < 4; l++ {
			fmt.Fprintf(&b, "BT /F1 11 Tf 72 %d Td (Line %d of paragraph %d on page %d explains the refund policy term %d.) Tj ET\n",
				y, l+1, p+1, page, page*100+p*10+l)
			y -= 14
		}
		y -= 14
	}
	return []byte(b.String())
}

// Honest is a well-formed PDF of the given number of pages, each with a
// heading and four paragraphs of text, all pages kids of one page tree
// node as many generators write them.
func Honest(pages int) []byte { return HonestTree(pages, pages) }

// HonestTree is Honest with the pages in a balanced tree of at most
// fanout kids per node.
func HonestTree(pages, fanout int) []byte {
	fanout = max(fanout, 2)
	w := &writer{}
	catalog := w.reserve()
	fontObj := w.add(font)
	leaves := make([]int, pages)
	for i := range leaves {
		leaves[i] = w.reserve()
	}
	// Build the tree bottom up; each level groups up to fanout nodes.
	type node struct{ obj, count int }
	level := make([]node, pages)
	for i, l := range leaves {
		level[i] = node{l, 1}
	}
	parent := map[int]int{}
	for {
		var next []node
		for i := 0; i < len(level); i += fanout {
			group := level[i:min(i+fanout, len(level))]
			obj := w.reserve()
			var kids []string
			count := 0
			for _, n := range group {
				kids = append(kids, fmt.Sprintf("%d 0 R", n.obj))
				count += n.count
				parent[n.obj] = obj
			}
			w.set(obj, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), count))
			next = append(next, node{obj, count})
		}
		level = next
		if len(level) == 1 {
			break
		}
	}
	root := level[0].obj
	// The root carries the resources, inherited by every page.
	rootBody := string(w.objs[root-1])
	w.set(root, strings.TrimSuffix(rootBody, ">>")+fmt.Sprintf("/Resources << /Font << /F1 %d 0 R >> >> >>", fontObj))
	for i, l := range leaves {
		c := w.stream("", content(i+1))
		w.set(l, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>", parent[l], c))
	}
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", root))
	return w.bytes(catalog)
}

// SelfReferencingTree is a one-page PDF whose page tree root lists itself
// among its kids: a naive walk never ends.
func SelfReferencingTree() []byte {
	w := &writer{}
	catalog := w.reserve()
	pages := w.reserve()
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", pages))
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return w.bytes(catalog)
}

// LyingPageCount is a one-page PDF whose page tree claims count pages.
func LyingPageCount(count int) []byte {
	w := &writer{}
	catalog := w.reserve()
	pages := w.reserve()
	fontObj := w.add(font)
	c := w.stream("", content(1))
	page := w.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", pages, fontObj, c))
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count %d >>", page, count))
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return w.bytes(catalog)
}

// InflatingContent is a one-page PDF whose compressed content stream draws
// about glyphs characters: a few kilobytes on disk, a great many glyphs
// once inflated.
func InflatingContent(glyphs int) []byte {
	var raw bytes.Buffer
	raw.WriteString("BT /F1 10 Tf 72 700 Td\n")
	line := "(" + strings.Repeat("A", 1000) + ") Tj\n"
	for n := 0; n < glyphs; n += 1000 {
		raw.WriteString(line)
	}
	raw.WriteString("ET\n")
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	_, _ = zw.Write(raw.Bytes())
	_ = zw.Close()

	w := &writer{}
	catalog := w.reserve()
	pages := w.reserve()
	fontObj := w.add(font)
	c := w.stream(" /Filter /FlateDecode", z.Bytes())
	page := w.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", pages, fontObj, c))
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return w.bytes(catalog)
}

// CyclicXref is a one-page PDF whose cross-reference table names itself
// as the previous one: the reader loops before it reaches any page.
func CyclicXref() []byte {
	w := &writer{}
	catalog := w.reserve()
	pages := w.reserve()
	fontObj := w.add(font)
	c := w.stream("", content(1))
	page := w.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", pages, fontObj, c))
	w.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return w.bytesPrev(catalog, true)
}

// SlowCharacterMap is a PDF whose font's character map lists entries
// kilobytes of codes no glyph uses: the reader scans the whole map for
// every glyph, so each page of glyphs costs seconds of CPU.
func SlowCharacterMap(pages, entries, glyphsPerPage int) []byte {
	var cm strings.Builder
	cm.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <00> <FF> endcodespacerange\n")
	for n := 0; n < entries; n += 100 {
		cm.WriteString("100 beginbfchar\n")
		for range 100 {
			cm.WriteString("<00> <0020>\n")
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap CMapName currentdict /CMap defineresource pop end end\n")
	var page bytes.Buffer
	page.WriteString("BT /F1 10 Tf 72 700 Td\n")
	line := "(" + strings.Repeat("A", 100) + ") Tj\n"
	for n := 0; n < glyphsPerPage; n += 100 {
		page.WriteString(line)
	}
	page.WriteString("ET\n")

	w := &writer{}
	catalog := w.reserve()
	root := w.reserve()
	toUnicode := w.stream("", []byte(cm.String()))
	fontObj := w.add(fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>", toUnicode))
	content := w.stream("", page.Bytes())
	var kids []string
	for range pages {
		kids = append(kids, fmt.Sprintf("%d 0 R", w.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>", root, content))))
	}
	w.set(root, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 %d 0 R >> >> >>", strings.Join(kids, " "), pages, fontObj))
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", root))
	return w.bytes(catalog)
}
