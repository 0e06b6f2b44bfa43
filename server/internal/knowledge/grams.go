package knowledge

import (
	"math"
	"strings"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/ingest"
)

// Character trigrams of the folded words, stop words included, compare a
// question with a passage's title the way a reader does: "¿cuáles son los
// síntomas?" and the heading "Cuáles son los síntomas de la enfermedad"
// share the frame of the question as well as its topic, and inflections
// and typos ("coronvirus", "curarme"/"curar") still share most trigrams.
// Word stems alone miss both: the frame words weigh little and the
// stemmer keeps roots of one family apart.

// gram is a character trigram packed in an integer (21 bits per rune), so
// that counting and looking trigrams up allocates no strings.
type gram uint64

// eachGram calls f with every trigram of text, each word padded with a
// space on both sides so that word starts and ends are features too.
func eachGram(text string, f func(gram)) {
	for _, w := range analysis.Words(text) {
		a, b := rune(' '), rune(-1)
		for _, r := range w + " " {
			if b >= 0 {
				f(gram(a)<<42 | gram(b)<<21 | gram(r))
			}
			a, b = b, r
			if a < 0 {
				a = ' '
			}
		}
	}
}

// gramCounts returns the trigram counts of text.
func gramCounts(text string) map[gram]float32 {
	m := make(map[gram]float32)
	eachGram(text, func(g gram) { m[g]++ })
	return m
}

// gramIDF is the inverse passage frequency of a trigram, smoothed like the
// term IDF so that a trigram no passage has weighs most.
func gramIDF(n, df float64) float64 { return math.Log(1 + n/(df+1)) }

// gramQuery is a query's trigrams weighted once per search, with a cache
// of the IDF of the other trigrams met while matching titles and sentences.
type gramQuery struct {
	w    map[gram]float64 // trigram -> count × IDF
	norm float64
	idf  map[gram]float64
	n    float64
	// sentences holds the answer sentence of each passage read, by slot.
	sentences map[int32]answerSentence
}

// answerSentence is a passage's sentence closest to the query: its
// trigrams and their cosine with the query.
type answerSentence struct {
	grams  map[gram]float32
	cosine float64
}

func (ix *Index) newGramQueryLocked(text string, n float64) *gramQuery {
	q := &gramQuery{w: map[gram]float64{}, idf: map[gram]float64{}, n: n, sentences: map[int32]answerSentence{}}
	for g, c := range gramCounts(text) {
		x := float64(c) * ix.gramIDFLocked(q, g)
		q.w[g] = x
		q.norm += x * x
	}
	q.norm = math.Sqrt(q.norm)
	return q
}

func (ix *Index) gramIDFLocked(q *gramQuery, g gram) float64 {
	w, ok := q.idf[g]
	if !ok {
		w = gramIDF(q.n, float64(ix.gramDF[g]))
		q.idf[g] = w
	}
	return w
}

// gramCosineLocked is the IDF-weighted cosine between the query's trigrams
// and a text's trigram counts.
func (ix *Index) gramCosineLocked(q *gramQuery, t map[gram]float32) float64 {
	if q.norm == 0 || len(t) == 0 {
		return 0
	}
	var dotp, nt float64
	for g, c := range t {
		x := float64(c) * ix.gramIDFLocked(q, g)
		nt += x * x
		if qx, ok := q.w[g]; ok {
			dotp += x * qx
		}
	}
	if nt == 0 {
		return 0
	}
	// Rounded: the sums above run in map order, and the last bits they
	// leave would break ties between identical passages differently on
	// every run.
	return math.Round(dotp/(q.norm*math.Sqrt(nt))*1e9) / 1e9
}

func (ix *Index) countGramsLocked(text string, delta int32) {
	for g := range gramCounts(text) {
		ix.gramDF[g] += delta
		if ix.gramDF[g] <= 0 {
			delete(ix.gramDF, g)
		}
	}
}

// sentenceAgreement is the trigram cosine above which two answer
// sentences say the same thing.
const sentenceAgreement = 0.6

// agreeLocked reports whether two answer sentences say the same thing: the
// IDF-weighted cosine of their trigrams.
func (ix *Index) agreeLocked(q *gramQuery, a, b map[gram]float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	var dotp, na, nb float64
	for g, c := range a {
		w := ix.gramIDFLocked(q, g)
		x := float64(c) * w
		na += x * x
		if cb, ok := b[g]; ok {
			dotp += x * float64(cb) * w
		}
	}
	for g, c := range b {
		x := float64(c) * ix.gramIDFLocked(q, g)
		nb += x * x
	}
	return dotp >= sentenceAgreement*math.Sqrt(na*nb)
}

// answerSentenceLocked returns the slot's sentence (or line) closest to
// the query, where its answer would be; read once per search.
func (ix *Index) answerSentenceLocked(q *gramQuery, slot int32) answerSentence {
	if a, ok := q.sentences[slot]; ok {
		return a
	}
	var best answerSentence
	for _, line := range strings.Split(ix.items[slot].text, "\n") {
		for _, sent := range ingest.Sentences(line) {
			m := make(map[gram]float32, 64)
			eachGram(sent, func(g gram) { m[g]++ })
			if c := ix.gramCosineLocked(q, m); best.grams == nil || c > best.cosine {
				best = answerSentence{grams: m, cosine: c}
			}
		}
	}
	q.sentences[slot] = best
	return best
}
