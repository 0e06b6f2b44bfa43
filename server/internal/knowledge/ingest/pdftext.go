package ingest

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
)

// The PDF reader's own page access (Reader.Page) walks the page tree from
// the root for every page, resolving each kid again from the file, so a
// document is quadratic in its pages; it believes the declared /Count, and
// a tree that contains itself never ends. Its Content method keeps every
// glyph of a page however many the stream draws, re-reads the font and
// its character map on every font change, and follows /Parent links
// without end. So the page walk and the text interpretation are ours,
// over the reader's objects and its stream decoding: one pass over the
// tree, inherited resources carried down, fonts parsed once, and every
// count bounded by Limits.

const (
	// maxTreeDepth bounds the page tree; real ones are a few levels deep.
	maxTreeDepth = 64
	// maxStateDepth bounds nested graphics states (q without Q).
	maxStateDepth = 256
	// maxCmapBytes bounds a font's character map: decoding a glyph scans
	// it, so a huge one would make every glyph slow.
	maxCmapBytes = 1 << 20
)

// objectID identifies an indirect object, for finding cycles. The reader
// keeps the object number of a resolved value unexported; it is read
// through reflection (TestObjectIdentityIsReadable fails should the
// reader's layout change, and the depth bound still stops a cycle).
type objectID struct{ id, gen uint64 }

func identify(v pdf.Value) (objectID, bool) {
	f := reflect.ValueOf(v).FieldByName("ptr")
	if !f.IsValid() || f.Kind() != reflect.Struct || f.NumField() != 2 {
		return objectID{}, false
	}
	a, b := f.Field(0), f.Field(1)
	if !a.CanUint() || !b.CanUint() {
		return objectID{}, false
	}
	return objectID{a.Uint(), b.Uint()}, true
}

// pdfPage is a leaf of the page tree with the resources it inherits.
type pdfPage struct {
	v         pdf.Value
	resources pdf.Value
}

// pageList walks the page tree once, depth first in document order. A
// node reached twice is a cycle; the pages counted are the ones the tree
// holds, whatever /Count says.
func pageList(r *pdf.Reader, lim Limits) ([]pdfPage, error) {
	root := r.Trailer().Key("Root").Key("Pages")
	if root.Kind() != pdf.Dict {
		return nil, unreadable("corrupt PDF: no page tree")
	}
	type item struct {
		v         pdf.Value
		resources pdf.Value
		depth     int
	}
	stack := []item{{root, pdf.Value{}, 0}}
	seen := map[objectID]bool{}
	var pages []pdfPage
	// Every node but the leaves costs a visit: bound them as the pages.
	visits, maxVisits := 0, 2*lim.MaxPages+16
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisits {
			return nil, unreadable("PDF page tree has more than %d nodes", maxVisits)
		}
		res := it.resources
		if own := it.v.Key("Resources"); own.Kind() == pdf.Dict {
			res = own
		}
		kids := it.v.Key("Kids")
		if it.v.Key("Type").Name() == "Pages" || it.v.Key("Type").Name() != "Page" && kids.Kind() == pdf.Array {
			if id, ok := identify(it.v); ok {
				if seen[id] {
					return nil, unreadable("PDF page tree contains itself (object %d is its own ancestor or listed twice)", id.id)
				}
				seen[id] = true
			}
			if it.depth >= maxTreeDepth {
				return nil, unreadable("PDF page tree is deeper than %d levels", maxTreeDepth)
			}
			n := kids.Len()
			if n > maxVisits {
				return nil, unreadable("PDF page tree node has %d kids, more than the %d pages allowed", n, lim.MaxPages)
			}
			for i := n - 1; i >= 0; i-- {
				if k := kids.Index(i); k.Kind() == pdf.Dict {
					stack = append(stack, item{k, res, it.depth + 1})
				}
			}
			continue
		}
		if len(pages) == lim.MaxPages {
			return nil, unreadable("PDF has more than %d pages", lim.MaxPages)
		}
		pages = append(pages, pdfPage{v: it.v, resources: res})
	}
	return pages, nil
}

// glyph is one character drawn on a page.
type glyph struct {
	Font     string  // base font name without subset prefix
	FontSize float64 // in points, after the text and page matrices
	X, Y     float64 // position in points
	W        float64 // advance width in points (0 when the font has none)
	S        string
	Bold     bool // the font's name says bold
}

// pdfFont is a font read once: its decoder and its widths.
type pdfFont struct {
	name   string
	bold   bool
	enc    pdf.TextEncoding
	first  int
	widths []float64
}

func (f *pdfFont) width(code int) float64 {
	if f == nil || code < f.first || code-f.first >= len(f.widths) {
		return 0
	}
	return f.widths[code-f.first]
}

type rawEncoding struct{}

func (rawEncoding) Decode(raw string) string { return raw }

// limitError stops a page's interpretation when a limit is reached.
type limitError struct{ err error }

// textExtractor interprets pages' content streams within limits, keeping
// fonts across pages.
type textExtractor struct {
	lim         Limits
	fonts       map[objectID]*pdfFont
	chars       int
	streamBytes int64
}

