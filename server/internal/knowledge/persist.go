package knowledge

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"slices"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/store"
)

// What the index derives from a document's chunks (each chunk's analysed
// terms and title, and the character trigrams the document adds to the
// trigram frequencies) costs far more to compute than to read back:
// analysing every chunk made a restart take seconds per 10,000 chunks. It
// is persisted per document (store.IndexData) in the encoding below and
// read back at load when its version and the document's chunks still
// match.

// analysedDoc is a document's chunks as the index holds them, before they
// are given slots.
type analysedDoc struct {
	items []item
	// stems are the document's terms; terms[i][j] is the index in stems of
	// items[i].terms[j], so that each term's posting list is looked up once
	// per document rather than once per chunk.
	stems []string
	terms [][]int32
	// freqs[i][j] is the frequency of items[i].terms[j].
	freqs [][]float32
	// grams counts, per trigram, the document's chunks that hold it.
	grams map[gram]int32
	// hi, lo and scales are the chunks' vectors quantised (nil: quantised
	// when indexed), chunk i's codes at [i×dims, (i+1)×dims).
	hi     []int8
	lo     []uint8
	scales []float32
}

// quantise makes the chunks' vector codes ahead of putAnalysed, which
// runs under the index's lock, one document after another.
func (a *analysedDoc) quantise(dims int, chunks []store.Chunk) {
	a.hi, a.lo, a.scales = make([]int8, len(chunks)*dims), make([]uint8, len(chunks)*dims), make([]float32, len(chunks))
	for i, c := range chunks {
		a.scales[i] = quantise(c.Embedding, a.hi[i*dims:(i+1)*dims], a.lo[i*dims:(i+1)*dims])
	}
}

// analyse derives the items of a document's chunks.
func (ix *Index) analyse(doc store.Document, chunks []store.Chunk) *analysedDoc {
	a := &analysedDoc{items: make([]item, len(chunks)), terms: make([][]int32, len(chunks)), freqs: make([][]float32, len(chunks)), grams: map[gram]int32{}}
	dict := map[string]int32{}
	for i, c := range chunks {
		it := &a.items[i]
		*it = item{kind: KindChunk, id: c.ID, docID: doc.ID, source: doc.Filename, page: c.Page, heading: c.Heading, text: c.Text, ordinal: c.Ordinal}
		tf := ix.termFreqs(c.Heading, c.Text, it)
		slices.Sort(it.terms)
		a.terms[i], a.freqs[i] = make([]int32, len(it.terms)), make([]float32, len(it.terms))
		for j, t := range it.terms {
			k, ok := dict[t]
			if !ok {
				k = int32(len(a.stems))
				dict[t] = k
				a.stems = append(a.stems, t)
			}
			a.terms[i][j], a.freqs[i][j] = k, tf[t]
		}
		for g := range gramCounts(it.gramText()) {
			a.grams[g]++
		}
	}
	if len(a.items) > 1 && allSameHeading(chunks) && !IsQuestion(chunks[0].Heading) {
		// One heading over every passage is the document's name, not a
		// description of each passage; unless it is a question, whose
		// answer runs over several passages (a FAQ entry per file).
		for i := range a.items {
			a.items[i].titled = false
		}
	}
	return a
}

// putAnalysed indexes a document's analysed chunks, replacing any it had;
// chunks supply the vectors.
func (ix *Index) putAnalysed(doc store.Document, chunks []store.Chunk, a *analysedDoc) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeDocumentLocked(doc.ID)
	slots := make([]int32, len(chunks))
	postings := make([]*posting, len(a.stems))
	for i := range chunks {
		slot := ix.placeLocked(a.items[i])
		if a.scales != nil {
			d := ix.dims
			ix.vec.setCodes(slot, a.hi[i*d:(i+1)*d], a.lo[i*d:(i+1)*d], a.scales[i])
		} else {
			ix.vec.set(slot, chunks[i].Embedding)
		}
		for j, k := range a.terms[i] {
			p := postings[k]
			if p == nil {
				p = ix.postingLocked(a.stems[k])
				postings[k] = p
			}
			p.slots = append(p.slots, slot)
			p.tfs = append(p.tfs, a.freqs[i][j])
		}
		slots[i] = slot
	}
	for g, n := range a.grams {
		ix.gramDF[g] += n
	}
	ix.docs[doc.ID] = slots
}

