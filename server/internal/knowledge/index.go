package knowledge

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/store"
)

// Kind says what a search result is.
type Kind string

const (
	// KindChunk is a passage of an uploaded document.
	KindChunk Kind = "chunk"
	// KindEntry is a question/answer entry (uploaded or learned).
	KindEntry Kind = "entry"
)

// Result is one search hit.
type Result struct {
	Kind Kind
	// ID is the chunk or entry id.
	ID         string
	DocumentID string
	// Source is the document's file name, or the entry's source.
	Source  string
	Page    int
	Heading string
	// Question is the entry's question (entries only).
	Question string
	// Text is the chunk's text or the entry's answer.
	Text    string
	Learned bool
	// Score is the confidence that this hit answers the query, 0..1: a
	// calibrated estimate of the probability that it comes from the
	// document holding the answer (docs/calibration.md), comparable with
	// the profile's answer threshold on knowledge bases of any shape.
	Score float64
	// Lexical is the weighted share of the query's terms found (0..1).
	Lexical float64
	// Vector is the cosine similarity rescaled to 0..1 with the embedder's
	// cosine range.
	Vector float64
	// Margin is how far this hit's relevance leads the best hit from
	// another document (negative when it trails).
	Margin float64
	// Specificity is how sharply the query's words single out passages of
	// this knowledge base: the information of its known words (−log of the
	// share of passages holding each) over log of the number of passages.
	// Around 1 a query names one passage; near 0 its words are everywhere.
	Specificity float64
	// Unknown is the share of the query's weight in words that no passage
	// of the knowledge base contains, even with a typo corrected.
	Unknown float64
	// UnknownWords are the query's words no passage contains (folded).
	UnknownWords []string
	// Rarity is, for each of the query's words (folded), how sharply it
	// singles out passages: −log of the share of passages holding it over
	// log of the number of passages, 0..1, and 1 for an unknown word. A
	// word most passages hold names the subject of the whole base.
	Rarity map[string]float64
	// Names are the query's words (folded) that the base writes only as
	// proper names, capitalised inside its sentences ("Puente Alto", "Los
	// Aromos"), unless this passage's document is about them (writes them
	// in half its passages or more): a user typing on a phone writes them
	// in lower case, and they still name one place or thing.
	Names map[string]bool
	// TitleMatch is the trigram similarity between the query and the
	// passage's title (a heading, or an entry's question) or, for the
	// leading hits, its sentence closest to the query, whichever is
	// higher; 0..1.
	TitleMatch float64
	// Relevance is the evidence the confidence is computed from: lexical
	// and vector scores fused, combined with the title match. Hits are
	// ranked by it.
	Relevance float64
	// Titled: the heading describes this passage (a FAQ question, a section
	// heading sharing its words), rather than naming the whole document.
	Titled bool
}

// RivalOf reports whether o competes with r for the answer: chunks of one
// document do not (whichever wins, the answer comes from that document);
// an entry is a document of its own.
func (r Result) RivalOf(o Result) bool {
	return r.Kind == KindEntry || o.Kind == KindEntry || r.DocumentID != o.DocumentID
}

// IndexOptions tunes the fusion of lexical and vector evidence.
type IndexOptions struct {
	// LexicalWeight is the weight of the lexical score in the combined
	// confidence; the vector score gets the rest. Default 0.5.
	LexicalWeight float64
	// CosineLow and CosineHigh map raw cosine to the 0..1 vector score:
	// at or below CosineLow (unrelated texts) it is 0, at or above
	// CosineHigh (close paraphrases) 1.
	CosineLow, CosineHigh float64
}

// BM25 parameters: the usual k1, and a length normalisation weaker than
// the usual 0.75 because chunks are already of similar size and FAQ
// answers are legitimately long.
const (
	bm25K1 = 1.2
	bm25B  = 0.5
	// Fields weigh more in titles: a chunk's heading and an entry's
	// question name its topic.
	headingBoost = 2
	// A query word that matches an indexed word only through a one-letter
	// typo counts this much.
	fuzzyFactor = 0.7
	// fuzzyMinRunes: shorter words have too many neighbours at distance 1.
	fuzzyMinRunes = 5
	// backgroundPassages is the number of passages assumed besides the
	// knowledge base's own when weighing how rare a word is. A word found in
	// the only passage of a one-chunk knowledge base is still specific
	// (most texts in the world do not say "CEO"), and the figures of a
	// small base do not swing with one more upload.
	backgroundPassages = 10
	// titleWeight is the weight of the title match against the fused
	// lexical and vector relevance.
	titleWeight = 2.0
	// sentenceMatchCandidates is how many of the best candidates get their
	// sentences matched against the query.
	sentenceMatchCandidates = 5
)

