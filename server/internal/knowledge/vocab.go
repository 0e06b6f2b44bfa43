package knowledge

import (
	"cmp"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
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
	var near []vocabTerm
	sig := letterSig(stem)
	n := utf8.RuneCountInString(stem)
	for l := n - 1; l <= n+1; l++ {
		for _, t := range v.buckets[l] {
			if bits.OnesCount64(sig^t.sig) > 2 || t.term == stem {
				continue
			}
			if analysis.WithinOneEdit(stem, t.term) {
				near = append(near, t)
			}
		}
	}
	// Equally frequent neighbours in word order: buckets fill in map
	// order, and the cut at limit must not depend on it.
	slices.SortFunc(near, func(a, b vocabTerm) int {
		if c := cmp.Compare(len(b.p.slots), len(a.p.slots)); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	found := buf[:0]
	for _, t := range near[:min(len(near), limit)] {
		found = append(found, t.p)
	}
	return found
}
