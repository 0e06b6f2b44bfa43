package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunk is a passage of a document for retrieval and citation.
type Chunk struct {
	Ordinal int
	Page    int
	// Heading is the nearest heading above the passage.
	Heading string
	// Text holds the passage's blocks separated by blank lines.
	Text string
}

// ChunkOptions sizes the chunks.
type ChunkOptions struct {
	// MaxChars bounds a chunk's text.
	MaxChars int
	// OverlapChars is how much of the end of a chunk is repeated at the start
	// of the next one within a section, so that an answer spanning the cut
	// is found whole in one of them.
	OverlapChars int
}

// DefaultChunkOptions suits FAQ-style support documents: a chunk holds a
// question with its answer, or a few short paragraphs.
var DefaultChunkOptions = ChunkOptions{MaxChars: 800, OverlapChars: 200}

// ChunkBlocks groups blocks into chunks along block boundaries. A heading
// starts a new chunk and becomes the heading of the chunks under it; a page
// break starts a new chunk so citations name one page; a block longer than
// MaxChars is cut between sentences.
func ChunkBlocks(blocks []Block, opt ChunkOptions) []Chunk {
	if opt.MaxChars <= 0 {
		opt = DefaultChunkOptions
	}
	if opt.OverlapChars >= opt.MaxChars/2 {
		opt.OverlapChars = opt.MaxChars / 2
	}
	var out []Chunk
	var parts []string
	size := 0
	heading, page := "", 0
	fresh := 0 // parts that are not overlap from the previous chunk
	emit := func() {
		if fresh > 0 {
			out = append(out, Chunk{Ordinal: len(out), Page: page, Heading: heading, Text: strings.Join(parts, "\n\n")})
		}
		parts, size, fresh = nil, 0, 0
	}
	// carry starts the next chunk with the end of the current one.
	carry := func() {
		// A short last block (a question, a "Problem:" line, a lead-in)
		// introduces what follows: move it to the next chunk rather than
		// leave it cut from its answer.
		if n := len(parts); n >= 2 && fresh >= 2 && len(parts[n-1]) < opt.OverlapChars {
			last := parts[n-1]
			parts, fresh = parts[:n-1], fresh-1
			emit()
			parts, size, fresh = []string{last}, len(last)+2, 1
			return
		}
		prev := parts
		emit()
		if opt.OverlapChars == 0 || len(prev) == 0 {
			return
		}
		tail := prev[len(prev)-1]
		if len(tail) > opt.OverlapChars {
			tail = lastSentences(tail, opt.OverlapChars)
		}
		if tail != "" {
			parts, size = []string{tail}, len(tail)+2
		}
	}
	for _, b := range blocks {
		text := strings.TrimSpace(b.Text)
		if text == "" {
			continue
		}
		if b.Kind == Heading {
			emit()
			heading = text
			page = b.Page
			continue
		}
		if b.Page != page {
			emit()
			page = b.Page
		}
		if b.Kind == ListItem {
			text = "• " + text
		}
		// A piece must fit after the overlap carried from the previous
		// chunk and its separator.
		for _, piece := range splitLong(text, opt.MaxChars-opt.OverlapChars-2) {
			if size > 0 && size+len(piece)+2 > opt.MaxChars {
				carry()
			}
			parts = append(parts, piece)
			size += len(piece) + 2
			fresh++
		}
	}
	emit()
	// A heading with no text under it still says something ("Contacto:
	// soporte@…" may be all a section has); keep a document that is only
	// headings searchable.
	if len(out) == 0 {
		var hs []string
		for _, b := range blocks {
			if t := strings.TrimSpace(b.Text); t != "" {
				hs = append(hs, t)
			}
		}
		if len(hs) > 0 {
			p := 0
			if len(blocks) > 0 {
				p = blocks[0].Page
			}
			// Within the bound like every other chunk: a heading may be
			// longer than a chunk.
			for _, piece := range splitLong(strings.Join(hs, "\n\n"), opt.MaxChars) {
				out = append(out, Chunk{Ordinal: len(out), Page: p, Text: piece})
			}
		}
	}
	return out
}

// Sentences splits text after sentence-ending punctuation followed by a
// space and an upper-case letter, digit, bullet or opening sign, which
// leaves "p. ej." and URLs whole.
func Sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs); i++ {
		if rs[i] != '.' && rs[i] != '?' && rs[i] != '!' && rs[i] != ':' && rs[i] != ';' && rs[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(rs) && (rs[j] == '"' || rs[j] == ')' || rs[j] == '»') {
			j++
		}
		if j < len(rs) && !unicode.IsSpace(rs[j]) {
			continue
		}
		k := j
		for k < len(rs) && unicode.IsSpace(rs[k]) {
			k++
		}
		if k < len(rs) && rs[i] != '\n' {
			n := rs[k]
			if !(unicode.IsUpper(n) || unicode.IsDigit(n) || n == '¿' || n == '¡' || n == '•' || n == '"' || n == '(') {
				continue
			}
		}
		if s := strings.TrimSpace(string(rs[start:j])); s != "" {
			out = append(out, s)
		}
		start = k
		i = k - 1
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func lastSentences(text string, max int) string {
	ss := Sentences(text)
	out := ""
	for i := len(ss) - 1; i >= 0; i-- {
		cand := ss[i]
		if out != "" {
			cand += " " + out
		}
		if len(cand) > max {
			break
		}
		out = cand
	}
	return out
}

// splitLong cuts text longer than max between sentences, and a sentence
// longer than max between words.
func splitLong(text string, max int) []string {
	if len(text) <= max {
		return []string{text}
	}
	var out []string
	cur := ""
	add := func(s string) {
		if cur != "" && len(cur)+1+len(s) > max {
			out = append(out, cur)
			cur = ""
		}
		if cur == "" {
			cur = s
		} else {
			cur += " " + s
		}
	}
	for _, s := range Sentences(text) {
		if len(s) <= max {
			add(s)
			continue
		}
		for _, w := range strings.Fields(s) {
			for len(w) > max {
				cut := max
				for cut > 1 && !utf8.RuneStart(w[cut]) {
					cut--
				}
				add(w[:cut])
				w = w[cut:]
			}
			add(w)
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