// Index is the in-memory hybrid index of the knowledge base: an inverted
// index for BM25-style lexical matching and the vectors, scanned in int8
// with the best candidates rescored exactly (vectors.go). It is safe for
// concurrent use; searches run in parallel with each other and wait for
// writers.
//
// Fusion: a hit's relevance is LexicalWeight × lexical + (1 −
// LexicalWeight) × vector. The lexical score is the query's term weight
// (IDF × word weight) that the passage covers, each term counted with BM25
// saturation so one mention in a long passage counts less than in a short
// one; it reads as "how much of what was asked is in the passage". The
// vector score is the cosine rescaled by the embedder's cosine range, so
// that both parts live on the same 0..1 scale. A weighted sum of
// normalised scores, unlike rank fusion, keeps absolute evidence, which the
// answer-or-escalate decision needs. The relevance, the hit's lead over
// other documents and the query's specificity then make its confidence
// (confidence).
type Index struct {
	an   *analysis.Analyzer
	dims int
	opt  IndexOptions

	mu    sync.RWMutex
	items []item
	vec   *vectors
	// lens[slot] is items[slot].length, kept dense because the lexical
	// loop reads it for every posting.
	lens     []float32
	free     []int32
	live     int
	totalLen float64
	postings map[string]*posting
	vocab    *vocab
	docs     map[string][]int32
	entries  map[string]int32
	// gramDF counts the passages holding each character trigram.
	gramDF map[gram]int32

	pool sync.Pool // *scratch
}

type posting struct {
	slots []int32
	tfs   []float32
}

type item struct {
	live     bool
	kind     Kind
	id       string
	docID    string
	source   string
	page     int
	heading  string
	question string
	text     string
	learned  bool
	ordinal  int
	length   float32
	terms    []string
	// title holds the analysed heading (chunks) or question (entries).
	title []analysis.Term
	// titleGrams are the title's character trigrams.
	titleGrams map[gram]float32
	// titled: the title describes the passage (it is phrased as a
	// question, shares a content word with the passage, or is an entry's
	// question).
	titled bool
}

// gramText is the text whose trigrams an item counts in gramDF: what is
// indexed of it, its title and, except for learned entries, its body.
func (it *item) gramText() string {
	title := it.heading
	if it.kind == KindEntry {
		title = it.question
	}
	if it.learned {
		return title
	}
	return title + "\n" + it.text
}

// NewIndex returns an empty index for vectors of dims dimensions.
func NewIndex(an *analysis.Analyzer, dims int, opt IndexOptions) *Index {
	if opt.LexicalWeight <= 0 || opt.LexicalWeight > 1 {
		opt.LexicalWeight = 0.5
	}
	if opt.CosineHigh <= opt.CosineLow {
		opt.CosineLow, opt.CosineHigh = 0, 1
	}
	return &Index{
		an:       an,
		dims:     dims,
		opt:      opt,
		postings: make(map[string]*posting),
		docs:     make(map[string][]int32),
		entries:  make(map[string]int32),
		gramDF:   make(map[gram]int32),
		vec:      newVectors(dims),
		vocab:    newVocab(),
	}
}

// Len returns the number of indexed chunks and entries.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Dimensions returns the vector size of the index.
func (ix *Index) Dimensions() int { return ix.dims }

// PutDocument indexes a document's chunks, replacing any it had. A chunk
// whose embedding has another size gets no vector score.
func (ix *Index) PutDocument(doc store.Document, chunks []store.Chunk) {
	ix.putAnalysed(doc, chunks, ix.analyse(doc, chunks))
}

// IsQuestion reports a title phrased as a question, as FAQ headings are,
// with or without question marks.
func IsQuestion(title string) bool {
	t := strings.TrimSpace(title)
	if strings.HasSuffix(t, "?") || strings.HasPrefix(t, "¿") {
		return true
	}
	w := analysis.Words(t)
	return len(w) > 1 && questionOpeners[w[0]]
}

