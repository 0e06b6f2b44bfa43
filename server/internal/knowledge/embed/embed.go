// Package embed holds the embedders of the knowledge base: a local,
// deterministic feature-hashing embedder that needs no network, and a client
// for OpenAI-compatible /v1/embeddings endpoints.
package embed

import (
	"context"
	"hash/fnv"
	"maps"
	"math"
	"slices"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Hash embeds text by feature hashing: each stemmed content word and each
// character trigram of the folded words adds a signed weight to one of Dims
// buckets, and the vector is L2-normalised. Stems match inflected forms;
// trigrams give partial credit to typos and to words sharing a root that
// the stemmer keeps apart. It is deterministic and needs no model, so
// embeddings stored by one process are valid in every other.
type Hash struct {
	an   *analysis.Analyzer
	dims int
}

// trigramWeight is the weight of each character trigram; a word of seven
// letters carries about as much trigram mass as its stem.
const trigramWeight = 0.3

// DefaultHashDims is the default size of hashed vectors. 256 keeps an exact
// scan of 100k chunks within a few milliseconds on two cores.
const DefaultHashDims = 256

// NewHash returns a hashing embedder over the analyzer's terms.
func NewHash(an *analysis.Analyzer, dims int) *Hash {
	if dims <= 0 {
		dims = DefaultHashDims
	}
	return &Hash{an: an, dims: dims}
}

// Model names the embedding scheme; it changes when the features change, so
// stored vectors of an older scheme are recomputed.
func (h *Hash) Model() string {
	return "relevo-hash-v1-" + h.an.Language()
}

// Dimensions returns the vector size.
func (h *Hash) Dimensions() int { return h.dims }

// CosineRange is the cosine of unrelated texts (about 0.05) and of close
// paraphrases (about 0.6) for this embedder, measured on the Spanish FAQ
// evaluation set (docs/calibration.md); the knowledge index rescales cosine
// to a 0..1 confidence with it.
func (h *Hash) CosineRange() (lo, hi float64) { return 0.05, 0.6 }

// Embed returns one vector per text.
func (h *Hash) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (h *Hash) Vector(text string) []float32 {
	v := make([]float32, h.dims)
	terms := h.an.Terms(text)
	counts := make(map[string]float64, len(terms))
	for _, t := range terms {
		counts["w:"+t.Stem] += t.Weight
		if len(t.Word) >= 3 && t.Weight == 1 {
			padded := "^" + t.Word + "$"
			rs := []rune(padded)
			for i := 0; i+3 <= len(rs); i++ {
				counts["g:"+string(rs[i:i+3])] += trigramWeight
			}
		}
	}
	// Features in a fixed order: float32 sums in map order would leave two
	// copies of one text with vectors that differ in the last bits, and
	// ties between them broken differently on every run.
	for _, f := range slices.Sorted(maps.Keys(counts)) {
		c := counts[f]
		hs := fnv.New64a()
		hs.Write([]byte(f))
		x := hs.Sum64()
		idx := int(x % uint64(h.dims))
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		// Sub-linear in repetitions: a word said three times is not three
		// times the topic.
		w := c
		if c > 1 {
			w = 1 + math.Log(c)
		}
		v[idx] += sign * float32(w)
	}
	Normalize(v)
	return v
}

// Normalize scales v to unit length in place (a zero vector stays zero).
func Normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
