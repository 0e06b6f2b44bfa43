package sender

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitText cuts text into parts of at most max characters. It cuts at the
// last paragraph break, else line break, else sentence end, else space in
// the second half of each window, so that parts read naturally; only a
// window without any of these is cut mid-word.
func splitText(text string, max int) []string {
	text = strings.TrimSpace(text)
	var parts []string
	for utf8.RuneCountInString(text) > max {
		window := prefixRunes(text, max)
		cut := bestCut(window)
		if part := strings.TrimSpace(text[:cut]); part != "" {
			parts = append(parts, part)
		}
		text = strings.TrimSpace(text[cut:])
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}

// splitTail cuts the end of text of at most max characters off the rest,
// at the first paragraph break, else line break, else sentence end, else
// space in the first half of the last max characters.
func splitTail(text string, max int) (head, tail string) {
	text = strings.TrimSpace(text)
	n := utf8.RuneCountInString(text)
	if n <= max {
		return "", text
	}
	start := len(prefixRunes(text, n-max))
	window := text[start:]
	cut := start + bestTailCut(window)
	return strings.TrimSpace(text[:cut]), strings.TrimSpace(text[cut:])
}

// bestTailCut returns the byte offset in w where the tail should start.
func bestTailCut(w string) int {
	ceiling := len(w) / 2
	if i := strings.Index(w, "\n\n"); i >= 0 && i <= ceiling {
		return i
	}
	if i := strings.IndexByte(w, '\n'); i >= 0 && i <= ceiling {
		return i
	}
	for i := 1; i <= ceiling && i < len(w); i++ {
		if w[i] == ' ' || w[i] == '\t' {
			if r, _ := utf8.DecodeLastRuneInString(w[:i]); isSentenceEnd(r) {
				return i
			}
		}
	}
	if i := strings.IndexFunc(w, unicode.IsSpace); i >= 0 && i <= ceiling {
		return i
	}
	return 0
}

// prefixRunes returns the first n characters of s.
func prefixRunes(s string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// bestCut returns the byte offset in w where the first part should end.
func bestCut(w string) int {
	floor := len(w) / 2
	if i := strings.LastIndex(w, "\n\n"); i >= floor {
		return i
	}
	if i := strings.LastIndexByte(w, '\n'); i >= floor {
		return i
	}
	for i := len(w) - 1; i >= floor && i > 0; i-- {
		if w[i] == ' ' || w[i] == '\t' {
			if r, _ := utf8.DecodeLastRuneInString(w[:i]); isSentenceEnd(r) {
				return i + 1
			}
		}
	}
	if i := strings.LastIndexFunc(w, unicode.IsSpace); i >= floor {
		return i
	}
	return len(w)
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '…':
		return true
	}
	return false
}

// clip shortens s to at most max characters, marking the cut with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return strings.TrimSpace(prefixRunes(s, max-1)) + "…"
}
