package knowledge

import (
	"cmp"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// vocab is the index's vocabulary arranged for typo matching: terms grouped
// by length in runes, each with a 64-bit signature of the letters it
// holds. Two words one edit apart differ in length by at most one and in
// letter set by at most two letters, so most of the vocabulary is ruled
// out by a length bucket and one XOR and popcount, and the cost of a typo
// does not grow with a full walk of the postings.
type vocab struct {
	buckets map[int][]vocabTerm
	where   map[string]int // term -> position in its bucket
}

type vocabTerm struct {
	term string
	sig  uint64
	p    *posting
}

func newVocab() *vocab {
	return &vocab{buckets: make(map[int][]vocabTerm), where: make(map[string]int)}
}

func letterSig(s string) uint64 {
	var sig uint64
	for _, r := range s {
		sig |= 1 << (uint(r) % 64)
	}
	return sig
}

func (v *vocab) add(term string, p *posting) {
	n := utf8.RuneCountInString(term)
	v.where[term] = len(v.buckets[n])
	v.buckets[n] = append(v.buckets[n], vocabTerm{term: term, sig: letterSig(term), p: p})
}

func (v *vocab) remove(term string) {
	i, ok := v.where[term]
	if !ok {
		return
	}
	n := utf8.RuneCountInString(term)
	b := v.buckets[n]
	last := len(b) - 1
	if i != last {
		b[i] = b[last]
		v.where[b[i].term] = i
	}
	b[last] = vocabTerm{}
	v.buckets[n] = b[:last]
	delete(v.where, term)
}

// nearby returns the postings of terms one edit (insertion, deletion,
// substitution or transposition) away from stem, most frequent first, at
// most limit.
func (v *vocab) nearby(stem string, limit int, buf []*posting) []*posting {
	found := buf[:0]
	sig := letterSig(stem)
	n := utf8.RuneCountInString(stem)
	for l := n - 1; l <= n+1; l++ {
		for _, t := range v.buckets[l] {
			if bits.OnesCount64(sig^t.sig) > 2 || t.term == stem {
				continue
			}
			if withinOneEdit(stem, t.term) {
				found = append(found, t.p)
			}
		}
	}
	slices.SortFunc(found, func(a, b *posting) int { return cmp.Compare(len(b.slots), len(a.slots)) })
	if len(found) > limit {
		found = found[:limit]
	}
	return found
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent letters.
func withinOneEdit(a, b string) bool {
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