var questionOpeners = map[string]bool{
	"como": true, "que": true, "cual": true, "cuales": true, "cuando": true, "donde": true, "quien": true, "quienes": true,
	"cuanto": true, "cuanta": true, "cuantos": true, "cuantas": true, "por": true, "porque": true, "puedo": true, "puede": true,
	"pueden": true, "se": true, "es": true, "hay": true, "existe": true, "debo": true, "tengo": true,
	"how": true, "what": true, "when": true, "where": true, "who": true, "why": true, "which": true, "can": true,
	"do": true, "does": true, "is": true, "are": true, "should": true, "will": true,
}

func allSameHeading(chunks []store.Chunk) bool {
	for _, c := range chunks[1:] {
		if c.Heading != chunks[0].Heading {
			return false
		}
	}
	return true
}

// bulkLoad makes the index sketch the vectors added until the returned
// function is called all at once, at the end (vectors.deferSketches).
func (ix *Index) bulkLoad() (done func()) {
	ix.mu.Lock()
	ix.vec.deferSketches()
	ix.mu.Unlock()
	return func() {
		ix.mu.Lock()
		defer ix.mu.Unlock()
		ix.vec.endDeferred()
	}
}

// RemoveDocument drops a document's chunks.
func (ix *Index) RemoveDocument(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeDocumentLocked(id)
}

func (ix *Index) removeDocumentLocked(id string) {
	for _, s := range ix.docs[id] {
		ix.removeLocked(s)
	}
	delete(ix.docs, id)
}

// PutEntry indexes a question/answer entry, replacing an earlier version.
// The question is weighted like a heading, so paraphrases of it find the
// entry; the answer's words count too, except for learned entries: a
// specialist's answer to one customer says many things besides the answer
// ("we wrote to you", the product names of that case), and a stranger's
// question sharing a few of those words must not find it. A learned entry
// is found by its question alone.
func (ix *Index) PutEntry(e store.Entry) {
	it := item{kind: KindEntry, id: e.ID, source: e.Source, question: e.Question, text: e.Answer, learned: e.Learned}
	body := e.Answer
	if e.Learned {
		body = ""
	}
	tf := ix.termFreqs(e.Question, body, &it)
	it.titled = true
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s, ok := ix.entries[e.ID]; ok {
		ix.removeLocked(s)
	}
	ix.entries[e.ID] = ix.addLocked(it, tf, e.Embedding)
}

// RemoveEntry drops an entry.
func (ix *Index) RemoveEntry(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s, ok := ix.entries[id]; ok {
		ix.removeLocked(s)
		delete(ix.entries, id)
	}
}

func (ix *Index) termFreqs(title, body string, it *item) map[string]float32 {
	tf := make(map[string]float32)
	var length float32
	seen := map[string]bool{}
	for _, t := range ix.an.Terms(title) {
		tf[t.Stem] += headingBoost
		length += headingBoost
		if !seen[t.Stem] {
			seen[t.Stem] = true
			it.title = append(it.title, t)
		}
	}
	for _, t := range ix.an.Terms(body) {
		tf[t.Stem]++
		length++
		if seen[t.Stem] && t.Weight == 1 {
			it.titled = true
		}
	}
	it.length = length
	if IsQuestion(title) {
		it.titled = true
	}
	if title != "" {
		it.titleGrams = gramCounts(title)
	}
	it.terms = make([]string, 0, len(tf))
	for s := range tf {
		it.terms = append(it.terms, s)
	}
	return tf
}

func (ix *Index) addLocked(it item, tf map[string]float32, vec []float32) int32 {
	slot := ix.placeLocked(it)
	ix.vec.set(slot, vec)
	ix.countGramsLocked(it.gramText(), 1)
	for term, f := range tf {
		p := ix.postingLocked(term)
		p.slots = append(p.slots, slot)
		p.tfs = append(p.tfs, f)
	}
	return slot
}

// placeLocked gives an item a slot and counts it; the caller sets its
// vector and adds its postings and trigrams.
func (ix *Index) placeLocked(it item) int32 {
	it.live = true
	var slot int32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.items[slot] = it
	} else {
		slot = int32(len(ix.items))
		ix.items = append(ix.items, it)
		ix.lens = append(ix.lens, 0)
	}
	ix.lens[slot] = it.length
	ix.live++
	ix.totalLen += float64(it.length)
	return slot
}