func newTextExtractor(lim Limits) *textExtractor {
	return &textExtractor{lim: lim, fonts: map[objectID]*pdfFont{}}
}

// inflate checks how many bytes the streams in v (a stream or an array
// of them) inflate to, counting them against the document's total.
func (ex *textExtractor) inflate(v pdf.Value, limit int64, what string) error {
	streams := []pdf.Value{v}
	if v.Kind() == pdf.Array {
		streams = streams[:0]
		for i := 0; i < v.Len(); i++ {
			streams = append(streams, v.Index(i))
		}
	}
	var n int64
	for _, s := range streams {
		if s.Kind() != pdf.Stream {
			continue
		}
		rc := s.Reader()
		m, _ := io.Copy(io.Discard, io.LimitReader(rc, limit-n+1))
		_ = rc.Close()
		if n += m; n > limit {
			return fmt.Errorf("%s inflates to more than %d bytes", what, limit)
		}
	}
	if ex.streamBytes += n; ex.streamBytes > ex.lim.MaxTotalStreamBytes {
		return fmt.Errorf("the document's streams inflate to more than %d bytes", ex.lim.MaxTotalStreamBytes)
	}
	return nil
}

func (ex *textExtractor) font(v pdf.Value) (*pdfFont, error) {
	id, known := identify(v)
	if known && v.Kind() == pdf.Dict {
		if f, ok := ex.fonts[id]; ok {
			return f, nil
		}
	}
	name := v.Key("BaseFont").Name()
	if i := strings.Index(name, "+"); i >= 0 {
		name = name[i+1:]
	}
	f := &pdfFont{name: name, bold: isBoldFont(name), enc: rawEncoding{}, first: int(v.Key("FirstChar").Int64())}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if err := ex.inflate(tu, maxCmapBytes, "font "+name+"'s character map"); err != nil {
			return nil, err
		}
	}
	pf := pdf.Font{V: v}
	if enc := pf.Encoder(); enc != nil {
		f.enc = enc
	}
	if w := v.Key("Widths"); w.Kind() == pdf.Array {
		n := min(w.Len(), 1<<16)
		f.widths = make([]float64, n)
		for i := range n {
			f.widths[i] = w.Index(i).Float64()
		}
	}
	if known && v.Kind() == pdf.Dict {
		ex.fonts[id] = f
	}
	return f, nil
}

type matrix [3][3]float64

