package main

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// safeWriter shows text that comes from outside (customers' messages,
// names and addresses, providers' errors) without letting it drive the
// terminal: control characters other than the line feeds and tabs of the
// layout, C1 controls, bidirectional overrides and bytes that are not UTF-8
// are written as Go escapes (\x1b, \u202e, \xff). JSON output bypasses it
// (see rawWriter): it must stay exact, and its encoder escapes controls.
type safeWriter struct {
	w io.Writer
	// pending holds the start of a rune cut by the end of a write.
	pending []byte
}

func (s *safeWriter) Write(p []byte) (int, error) {
	b := append(s.pending, p...)
	s.pending = nil
	// Keep an incomplete rune at the end for the next write.
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				s.pending = append([]byte(nil), b[i:]...)
				b = b[:i]
			}
			break
		}
	}
	if _, err := s.w.Write(escapeControls(b, false)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rawWriter returns the writer under a safeWriter, for exact output.
func rawWriter(w io.Writer) io.Writer {
	if s, ok := w.(*safeWriter); ok {
		return s.w
	}
	return w
}

// escapeControls writes b with terminal controls escaped; in a table cell
// (cell) tabs and line feeds are escaped too, as they would break the
// columns.
func escapeControls(b []byte, cell bool) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, b[0])
		case (r == '\n' || r == '\t') && !cell:
			out = append(out, b[:size]...)
		case r < 0x20 || r == 0x7f:
			out = fmt.Appendf(out, `\x%02x`, r)
		case (r >= 0x80 && r <= 0x9f) || isBidiControl(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// isBidiControl reports the characters that reorder what follows them, so
// that displayed text reads differently from what it is.
func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// cell escapes s for a table cell.
func cell(s string) string { return string(escapeControls([]byte(s), true)) }