// postingLocked returns the term's posting list, made if new.
func (ix *Index) postingLocked(term string) *posting {
	p := ix.postings[term]
	if p == nil {
		p = &posting{}
		ix.postings[term] = p
		ix.vocab.add(term, p)
	}
	return p
}

func (ix *Index) removeLocked(slot int32) {
	it := &ix.items[slot]
	if !it.live {
		return
	}
	for _, term := range it.terms {
		p := ix.postings[term]
		if p == nil {
			continue
		}
		if i := slices.Index(p.slots, slot); i >= 0 {
			last := len(p.slots) - 1
			p.slots[i], p.tfs[i] = p.slots[last], p.tfs[last]
			p.slots, p.tfs = p.slots[:last], p.tfs[:last]
		}
		if len(p.slots) == 0 {
			delete(ix.postings, term)
			ix.vocab.remove(term)
		}
	}
	ix.live--
	ix.totalLen -= float64(it.length)
	ix.countGramsLocked(it.gramText(), -1)
	*it = item{}
	ix.lens[slot] = 0
	ix.vec.clear(slot)
	ix.free = append(ix.free, slot)
}

// idf is the BM25 inverse document frequency.
func idf(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// scratch is the per-search working memory, pooled so that a search
// allocates little beyond its results.
type scratch struct {
	acc       []float32
	best      []float32
	touched   []int32
	mark      []bool
	termSlots []int32
	lex       []scored
	vec       vecScratch
	parts     []minHeap
	out       []scored
}

// heaps returns n empty heaps whose storage is reused across searches.
func (s *scratch) heaps(n int) []minHeap {
	for len(s.parts) < n {
		s.parts = append(s.parts, nil)
	}
	for i := range n {
		s.parts[i] = s.parts[i][:0]
	}
	return s.parts[:n]
}

func (ix *Index) getScratch() *scratch {
	s, _ := ix.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	n := len(ix.items)
	if cap(s.acc) < n {
		s.acc = make([]float32, n)
		s.best = make([]float32, n)
		s.mark = make([]bool, n)
	}
	s.acc, s.best, s.mark = s.acc[:n], s.best[:n], s.mark[:n]
	s.touched = s.touched[:0]
	return s
}

func (ix *Index) putScratch(s *scratch) {
	for _, t := range s.touched {
		s.acc[t] = 0
		s.mark[t] = false
	}
	s.touched = s.touched[:0]
	ix.pool.Put(s)
}

type alt struct {
	p      *posting
	factor float32
}

// unknownCounted is how many words the base has never seen count in full
// against a passage's lexical score and title match; more share their
// weight. Measured on the adversarial sets: 3 answered ten more questions
// right for one more wrong; 2 thirty for six, the same utility at six
// times the wrong answers; 1 lost more than it gained.
const unknownCounted = 3

// Search returns up to limit hits for the query text and its vector (nil
// for lexical search only), best first.
func (ix *Index) Search(query string, qvec []float32, limit int) []Result {
	if limit <= 0 {
		limit = 5
	}
	qterms := ix.an.Query(query)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.live == 0 {
		return nil
	}
	n := float64(ix.live)
	avgLen := float32(ix.totalLen / n)
	// Rarity is weighed against the base plus a background of passages
	// that hold none of the query's words (backgroundPassages).
	nb := n + backgroundPassages
	qgrams := ix.newGramQueryLocked(query, n)
	if avgLen <= 0 {
		avgLen = 1
	}
	s := ix.getScratch()
	defer ix.putScratch(s)
	// BM25 length normalisation, k1 × (1 − b + b × length / avgLen), as
	// lenA + lenB × length.
	lenA, lenB := float32(bm25K1*(1-bm25B)), float32(bm25K1*bm25B)/avgLen

	// Lexical: the IDF-weighted share of query terms each item covers.
	var denom, specBits, unknown float64
	var unknownWords []string
	rarity := make(map[string]float64, len(qterms))
	// names: the query's words the base writes as names, and the
	// documents that write them.
	var names map[string][]string
	var queryWords []string // read once, when a possible name needs them
	inQuery := func(w string) bool {
		if queryWords == nil {
			queryWords = analysis.Words(query)
		}
		return slices.Contains(queryWords, w)
	}
	resolved := make([]resolvedTerm, 0, len(qterms))
	for _, qt := range qterms {
		var alts []alt
		df := 0
		if p := ix.postings[qt.Stem]; p != nil {
			alts = append(alts, alt{p, 1})
			df = len(p.slots)
		}
		for _, a := range qt.Alts {
			if p := ix.postings[a.Stem]; p != nil {
				alts = append(alts, alt{p, float32(a.Factor)})
				df = max(df, len(p.slots))
			}
		}
		if len(alts) == 0 && utf8.RuneCountInString(qt.Word) >= fuzzyMinRunes {
			for _, p := range ix.vocab.nearby(qt.Stem, 3, nil) {
				alts = append(alts, alt{p, fuzzyFactor})
				df = max(df, len(p.slots))
			}
		}
		w := qt.Weight * idf(nb, float64(df))
		denom += w
		rarity[qt.Word] = 1
		if p := ix.postings[qt.Stem]; p != nil && len(p.slots) <= nameScanPassages && ix.writtenAsNameLocked(qt.Word, p.slots, inQuery) {
			if names == nil {
				names = map[string][]string{}
			}
			for _, slot := range p.slots {
				names[qt.Word] = append(names[qt.Word], ix.items[slot].docID)
			}
		}
		if df > 0 {
			specBits += qt.Weight * -math.Log(float64(df)/nb)
			rarity[qt.Word] = -math.Log(float64(df)/nb) / math.Log(nb)
		} else {
			unknown += w
			unknownWords = append(unknownWords, qt.Word)
		}
		rt := resolvedTerm{weight: w, stems: map[string]float64{qt.Stem: 1}, unknown: df == 0}
		for _, a := range qt.Alts {
			rt.stems[a.Stem] = a.Factor
		}
		for _, a := range alts {
			if a.factor == fuzzyFactor {
				rt.fuzzy = append(rt.fuzzy, a.p)
			}
		}
		resolved = append(resolved, rt)
		if len(alts) == 0 {
			continue
		}
		if len(alts) == 1 {
			// One posting list (no synonym or typo matched): add its
			// evidence directly, without taking the best of several.
			a := alts[0]
			wa := float32(w) * a.factor
			for i, slot := range a.p.slots {
				tf := a.p.tfs[i]
				norm := tf * (bm25K1 + 1) / (tf + lenA + lenB*ix.lens[slot])
				if !s.mark[slot] {
					s.mark[slot] = true
					s.touched = append(s.touched, slot)
				}
				s.acc[slot] += wa * min(norm, 1)
			}
			continue
		}
		termTouched := s.termSlots[:0]
		for _, a := range alts {
			for i, slot := range a.p.slots {
				tf := a.p.tfs[i]
				norm := tf * (bm25K1 + 1) / (tf + lenA + lenB*ix.lens[slot])
				v := a.factor * min(norm, 1)
				if s.best[slot] == 0 {
					termTouched = append(termTouched, slot)
				}
				if v > s.best[slot] {
					s.best[slot] = v
				}
			}
		}
		for _, slot := range termTouched {
			if !s.mark[slot] {
				s.mark[slot] = true
				s.touched = append(s.touched, slot)
			}
			s.acc[slot] += float32(w) * s.best[slot]
			s.best[slot] = 0
		}
		s.termSlots = termTouched[:0]
	}

	// Candidates: the best lexical items and the nearest vectors.
	pool := max(4*limit, 32)
	cands := make(map[int32]struct{}, 2*pool)
	lex := s.lex[:0]
	for _, slot := range s.touched {
		lex = append(lex, scored{slot, s.acc[slot]})
	}
	s.lex = lex[:0]
	for _, c := range topK(lex, pool) {
		cands[c.slot] = struct{}{}
	}
	// A question in the other language (English on Spanish documents)
	// matches by its words, through the bilingual synonyms; its vector and
	// character trigrams only measure how foreign it looks.
	foreign := ix.an.Foreign(query)
	hasVec := len(qvec) == ix.dims && !isZero(qvec) && !foreign
	if hasVec {
		for _, c := range ix.vec.nearest(qvec, pool, s) {
			cands[c.slot] = struct{}{}
		}
	}
	out := make([]Result, 0, len(cands))
	// Candidates in slot order: ties in relevance are then broken the same
	// way on every run (map order is random), so one question always gets
	// one decision.
	where := make([]int32, 0, len(cands))
	for slot := range cands {
		where = append(where, slot)
	}
	slices.Sort(where)
	lo, hi := ix.opt.CosineLow, ix.opt.CosineHigh
	// Words the base has never seen lower every passage's lexical score,
	// so that a question about something the base never mentions finds no
	// passage sure; past unknownCounted of them a message is telling its
	// story ("les cuento: estoy haciendo un diplomado y mañana se cierra el
	// plazo…"), and more of them do not make the passage that answers its
	// question any less of a match.
	lexDenom := denom
	if k := float64(len(unknownWords)); k > unknownCounted {
		lexDenom = denom - unknown + unknown*unknownCounted/k
		for i := range resolved {
			if resolved[i].unknown {
				resolved[i].weight *= unknownCounted / k
			}
		}
	}
	for _, slot := range where {
		it := &ix.items[slot]
		r := Result{
			Kind: it.kind, ID: it.id, DocumentID: it.docID, Source: it.source, Page: it.page,
			Heading: it.heading, Question: it.question, Text: it.text, Learned: it.learned, Titled: it.titled,
		}
		if denom > 0 {
			r.Lexical = float64(s.acc[slot]) / lexDenom
			if len(it.title) > 0 {
				// A passage whose title says what the query says is the
				// answer to it (FAQ headings, learned questions); the title
				// match can raise the lexical score, never lower it.
				r.Lexical = math.Max(r.Lexical, (r.Lexical+ix.titleSimLocked(resolved, it.title, nb))/2)
			}
		}
		if it.titleGrams != nil && !foreign {
			r.TitleMatch = ix.gramCosineLocked(qgrams, it.titleGrams)
		}
		if hasVec {
			cos := float64(ix.vec.score(qvec, slot))
			r.Vector = math.Max(0, math.Min(1, (cos-lo)/(hi-lo)))
		}
		wl := ix.opt.LexicalWeight
		if !hasVec {
			wl = 1
		}
		r.Relevance = wl*r.Lexical + (1-wl)*r.Vector
		out = append(out, r)
	}
	// The title match: a passage is also matched by its sentence closest
	// to the query, which is where its answer would be; a heading can be a
	// document's name ("Manual del usuario") rather than what the passage
	// says. Only the leading candidates need it; the others cannot catch up.
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(out[b].Relevance, out[a].Relevance) })
	for rank, i := range order {
		if foreign {
			break
		}
		it := &ix.items[where[i]]
		if rank < sentenceMatchCandidates {
			out[i].TitleMatch = math.Max(out[i].TitleMatch, ix.answerSentenceLocked(qgrams, where[i]).cosine)
		}
		// A title that says what its passage is about (a FAQ question, a
		// section heading that shares words with its text) is evidence
		// both ways: a passage whose title is not what was asked is
		// probably not the answer. Otherwise (a document's name repeated
		// over its passages, no title) the match can raise the relevance,
		// never lower it: a long passage rarely has a sentence phrased like
		// the question, yet it may hold the answer.
		combined := (out[i].Relevance + titleWeight*out[i].TitleMatch) / (1 + titleWeight)
		if !it.titled {
			combined = math.Max(out[i].Relevance, combined)
		}
		out[i].Relevance = combined
	}
	if denom > 0 {
		unknown /= denom
	}
	for i := range out {
		out[i].Unknown = unknown
		out[i].UnknownWords = unknownWords
		out[i].Rarity = rarity
		for w, docs := range names {
			// A name the passage's own document writes in half its
			// passages or more is what that document is about ("Teach1"
			// in the app's guide), even where this passage does not
			// repeat it; one its other section writes ("Ñuñoa" in a page
			// of branches) is another branch.
			own := 0
			for _, d := range docs {
				if d == out[i].DocumentID {
					own++
				}
			}
			if own < 2 || 2*own < len(ix.docs[out[i].DocumentID]) {
				if out[i].Names == nil {
					out[i].Names = map[string]bool{}
				}
				out[i].Names[w] = true
			}
		}
	}
	ix.calibrateLocked(out, where, qgrams, specBits/math.Log(nb))
	// Equal scores (the same text in two places) rank by source name, then
	// in the order they were indexed: ids are random, and a tie must not
	// be settled differently on every run.
	slices.SortStableFunc(out, func(a, b Result) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Source, b.Source)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// The confidence model: a logistic function of four measurements of a
