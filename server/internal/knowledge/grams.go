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

// gramCounts returns the trigram counts of text, each word padded with a
// space on both sides so that word starts and ends are features too.
func gramCounts(text string) map[string]float32 {
	m := make(map[string]float32)
	buf := make([]rune, 0, 32)
	for _, w := range analysis.Words(text) {
		buf = append(buf[:0], ' ')
		buf = append(buf, []rune(w)...)
		buf = append(buf, ' ')
		for i := 0; i+3 <= len(buf); i++ {
			m[string(buf[i:i+3])]++
		}
	}
	return m
}

// gramIDF is the inverse passage frequency of a trigram, smoothed like the
// term IDF so that a trigram no passage has weighs most.
func gramIDF(n, df float64) float64 { return math.Log(1 + n/(df+1)) }

// gramCosineLocked is the IDF-weighted cosine between two trigram count
// vectors.
func (ix *Index) gramCosineLocked(q, t map[string]float32, n float64) float64 {
	if len(q) == 0 || len(t) == 0 {
		return 0
	}
	var dotp, nq, nt float64
	for g, c := range t {
		w := gramIDF(n, float64(ix.gramDF[g]))
		x := float64(c) * w
		nt += x * x
		if qc, ok := q[g]; ok {
			dotp += x * float64(qc) * w
		}
	}
	for g, c := range q {
		w := gramIDF(n, float64(ix.gramDF[g]))
		x := float64(c) * w
		nq += x * x
	}
	if nq == 0 || nt == 0 {
		return 0
	}
	return dotp / math.Sqrt(nq*nt)
}

func (ix *Index) countGramsLocked(text string, delta int32) {
	for g := range gramCounts(text) {
		ix.gramDF[g] += delta
		if ix.gramDF[g] <= 0 {
			delete(ix.gramDF, g)
		}
	}
}

// bestSentenceMatchLocked is the best trigram cosine between the query and
// one sentence (or line) of text.
func (ix *Index) bestSentenceMatchLocked(q map[string]float32, text string, n float64) float64 {
	best := 0.0
	for _, line := range strings.Split(text, "\n") {
		for _, sent := range ingest.Sentences(line) {
			best = math.Max(best, ix.gramCosineLocked(q, gramCounts(sent), n))
		}
	}
	return best
}
