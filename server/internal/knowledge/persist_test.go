package knowledge

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
)

// loadedSource is a store holding two uploaded files and a synthetic
// document of many chunks.
func loadedSource(t *testing.T) *fakeSource {
	t.Helper()
	ctx := context.Background()
	src := newFakeSource()
	ingester := New(Options{Language: "es"})
	for _, name := range []string{"pagos.md", "acceso.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		in, err := ingester.Ingest(ctx, name, "", data)
		if err != nil {
			t.Fatal(err)
		}
		src.putDoc(in)
	}
	chunks, _ := synthCorpus(300)
	for i := range chunks {
		chunks[i].Heading = fmt.Sprint("Sección ", i/10)
		embedOnce(t, ingester, &chunks[i])
	}
	src.putDoc(Ingested{Document: store.Document{ID: "synthetic", Filename: "synthetic.md"}, Chunks: chunks})
	return src
}

// embedOnce stores the chunk's vector as an upload would, so that every
// load reads the same one.
func embedOnce(t *testing.T, b *Base, c *store.Chunk) {
	v, err := b.Embedder().Embed(context.Background(), []string{chunkEmbedText(*c)})
	if err != nil {
		t.Fatal(err)
	}
	c.Embedding, c.EmbeddingModel = v[0], b.Embedder().Model()
}

func loadBase(t *testing.T, src *fakeSource) *Base {
	t.Helper()
	b := New(Options{Language: "es"})
	if err := b.Load(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return b
}

// sameIndex fails unless two bases answer every query alike and hold the
// same trigram frequencies.
func sameIndex(t *testing.T, want, got *Base) {
	t.Helper()
	ctx := context.Background()
	_, synthQueries := synthCorpus(300)
	queries := append([]string{"¿cómo pago con tarjeta?", "olvidé mi contraseña", "transferencia bancaria", "acceso a la plataforma"}, synthQueries...)
	for _, q := range queries {
		// One query vector for both: the embedder sums over a map, in no
		// set order, and near ties at the edge of the candidates could
		// then go either way.
		qv, err := want.Embedder().Embed(ctx, []string{q})
		if err != nil {
			t.Fatal(err)
		}
		w, g := want.Index().Search(q, qv[0], 5), got.Index().Search(q, qv[0], 5)
		if !sameResults(w, want.Index().Search(q, qv[0], 5)) {
			// Candidates tied on relevance are ranked in no set order, so
			// only queries one index answers alike every time compare.
			continue
		}
		if !sameResults(w, g) {
			t.Fatalf("query %q:\n got %+v\nwant %+v", q, g, w)
		}
	}
	// Loads keep the store's order: the passages are numbered alike.
	if !reflect.DeepEqual(want.index.items, got.index.items) {
		t.Fatal("the indexes hold different items")
	}
	if !reflect.DeepEqual(want.index.postings, got.index.postings) {
		t.Fatal("the indexes hold different postings")
	}
	if !reflect.DeepEqual(want.index.gramDF, got.index.gramDF) {
		t.Fatalf("trigram frequencies differ: %d trigrams, want %d", len(got.index.gramDF), len(want.index.gramDF))
	}
	if want.index.Len() != got.index.Len() || want.index.totalLen != got.index.totalLen {
		t.Fatalf("index holds %d items of total length %v, want %d of %v", got.index.Len(), got.index.totalLen, want.index.Len(), want.index.totalLen)
	}
}

// sameResults compares hits by id and score; trigram cosines sum over
// maps, in no set order, so scores agree to rounding.
func sameResults(a, b []Result) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || math.Abs(a[i].Score-b[i].Score) > 1e-9 || math.Abs(a[i].Relevance-b[i].Relevance) > 1e-9 {
			return false
		}
	}
	return true
}

func TestARestartReadsThePersistedAnalysisInsteadOfAnalysingAgain(t *testing.T) {
	src := loadedSource(t)
	first := loadBase(t, src)
	if src.puts != len(src.docs) {
		t.Fatalf("the first load persisted %d analyses, want one per document (%d)", src.puts, len(src.docs))
	}
	// Persisted and read back, the analysis gives the same index as
	// analysing the text.
	restarted := loadBase(t, src)
	if src.puts != len(src.docs) {
		t.Fatalf("a restart persisted %d more analyses; it should have read them", src.puts-len(src.docs))
	}
	sameIndex(t, first, restarted)
}

func TestPersistedAnalysisOfOtherChunksOrAnotherVersionIsRecomputed(t *testing.T) {
	src := loadedSource(t)
	loadBase(t, src)
	// The synthetic document is replaced by new chunks (new ids) without
	// its analysis being updated; another document's analysis is of an
	// older version, a third's is damaged.
	chunks, _ := synthCorpus(120)
	for i := range chunks {
		chunks[i].ID = fmt.Sprint("new-", i)
		embedOnce(t, New(Options{Language: "es"}), &chunks[i])
	}
	src.chunks["synthetic"] = chunks
	var others []string
	for id := range src.docs {
		if id != "synthetic" {
			others = append(others, id)
		}
	}
	old := src.analyses[others[0]]
	old.Version = "relevo-index-0"
	src.analyses[others[0]] = old
	damaged := src.analyses[others[1]]
	damaged.Data = damaged.Data[:len(damaged.Data)/2]
	src.analyses[others[1]] = damaged
	puts := src.puts

	got := loadBase(t, src)
	if src.puts-puts != 3 {
		t.Errorf("%d analyses persisted again, want 3", src.puts-puts)
	}
	// Compared with analysing everything afresh.
	fresh := newFakeSource()
	fresh.docs, fresh.chunks = src.docs, src.chunks
	sameIndex(t, loadBase(t, fresh), got)
}

func TestTheAnalysisVersionFollowsTheAnalysis(t *testing.T) {
	es, en := New(Options{Language: "es"}), New(Options{Language: "en"})
	if es.version == "" || es.version == en.version {
		t.Fatalf("versions %q (es) and %q (en)", es.version, en.version)
	}
	if again := New(Options{Language: "es"}); again.version != es.version {
		t.Fatalf("version not deterministic: %q, then %q", es.version, again.version)
	}
}

func FuzzDecodeAnalysed(f *testing.F) {
	ix := New(Options{Language: "es"}).Index()
	doc := store.Document{ID: "d", Filename: "f.md"}
	chunks := []store.Chunk{{ID: "a", Heading: "¿Cómo pago?", Text: "Con tarjeta o transferencia."}, {ID: "b", Text: "Horario de 9 a 18."}}
	f.Add(encodeAnalysed(chunks, ix.analyse(doc, chunks)))
	f.Add([]byte{2, 1, 'a', 1, 'b', 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeAnalysed(doc, chunks, data)
		if err == nil && len(a.items) != len(chunks) {
			t.Fatalf("decoded %d items for %d chunks", len(a.items), len(chunks))
		}
	})
}