// hit, fitted on labelled searches of six FAQ knowledge bases in two
// languages (docs/calibration.md), where "right" means the hit is from the
// document that holds the answer. It reads as the probability that the hit
// is the answer, on every base, whatever its size or the length of its
// passages.
const (
	confBias        = -5.68
	confRelevance   = 4.80 // per unit of relevance
	confMargin      = 6.93 // per unit of lead over the best rival
	confSpecificity = 2.95 // per unit of 1 − e^(−specificity)
)

// Confidence turns a hit's relevance, its lead over the best rival (a hit
// from another document that does not say the same thing) and the query's
// specificity into the probability that it answers the query. The lead
// separates the answer from its near-duplicates (several FAQ entries about
// symptoms); specificity keeps a question made of words found everywhere
// ("COVID-19", "médico") from being answered confidently by whichever
// passage says them most. Words the base has never seen count in the
// relevance (the lexical part covers the whole query, not only the known
// words), and the answer decision weighs them again (agents/rules).
//
// It is exported for a caller that rules some rivals out (the answer
// decision drops passages that do not hold what was asked).
func Confidence(relevance, margin, specificity float64) float64 {
	z := confBias + confRelevance*relevance + confMargin*margin + confSpecificity*(1-math.Exp(-specificity))
	return 1 / (1 + math.Exp(-z))
}