// indexFormat is the version of the encoding; the analysis has its own
// fingerprint (analysisVersion).
const indexFormat = "relevo-index-1"

// analysisVersion names what an index of this build derives from text: the
// encoding's version, a digest of the analysis of a sample document and one
// of the analysis's word lists, so any change to the analyser, its lexicons
// or the index's use of them makes older persisted data stale without anyone
// bumping a number.
func (ix *Index) analysisVersion() string {
	doc := store.Document{ID: "d", Filename: "sample.pdf"}
	chunks := []store.Chunk{
		{ID: "1", Heading: "¿Cómo cambio mi contraseña?", Text: "Para cambiar la contraseña, entra en Ajustes › Seguridad y pulsa «Cambiar». Recibirás un correo de confirmación en 5 minutos. ¡Graciaaas!"},
		{ID: "2", Heading: "Shipping and returns", Text: "Orders ship within 2 business days. You can return any item within 30 days; refunds are issued to the original card.\nEnvíos gratis desde 50 €."},
		{ID: "3", Text: "Horario de atención: lunes a viernes de 9:00 a 18:00 (hora de Madrid). Teléfono 900 123 456. ¿Ya lo buscaste y no lo encuentras? Si me equivoqué, avísame."},
	}
	// A FAQ entry whose answer runs over two passages under its question,
	// with the frame words of a question in both.
	faq := []store.Chunk{
		{ID: "4", Heading: "¿Es cierto que se puede pagar en cuotas?", Text: "Sí, creo que es lo más cómodo: puedes pagar en 3 cuotas sin interés."},
		{ID: "5", Heading: "¿Es cierto que se puede pagar en cuotas?", Text: "Aún no aceptamos cuotas con tarjetas de débito; qué pasa si la tarjeta vence: se cobra en la nueva."},
	}
	h := sha256.New()
	h.Write(encodeAnalysed(chunks, ix.analyse(doc, chunks)))
	h.Write(encodeAnalysed(faq, ix.analyse(doc, faq)))
	sum := h.Sum(nil)
	return indexFormat + "-" + ix.an.Language() + "-" + hex.EncodeToString(sum[:8]) + "-" + analysis.LexiconDigest()
}

// encodeAnalysed writes a document's analysis: the chunk ids it was made
// from, a dictionary of the stems, each chunk's derived fields and the
// trigram counts. Terms come sorted, trigrams too, so equal analyses
// encode equally.
func encodeAnalysed(chunks []store.Chunk, a *analysedDoc) []byte {
	var e encoder
	e.uvarint(uint64(len(chunks)))
	for _, c := range chunks {
		e.str(c.ID)
	}
	dict := map[string]int{}
	var stems []string
	stem := func(s string) int {
		i, ok := dict[s]
		if !ok {
			i = len(stems)
			dict[s] = i
			stems = append(stems, s)
		}
		return i
	}
	var body encoder
	for i, it := range a.items {
		body.u32(math.Float32bits(it.length))
		body.bool(it.titled)
		body.uvarint(uint64(len(it.title)))
		for _, t := range it.title {
			body.uvarint(uint64(stem(t.Stem)))
			body.str(t.Word)
			body.u64(math.Float64bits(t.Weight))
		}
		body.uvarint(uint64(len(it.terms)))
		for j, t := range it.terms {
			body.uvarint(uint64(stem(t)))
			body.u32(math.Float32bits(a.freqs[i][j]))
		}
	}
	e.uvarint(uint64(len(stems)))
	for _, s := range stems {
		e.str(s)
	}
	e.b = append(e.b, body.b...)
	grams := make([]gram, 0, len(a.grams))
	for g := range a.grams {
		grams = append(grams, g)
	}
	slices.Sort(grams)
	e.uvarint(uint64(len(grams)))
	prev := gram(0)
	for _, g := range grams {
		e.uvarint(uint64(g - prev))
		e.uvarint(uint64(a.grams[g]))
		prev = g
	}
	return e.b
}

