package analysis

import (
	"slices"
	"unicode/utf8"
)

// WithinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent letters.
func WithinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	if !isASCII(a) || !isASCII(b) {
		return withinOneEditRunes([]rune(a), []rune(b))
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		if i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] {
			return true
		}
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

func withinOneEditRunes(ra, rb []rune) bool {
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	if len(rb)-len(ra) > 1 {
		return false
	}
	i := 0
	for i < len(ra) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		if i+1 < len(ra) && ra[i] == rb[i+1] && ra[i+1] == rb[i] && slices.Equal(ra[i+2:], rb[i+2:]) {
			return true
		}
		return slices.Equal(ra[i+1:], rb[i+1:])
	}
	return slices.Equal(ra[i:], rb[i+1:])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