// contenders is how many of the best hits are checked for agreement with
// their rivals; the others cannot win anyway, and the check reads texts.
const contenders = 3

// agreementRange: rivals whose relevance trails by more than this are not
// read for agreement.
const agreementRange = 0.2

// calibrateLocked turns each hit's relevance into its confidence, noting
// its margin over the best rival and the query's specificity. A rival is a
// hit from another document (an entry is its own document) that does not
// agree with the hit: chunks of one document are not rivals, whichever of
// them wins the answer comes from that document; and two passages whose
// sentences answering the query say the same thing (a fact repeated in two
// documents, a learned answer that restates the manual) reinforce each
// other rather than compete.
func (ix *Index) calibrateLocked(out []Result, slots []int32, q *gramQuery, specificity float64) {
	if len(out) == 0 {
		return
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(out[b].Relevance, out[a].Relevance) })
	for rank, i := range order {
		rival, checked := 0.0, 0
		for _, j := range order {
			if j == i || !out[i].RivalOf(out[j]) {
				continue
			}
			// Agreement matters only against a close rival: a far one
			// leaves a large margin anyway.
			if rank < contenders && checked < contenders && out[j].Relevance >= out[i].Relevance-agreementRange {
				checked++
				if ix.agreeLocked(q, ix.answerSentenceLocked(q, slots[i]).grams, ix.answerSentenceLocked(q, slots[j]).grams) {
					continue
				}
			}
			rival = out[j].Relevance
			break
		}
		out[i].Margin = out[i].Relevance - rival
		out[i].Specificity = specificity
		out[i].Score = Confidence(out[i].Relevance, out[i].Margin, specificity)
	}
}