// errStale: persisted analysis made from other chunks.
var errStale = errors.New("persisted analysis is of other chunks")

// decodeAnalysed reads what encodeAnalysed wrote for the document's
// current chunks; errStale when it was made from other chunks.
func decodeAnalysed(doc store.Document, chunks []store.Chunk, data []byte) (*analysedDoc, error) {
	d := decoder{b: data}
	if n := d.uvarint(); n != uint64(len(chunks)) {
		return nil, errStale
	}
	for _, c := range chunks {
		if d.str() != c.ID {
			return nil, errStale
		}
	}
	stems := make([]string, d.count())
	for i := range stems {
		stems[i] = d.str()
	}
	// index reads a stem's index; 0 (with the error noted) when out of
	// range, and stems then has room for it.
	if len(stems) == 0 {
		stems = []string{""}
	}
	index := func() int32 {
		i := d.uvarint()
		if i >= uint64(len(stems)) {
			d.err = errCorrupt
			return 0
		}
		return int32(i)
	}
	stem := func() string { return stems[index()] }
	a := &analysedDoc{items: make([]item, len(chunks)), stems: stems, terms: make([][]int32, len(chunks)), freqs: make([][]float32, len(chunks))}
	// Chunks of one section share a heading, and its trigrams.
	titleGrams := map[string]map[gram]float32{}
	for i, c := range chunks {
		it := &a.items[i]
		*it = item{kind: KindChunk, id: c.ID, docID: doc.ID, source: doc.Filename, page: c.Page, heading: c.Heading, text: c.Text, ordinal: c.Ordinal}
		it.length = math.Float32frombits(d.u32())
		it.titled = d.bool()
		if n := d.count(); n > 0 {
			it.title = make([]analysis.Term, n)
			for j := range it.title {
				it.title[j] = analysis.Term{Stem: stem(), Word: d.str(), Weight: math.Float64frombits(d.u64())}
			}
		}
		n := d.count()
		it.terms, a.terms[i], a.freqs[i] = make([]string, n), make([]int32, n), make([]float32, n)
		for j := range n {
			k := index()
			it.terms[j], a.terms[i][j] = stems[k], k
			a.freqs[i][j] = math.Float32frombits(d.u32())
		}
		if c.Heading != "" {
			g, ok := titleGrams[c.Heading]
			if !ok {
				g = gramCounts(c.Heading)
				titleGrams[c.Heading] = g
			}
			it.titleGrams = g
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	n := d.count()
	a.grams = make(map[gram]int32, n)
	prev := gram(0)
	for range n {
		prev += gram(d.uvarint())
		a.grams[prev] = int32(d.uvarint())
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

var errCorrupt = errors.New("persisted analysis is corrupt")

type encoder struct{ b []byte }

func (e *encoder) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) u32(x uint32)     { e.b = binary.LittleEndian.AppendUint32(e.b, x) }
func (e *encoder) u64(x uint64)     { e.b = binary.LittleEndian.AppendUint64(e.b, x) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(x bool) {
	if x {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// decoder reads what encoder wrote; the first error sticks and later reads
// return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return x
}

// count reads a length, which cannot exceed the bytes left.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n > len(d.b) {
		d.err = errCorrupt
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) str() string { return string(d.take(d.count())) }

func (d *decoder) bool() bool {
	b := d.take(1)
	return b != nil && b[0] == 1
}
