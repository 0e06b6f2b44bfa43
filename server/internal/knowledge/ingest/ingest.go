// Package ingest reads the files a company uploads to its knowledge base —
// PDF, Markdown, plain text, HTML and question/answer lists in JSON or CSV —
// into structured blocks (headings, paragraphs, list items, with their page)
// and cuts documents into overlapping chunks for retrieval. It never panics
// on outside input: files it cannot read come back as ErrUnreadable.
package ingest

import (
	"errors"
	"fmt"
	"mime"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnreadable is returned (wrapped, with the reason) for files that hold no
// usable text: a PDF without a text layer, a corrupt or empty file, a
// question/answer list without entries, or a type that is not supported.
var ErrUnreadable = errors.New("unreadable document")

func unreadable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnreadable, fmt.Sprintf(format, args...))
}

// Format is a supported file type.
type Format string

const (
	FormatPDF      Format = "pdf"
	FormatMarkdown Format = "markdown"
	FormatText     Format = "text"
	FormatHTML     Format = "html"
	FormatQAJSON   Format = "qa-json"
	FormatQACSV    Format = "qa-csv"
)

// MediaType returns the canonical media type of the format.
func (f Format) MediaType() string {
	switch f {
	case FormatPDF:
		return "application/pdf"
	case FormatMarkdown:
		return "text/markdown"
	case FormatHTML:
		return "text/html"
	case FormatQAJSON:
		return "application/json"
	case FormatQACSV:
		return "text/csv"
	default:
		return "text/plain"
	}
}

// IsQA reports whether files of the format hold question/answer entries
// rather than a document.
func (f Format) IsQA() bool { return f == FormatQAJSON || f == FormatQACSV }

// Detect chooses the format from the media type, or from the file name's
// extension when the media type is empty or generic.
func Detect(filename, mediaType string) (Format, error) {
	mt := ""
	if mediaType != "" {
		if parsed, _, err := mime.ParseMediaType(mediaType); err == nil {
			mt = strings.ToLower(parsed)
		}
	}
	switch mt {
	case "application/pdf":
		return FormatPDF, nil
	case "text/markdown", "text/x-markdown":
		return FormatMarkdown, nil
	case "text/html", "application/xhtml+xml":
		return FormatHTML, nil
	case "application/json":
		return FormatQAJSON, nil
	case "text/csv":
		return FormatQACSV, nil
	}
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".pdf":
		return FormatPDF, nil
	case ".md", ".markdown":
		return FormatMarkdown, nil
	case ".html", ".htm", ".xhtml":
		return FormatHTML, nil
	case ".json":
		return FormatQAJSON, nil
	case ".csv":
		return FormatQACSV, nil
	case ".txt", ".text", "":
		return FormatText, nil
	}
	if mt == "text/plain" {
		return FormatText, nil
	}
	return "", unreadable("unsupported file type %q (%s)", filename, mediaType)
}

// BlockKind says what a block is.
type BlockKind int

const (
	Paragraph BlockKind = iota
	Heading
	ListItem
)

// Block is a unit of a document's text: a heading, a paragraph or a list
// item, on one page (0 when the format has no pages).
type Block struct {
	Kind BlockKind
	Text string
	Page int
}

// QA is a question with its answer.
type QA struct {
	Question string
	Answer   string
}

// Parsed is a read file: blocks for documents, entries for Q&A lists.
type Parsed struct {
	Format  Format
	Pages   int
	Blocks  []Block
	Entries []QA
}

// Parse reads one file within DefaultLimits. The format comes from Detect.
func Parse(filename, mediaType string, data []byte) (*Parsed, error) {
	return ParseLimited(filename, mediaType, data, DefaultLimits())
}

// ParseLimited reads one file within lim; a file over a limit is
// ErrUnreadable naming it.
func ParseLimited(filename, mediaType string, data []byte, lim Limits) (*Parsed, error) {
	lim = lim.WithDefaults()
	f, err := Detect(filename, mediaType)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, unreadable("%s is empty", filename)
	}
	p := &Parsed{Format: f}
	switch f {
	case FormatPDF:
		p.Blocks, p.Pages, err = ParsePDFLimited(data, lim)
	case FormatQAJSON:
		p.Entries, err = ParseQAJSON(data)
	case FormatQACSV:
		p.Entries, err = ParseQACSV(data)
	default:
		if !utf8.Valid(data) {
			data = []byte(latin1ToUTF8(data))
		}
		switch f {
		case FormatMarkdown:
			p.Blocks = ParseMarkdown(string(data))
		case FormatHTML:
			p.Blocks = ParseHTML(string(data))
		default:
			p.Blocks = ParseText(string(data))
		}
	}
	if err != nil {
		return nil, err
	}
	if !f.IsQA() && !hasText(p.Blocks) {
		return nil, unreadable("%s has no text", filename)
	}
	if len(p.Blocks) > lim.MaxBlocks {
		return nil, unreadable("%s holds %d headings, paragraphs and list items, more than the %d allowed", filename, len(p.Blocks), lim.MaxBlocks)
	}
	if len(p.Entries) > lim.MaxEntries {
		return nil, unreadable("%s holds %d questions, more than the %d allowed", filename, len(p.Entries), lim.MaxEntries)
	}
	for i, e := range p.Entries {
		switch {
		case len(e.Question) > MaxEntryBytes:
			return nil, unreadable("%s: entry %d: the question is longer than %d KiB", filename, i+1, MaxEntryBytes>>10)
		case len(e.Answer) > MaxEntryBytes:
			return nil, unreadable("%s: entry %d: the answer is longer than %d KiB", filename, i+1, MaxEntryBytes>>10)
		}
	}
	if n := p.chars(); n > lim.MaxChars {
		return nil, unreadable("%s holds %d characters of text, more than the %d allowed", filename, n, lim.MaxChars)
	}
	return p, nil
}

func (p *Parsed) chars() int {
	n := 0
	for _, b := range p.Blocks {
		n += utf8.RuneCountInString(b.Text)
	}
	for _, e := range p.Entries {
		n += utf8.RuneCountInString(e.Question) + utf8.RuneCountInString(e.Answer)
	}
	return n
}

func hasText(blocks []Block) bool {
	for _, b := range blocks {
		if strings.IndexFunc(b.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			return true
		}
	}
	return false
}

// latin1ToUTF8 decodes text that is not UTF-8 as ISO-8859-1, the usual
// encoding of such files written in Spanish.
func latin1ToUTF8(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// cleanSpace collapses runs of white space into one space and drops control
// and private-use characters (PDF fonts map some glyphs there).
func cleanSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError || unicode.Is(unicode.Co, r) || unicode.IsControl(r) || r == '\u00ad' || r == '\u200b' || r == '\ufeff':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