// resolvedTerm is a query term with its weight and the stems it matches.
type resolvedTerm struct {
	weight float64
	// unknown: no passage holds the term.
	unknown bool
	stems   map[string]float64 // stem -> factor
	fuzzy   []*posting
}

// titleSimLocked is the weighted Dice coefficient between the query and an
// item's title: twice the weight they share over the sum of both weights,
// so a title with words the query lacks scores lower than one that says
// exactly what was asked.
func (ix *Index) titleSimLocked(q []resolvedTerm, title []analysis.Term, n float64) float64 {
	var qw, tw, shared float64
	for _, t := range q {
		qw += t.weight
	}
	for _, t := range title {
		df := 0.0
		p := ix.postings[t.Stem]
		if p != nil {
			df = float64(len(p.slots))
		}
		w := t.Weight * idf(n, df)
		tw += w
		best := 0.0
		for _, qt := range q {
			if f, ok := qt.stems[t.Stem]; ok {
				best = math.Max(best, f*math.Min(qt.weight, w))
				continue
			}
			for _, fp := range qt.fuzzy {
				if fp == p {
					best = math.Max(best, fuzzyFactor*math.Min(qt.weight, w))
				}
			}
		}
		shared += best
	}
	if qw+tw == 0 {
		return 0
	}
	return 2 * shared / (qw + tw)
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// nameScanPassages: a word held by more passages than this is read as an
// ordinary word of the base, not looked at as a possible name. Names of
// places, people and products are rare in a base; reading how a common word
// is written would cost every search for nothing.
const nameScanPassages = 8

// writtenAsNameLocked reports whether the passages in slots write word
// (folded) only capitalised, and at least once inside a sentence, where
// capitals mark a name rather than the sentence's start. A word of a name
// of several ("Cel Medio", "Mes del Libro") names it only with another of
// its words in the query (inQuery): "un año y medio" is no plan, "en los
// aromos" is "Villa Los Aromos".
func (ix *Index) writtenAsNameLocked(word string, slots []int32, inQuery func(string) bool) bool {
	named := false
	for _, slot := range slots {
		it := &ix.items[slot]
		for _, text := range []string{it.question, it.text} {
			if !strings.Contains(analysis.Fold(text), word) {
				continue
			}
			for line := range strings.Lines(text) {
				if titleCase(line) {
					// "How To Organize Meeting Times": every word is
					// capitalised, names or not.
					continue
				}
				fields := strings.Fields(line)
				for i, f := range fields {
					if !startsLike(f, word) || !slices.Contains(analysis.Words(f), word) {
						continue
					}
					if !capitalisedField(f) {
						return false
					}
					if i == 0 || sentenceEnd(fields[i-1]) {
						continue
					}
					run := nameRun(fields, i)
					named = named || len(run) == 1 || slices.ContainsFunc(run, func(w string) bool { return w != word && inQuery(w) })
				}
			}
		}
	}
	return named
}

// nameRun returns the folded words of the capitalised run around
// fields[i], joined over lower-case links ("Mes del Libro").
func nameRun(fields []string, i int) []string {
	lo, hi := i, i
	for lo > 0 && !sentenceEnd(fields[lo-1]) {
		switch {
		case capitalisedField(fields[lo-1]):
			lo--
			continue
		case lo > 1 && nameLinks[fields[lo-1]] && capitalisedField(fields[lo-2]) && !sentenceEnd(fields[lo-2]):
			lo -= 2
			continue
		}
		break
	}
	for hi+1 < len(fields) && !sentenceEnd(fields[hi]) {
		switch {
		case capitalisedField(fields[hi+1]):
			hi++
			continue
		case hi+2 < len(fields) && nameLinks[fields[hi+1]] && capitalisedField(fields[hi+2]):
			hi += 2
			continue
		}
		break
	}
	var run []string
	for _, f := range fields[lo : hi+1] {
		if !nameLinks[f] {
			run = append(run, analysis.Words(f)...)
		}
	}
	return run
}

var nameLinks = map[string]bool{"de": true, "del": true, "la": true, "las": true, "los": true, "el": true, "y": true, "of": true, "the": true}

func capitalisedField(f string) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(f, "¿¡\"'(«*-•"))
	return unicode.IsUpper(r)
}

func sentenceEnd(f string) bool {
	last, _ := utf8.DecodeLastRuneInString(f)
	return strings.ContainsRune(".:!?¿¡·|•-", last)
}

// titleCase reports a line of three words or more, most of them
// capitalised.
func titleCase(line string) bool {
	words, upper := 0, 0
	for _, f := range strings.Fields(line) {
		r, _ := utf8.DecodeRuneInString(f)
		if !unicode.IsLetter(r) {
			continue
		}
		words++
		if unicode.IsUpper(r) {
			upper++
		}
	}
	return words >= 3 && upper*5 >= words*3
}

// startsLike reports whether the field's first letter, folded, is word's
// first byte: a cheap test before the field is analysed.
func startsLike(f, word string) bool {
	for _, r := range f {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if r < utf8.RuneSelf {
			return byte(unicode.ToLower(r)) == word[0]
		}
		return strings.HasPrefix(analysis.Fold(string(r)), word[:1])
	}
	return false
}