var identity = matrix{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

// mul multiplies affine matrices (third column 0, 0, 1), as every matrix
// of a content stream is: a third of the work of a full product, once per
// glyph.
func (x matrix) mul(y matrix) matrix {
	return matrix{
		{x[0][0]*y[0][0] + x[0][1]*y[1][0], x[0][0]*y[0][1] + x[0][1]*y[1][1], 0},
		{x[1][0]*y[0][0] + x[1][1]*y[1][0], x[1][0]*y[0][1] + x[1][1]*y[1][1], 0},
		{x[2][0]*y[0][0] + x[2][1]*y[1][0] + y[2][0], x[2][0]*y[0][1] + x[2][1]*y[1][1] + y[2][1], 1},
	}
}

type gstate struct {
	Tc, Tw, Th, Tl float64
	font           *pdfFont
	Tfs, Trise     float64
	Tm, Tlm, CTM   matrix
}

// page returns the glyphs a page draws, in stream order.
func (ex *textExtractor) page(p pdfPage) (out []glyph, err error) {
	contents := p.v.Key("Contents")
	if contents.Kind() != pdf.Stream && contents.Kind() != pdf.Array {
		return nil, nil
	}
	if err := ex.inflate(contents, ex.lim.MaxStreamBytes, "the page's content"); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			out = nil
			if le, ok := r.(limitError); ok {
				err = le.err
				return
			}
			err = fmt.Errorf("%v", r)
		}
	}()
	fontRes := p.resources.Key("Font")
	pageFonts := map[string]*pdfFont{}
	g := gstate{Th: 1, CTM: identity, Tm: identity, Tlm: identity}
	var stack []gstate
	show := func(s string) {
		n := 0
		for _, ch := range g.font.enc.Decode(s) {
			var w0 float64
			if n < len(s) {
				w0 = g.font.width(int(s[n]))
			}
			n++
			if len(out) >= ex.lim.MaxPageChars {
				panic(limitError{fmt.Errorf("the page draws more than %d characters", ex.lim.MaxPageChars)})
			}
			if ex.chars++; ex.chars > ex.lim.MaxChars {
				panic(limitError{fmt.Errorf("the document holds more than %d characters of text", ex.lim.MaxChars)})
			}
			trm := matrix{{g.Tfs * g.Th, 0, 0}, {0, g.Tfs, 0}, {0, g.Trise, 1}}.mul(g.Tm).mul(g.CTM)
			out = append(out, glyph{Font: g.font.name, FontSize: trm[0][0], X: trm[2][0], Y: trm[2][1], W: w0 / 1000 * trm[0][0], S: string(ch), Bold: g.font.bold})
			tx := (w0/1000*g.Tfs + g.Tc) * g.Th
			g.Tm = matrix{{1, 0, 0}, {0, 1, 0}, {tx, 0, 1}}.mul(g.Tm)
		}
	}
	g.font = &pdfFont{enc: rawEncoding{}}
	bad := func(op string) { panic(fmt.Errorf("bad %s operator", op)) }
	pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(want int) {
			if len(args) != want {
				bad(op)
			}
		}
		switch op {
		case "cm":
			num(6)
			var m matrix
			for i := range 6 {
				m[i/2][i%2] = args[i].Float64()
			}
			m[2][2] = 1
			g.CTM = m.mul(g.CTM)
		case "q":
			if len(stack) >= maxStateDepth {
				panic(limitError{fmt.Errorf("graphics states nested deeper than %d", maxStateDepth)})
			}
			stack = append(stack, g)
		case "Q":
			if len(stack) > 0 {
				g = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "BT":
			g.Tm, g.Tlm = identity, identity
		case "T*":
			g.Tlm = matrix{{1, 0, 0}, {0, 1, 0}, {0, -g.Tl, 1}}.mul(g.Tlm)
			g.Tm = g.Tlm
		case "Tc":
			num(1)
			g.Tc = args[0].Float64()
		case "TD", "Td":
			num(2)
			if op == "TD" {
				g.Tl = -args[1].Float64()
			}
			g.Tlm = matrix{{1, 0, 0}, {0, 1, 0}, {args[0].Float64(), args[1].Float64(), 1}}.mul(g.Tlm)
			g.Tm = g.Tlm
		case "Tf":
			num(2)
			name := args[0].Name()
			f, ok := pageFonts[name]
			if !ok {
				var err error
				if f, err = ex.font(fontRes.Key(name)); err != nil {
					panic(limitError{err})
				}
				pageFonts[name] = f
			}
			g.font, g.Tfs = f, args[1].Float64()
		case "\"", "'", "Tj":
			if op == "\"" {
				num(3)
				g.Tw, g.Tc = args[0].Float64(), args[1].Float64()
				args = args[2:]
			}
			num(1)
			if op != "Tj" {
				g.Tlm = matrix{{1, 0, 0}, {0, 1, 0}, {0, -g.Tl, 1}}.mul(g.Tlm)
				g.Tm = g.Tlm
			}
			show(args[0].RawString())
		case "TJ":
			num(1)
			v := args[0]
			for i := 0; i < v.Len(); i++ {
				x := v.Index(i)
				if x.Kind() == pdf.String {
					show(x.RawString())
				} else {
					tx := -x.Float64() / 1000 * g.Tfs * g.Th
					g.Tm = matrix{{1, 0, 0}, {0, 1, 0}, {tx, 0, 1}}.mul(g.Tm)
				}
			}
		case "TL":
			num(1)
			g.Tl = args[0].Float64()
		case "Tm":
			num(6)
			var m matrix
			for i := range 6 {
				m[i/2][i%2] = args[i].Float64()
			}
			m[2][2] = 1
			g.Tm, g.Tlm = m, m
		case "Ts":
			num(1)
			g.Trise = args[0].Float64()
		case "Tw":
			num(1)
			g.Tw = args[0].Float64()
		case "Tz":
			num(1)
			g.Th = args[0].Float64() / 100
		}
	})
	return out, nil
}

var prevEntry = regexp.MustCompile(`/Prev\s+(\d+)`)

// xrefLoops reports whether the chain of cross-reference sections, from
// startxref through each trailer's /Prev, comes back to a section already
// read: the reader would follow it for ever. Only a loop is reported; a
// chain this cannot follow is left to the reader.
func xrefLoops(data []byte) bool {
	i := bytes.LastIndex(data, []byte("startxref"))
	if i < 0 {
		return false
	}
	off, ok := leadingInt(data[i+len("startxref"):])
	seen := map[int64]bool{}
	for ok && len(seen) < 10_000 {
		if off < 0 || off >= int64(len(data)) {
			return false
		}
		if seen[off] {
			return true
		}
		seen[off] = true
		// The section's dictionary: a table's trailer (up to the next
		// startxref) or a stream's header (up to "stream").
		rest := data[off:]
		var dict []byte
		if bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte("xref")) {
			t := bytes.Index(rest, []byte("trailer"))
			if t < 0 {
				return false
			}
			dict = rest[t:]
			if e := bytes.Index(dict, []byte("startxref")); e >= 0 {
				dict = dict[:e]
			}
		} else {
			e := bytes.Index(rest, []byte("stream"))
			if e < 0 {
				return false
			}
			dict = rest[:e]
		}
		m := prevEntry.FindSubmatch(dict)
		if m == nil {
			return false
		}
		off, ok = leadingInt(m[1])
	}
	return false
}

func leadingInt(b []byte) (int64, bool) {
	b = bytes.TrimLeft(b, " \t\r\n")
	end := 0
	for end < len(b) && end < 18 && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[:end]), 10, 64)
	return n, err == nil
}
