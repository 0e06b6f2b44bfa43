package knowledge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
)

func newTestBase(t *testing.T, files ...string) *Base {
	t.Helper()
	b := New(Options{Language: "es"})
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		in, err := b.Ingest(context.Background(), f, "", data)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func top(t *testing.T, b *Base, q string) Result {
	t.Helper()
	rs, err := b.Search(context.Background(), q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatalf("no results for %q", q)
	}
	return rs[0]
}

func TestSearchFindsThePassageThatAnswers(t *testing.T) {
	b := newTestBase(t, "pagos.md", "acceso.txt")
	tests := []struct {
		name, query, heading string
	}{
		{"plain question", "¿Cómo recupero mi contraseña?", "Recuperar la contraseña"},
		{"no accents, chat spelling", "olvide mi contrasena q hago", "Recuperar la contraseña"},
		{"a typo in a long word", "no me llego la factrua", "Facturación"},
		{"a synonym", "puedo pagar con tarjeta en cuotas", "Medios de pago"},
		{"greeting words do not steer", "hola buenas, como cambio el correo de mi cuenta", "Recuperar la contraseña"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := top(t, b, tt.query)
			if tt.name == "greeting words do not steer" {
				// "Cambiar el correo" sits in the same chunk as the
				// password section in this small file.
				if !slices.Contains([]string{"Recuperar la contraseña", "Cambiar el correo"}, r.Heading) {
					t.Fatalf("top = %q", r.Heading)
				}
				return
			}
			if r.Heading != tt.heading {
				t.Fatalf("top = %q (%.2f), want %q", r.Heading, r.Score, tt.heading)
			}
		})
	}
}

func TestScoresAreConfidencesBetweenZeroAndOne(t *testing.T) {
	b := newTestBase(t, "pagos.md", "acceso.txt")
	good := top(t, b, "¿Aceptan transferencia bancaria como medio de pago?")
	bad, _ := b.Search(context.Background(), "¿Cuál es el horario de la oficina de Santiago?", 1)
	if good.Score <= 0 || good.Score > 1 || good.Lexical > 1 || good.Vector > 1 {
		t.Fatalf("scores out of range: %+v", good)
	}
	if len(bad) > 0 && bad[0].Score >= good.Score/2 {
		t.Fatalf("unrelated question scores %.2f, related %.2f", bad[0].Score, good.Score)
	}
}

func TestLearnedEntriesMatchParaphrasesOfTheirQuestion(t *testing.T) {
	b := newTestBase(t, "pagos.md", "acceso.txt")
	ctx := context.Background()
	e := store.Entry{ID: "e1", Question: "¿Tienen descuentos para estudiantes?", Answer: "Sí: 20% con tu credencial de estudiante vigente.", Learned: true}
	if err := b.PutEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	r := top(t, b, "hay descuento si soy estudiante universitario?")
	if r.Kind != KindEntry || r.ID != "e1" || r.Question != e.Question {
		t.Fatalf("top = %+v, want the learned entry", r)
	}
	b.RemoveEntry("e1")
	if rs, _ := b.Search(ctx, "descuento estudiante", 5); slices.ContainsFunc(rs, func(r Result) bool { return r.ID == "e1" }) {
		t.Fatal("removed entry still found")
	}
}

func TestReplacingADocumentDropsItsOldChunks(t *testing.T) {
	b := New(Options{})
	ctx := context.Background()
	doc := store.Document{ID: "d1", Filename: "a.md"}
	if err := b.PutDocument(ctx, doc, []store.Chunk{{ID: "c1", Text: "El reembolso tarda diez días hábiles."}}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutDocument(ctx, doc, []store.Chunk{{ID: "c2", Text: "Los certificados se descargan desde el perfil."}}); err != nil {
		t.Fatal(err)
	}
	if b.Index().Len() != 1 {
		t.Fatalf("len = %d, want 1", b.Index().Len())
	}
	if rs, _ := b.Search(ctx, "reembolso", 5); len(rs) > 0 && rs[0].Lexical > 0 {
		t.Fatalf("old chunk still matches: %+v", rs[0])
	}
	b.RemoveDocument("d1")
	if b.Index().Len() != 0 {
		t.Fatal("document not removed")
	}
}

func TestIngestRejectsUnreadableFiles(t *testing.T) {
	b := New(Options{})
	_, err := b.Ingest(context.Background(), "scan.pdf", "application/pdf", []byte("%PDF-1.7 not really"))
	if !errors.Is(err, ErrUnreadable) {
		t.Fatalf("err = %v, want ErrUnreadable", err)
	}
}

func TestConcurrentSearchesAndWrites(t *testing.T) {
	b := newTestBase(t, "pagos.md", "acceso.txt")
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i%2 == 0 {
					_ = b.PutEntry(ctx, store.Entry{ID: fmt.Sprint("e", i, j%3), Question: "¿pregunta?", Answer: "respuesta"})
					continue
				}
				if _, err := b.Search(ctx, "contraseña", 3); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// fakeSource is an in-memory Source with a change log.
type fakeSource struct {
	docs    map[string]store.Document
	chunks  map[string][]store.Chunk
	entries map[string]store.Entry
	log     []store.KnowledgeChange

	mu       sync.Mutex // documents load in parallel
	analyses map[string]store.IndexData
	puts     int // PutDocumentIndex calls
}

func newFakeSource() *fakeSource {
	return &fakeSource{docs: map[string]store.Document{}, chunks: map[string][]store.Chunk{}, entries: map[string]store.Entry{}, analyses: map[string]store.IndexData{}}
}

func (f *fakeSource) DocumentIndex(_ context.Context, id string) (store.IndexData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.analyses[id]
	if !ok {
		return d, store.ErrNotFound
	}
	return d, nil
}

func (f *fakeSource) PutDocumentIndex(_ context.Context, id string, d store.IndexData) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.docs[id]; !ok {
		return store.ErrNotFound
	}
	f.analyses[id] = d
	f.puts++
	return nil
}

func (f *fakeSource) change(kind, id string, deleted bool) {
	f.log = append(f.log, store.KnowledgeChange{Sequence: int64(len(f.log) + 1), Kind: kind, ID: id, Deleted: deleted})
}

func (f *fakeSource) putDoc(in Ingested) {
	f.docs[in.Document.ID] = in.Document
	f.chunks[in.Document.ID] = in.Chunks
	f.change("document", in.Document.ID, false)
}

func (f *fakeSource) GetDocument(_ context.Context, id string) (store.Document, error) {
	d, ok := f.docs[id]
	if !ok {
		return d, store.ErrNotFound
	}
	return d, nil
}

func (f *fakeSource) ListDocuments(_ context.Context, limit int, cursor string) ([]store.Document, string, error) {
	var ids []string
	for id := range f.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []store.Document
	for _, id := range ids {
		if id > cursor && len(out) < limit {
			out = append(out, f.docs[id])
		}
	}
	next := ""
	if len(out) == limit {
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

func (f *fakeSource) DocumentChunks(_ context.Context, id string) ([]store.Chunk, error) {
	return f.chunks[id], nil
}

func (f *fakeSource) GetEntry(_ context.Context, id string) (store.Entry, error) {
	e, ok := f.entries[id]
	if !ok {
		return e, store.ErrNotFound
	}
	return e, nil
}

func (f *fakeSource) ListEntries(_ context.Context, ef store.EntryFilter) ([]store.Entry, string, error) {
	var out []store.Entry
	for _, e := range f.entries {
		if ef.Status == "" || e.Status == ef.Status || (ef.Status == store.EntryLive && e.Status == "") {
			out = append(out, e)
		}
	}
	return out, "", nil
}

func (f *fakeSource) KnowledgeChanges(_ context.Context, after int64, limit int) ([]store.KnowledgeChange, error) {
	var out []store.KnowledgeChange
	for _, c := range f.log {
		if c.Sequence > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeSource) LastKnowledgeSequence(context.Context) (int64, error) {
	return int64(len(f.log)), nil
}

func TestLoadAndSyncFollowTheStore(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	ingester := New(Options{})
	data, _ := os.ReadFile(filepath.Join("testdata", "pagos.md"))
	in, err := ingester.Ingest(ctx, "pagos.md", "", data)
	if err != nil {
		t.Fatal(err)
	}
	src.putDoc(in)
	src.entries["e1"] = store.Entry{ID: "e1", Question: "¿Emiten certificados?", Answer: "Sí, al aprobar el curso."}
	src.change("entry", "e1", false)

	b := New(Options{})
	if err := b.Load(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got := b.Index().Len(); got != len(in.Chunks)+1 {
		t.Fatalf("loaded %d items, want %d", got, len(in.Chunks)+1)
	}
	if b.LastSequence() != 2 {
		t.Fatalf("last sequence = %d", b.LastSequence())
	}

	// Changes after the load: an entry edited, the document deleted.
	src.entries["e1"] = store.Entry{ID: "e1", Question: "¿Emiten diplomas?", Answer: "Sí."}
	src.change("entry", "e1", false)
	delete(src.docs, in.Document.ID)
	src.change("document", in.Document.ID, true)
	if err := b.Sync(ctx, src); err != nil {
		t.Fatal(err)
	}
	if b.Index().Len() != 1 {
		t.Fatalf("after sync: %d items, want 1", b.Index().Len())
	}
	if r := top(t, b, "diplomas"); r.Question != "¿Emiten diplomas?" {
		t.Fatalf("entry not updated: %+v", r)
	}
	// Replaying the log changes nothing.
	if err := b.Apply(ctx, src, src.log); err != nil || b.Index().Len() != 1 {
		t.Fatalf("replay: err=%v len=%d", err, b.Index().Len())
	}
}

func TestEntriesAnswerOnlyWhileLive(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	question := "¿Puedo pagar la matrícula desde Perú con transferencia?"
	src.entries["e1"] = store.Entry{ID: "e1", Question: question, Answer: "Sí, con transferencia internacional.", Status: store.EntryPending}
	src.change("entry", "e1", false)
	src.entries["e2"] = store.Entry{ID: "e2", Question: "¿Emiten certificados?", Answer: "Sí.", Status: store.EntryRejected}
	src.change("entry", "e2", false)

	b := New(Options{})
	if err := b.Load(ctx, src); err != nil {
		t.Fatal(err)
	}
	if n := b.Index().Len(); n != 0 {
		t.Fatalf("loaded %d items from a pending and a rejected entry, want none", n)
	}
	// A change that leaves the entry pending (an edit) keeps it out.
	if err := b.Apply(ctx, src, src.log); err != nil || b.Index().Len() != 0 {
		t.Fatalf("apply of pending entries: err=%v len=%d", err, b.Index().Len())
	}

	// Approval is a change like any other: the entry answers from then on.
	e := src.entries["e1"]
	e.Status = store.EntryLive
	src.entries["e1"] = e
	src.change("entry", "e1", false)
	if err := b.Sync(ctx, src); err != nil {
		t.Fatal(err)
	}
	if r := top(t, b, "pagar matrícula desde Perú por transferencia"); r.ID != "e1" {
		t.Fatalf("approved entry not searchable: %+v", r)
	}

	// An entry put back under review (or rejected) leaves the index.
	e.Status = store.EntryRejected
	src.entries["e1"] = e
	src.change("entry", "e1", false)
	if err := b.Sync(ctx, src); err != nil {
		t.Fatal(err)
	}
	if n := b.Index().Len(); n != 0 {
		t.Fatalf("rejected entry still indexed (%d items)", n)
	}
}

func TestStoredEmbeddingsOfAnotherModelAreRecomputed(t *testing.T) {
	b := New(Options{})
	ctx := context.Background()
	chunk := store.Chunk{ID: "c1", Text: "Los certificados se descargan desde el perfil.", Embedding: []float32{1, 0}, EmbeddingModel: "old"}
	if err := b.PutDocument(ctx, store.Document{ID: "d", Filename: "c.md"}, []store.Chunk{chunk}); err != nil {
		t.Fatal(err)
	}
	if r := top(t, b, "descargar certificados perfil"); r.Vector == 0 {
		t.Fatalf("vector score 0: stale embedding was used: %+v", r)
	}
}

// TestTheSameTextRanksTheSameOnEveryBuild: two copies of one passage (a FAQ
// entry uploaded twice) tie exactly, and the tie goes the same way on every
// build of the index, so a question always gets the same answer.
func TestTheSameTextRanksTheSameOnEveryBuild(t *testing.T) {
	entry := "# ¿Por qué se culpa a ciertos grupos?\n\nEl miedo y la ansiedad pueden llevar al estigma social hacia personas que estuvieron en cuarentena. El estigma se asocia a la falta de información sobre cómo se propaga la enfermedad, la necesidad de culpar a alguien y los rumores.\n"
	other := "# ¿Cómo se propaga?\n\nSe propaga por gotitas al toser o estornudar y al tocar superficies contaminadas.\n"
	build := func() []string {
		b := New(Options{Language: "es"})
		for name, text := range map[string]string{"a-22.md": entry, "a-2.md": entry, "b.md": other} {
			in, err := b.Ingest(t.Context(), name, "", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Put(t.Context(), in); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := b.Search(t.Context(), "¿por qué la gente culpa a los que estuvieron en cuarentena?", 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s %.17g", r.Source, r.Score))
		}
		return got
	}
	want := build()
	if len(want) < 2 || !strings.HasPrefix(want[0], "a-2.md ") || !strings.HasPrefix(want[1], "a-22.md ") ||
		strings.TrimPrefix(want[0], "a-2.md ") != strings.TrimPrefix(want[1], "a-22.md ") {
		t.Fatalf("the two copies do not tie exactly, first by name: %q", want)
	}
	for range 10 {
		if got := build(); !slices.Equal(got, want) {
			t.Fatalf("another build ranks differently:\n got %q\nwant %q", got, want)
		}
	}
}

// TestAnAnswerOverSeveralPassagesKeepsItsQuestionAsTitle: a FAQ entry per
// file whose answer is cut into passages keeps its question as the title of
// each, so a passage of a long answer that mentions a topic in passing
// does not outrank the entry whose question is that topic.
func TestAnAnswerOverSeveralPassagesKeepsItsQuestionAsTitle(t *testing.T) {
	long := "# ¿Debo usar mascarilla?\n\n" +
		strings.Repeat("La población general sana no necesita utilizar mascarillas si no presenta síntomas respiratorios. ", 8) + "\n\n" +
		strings.Repeat("Las existencias de mascarillas se agotan y conviene no derrocharlas. ", 4) + "\n\n" +
		"Las medidas más eficaces para protegerse son lavarse las manos con frecuencia y mantener la distancia.\n"
	files := map[string]string{
		"mascarilla.md": long,
		"manos.md":      "# ¿Por qué lavarse las manos?\n\nLa higiene de las manos es la medida más importante para evitar infecciones.\n",
		"sintomas.md":   "# ¿Cuáles son los síntomas?\n\nFiebre, tos seca y cansancio.\n",
	}
	b := New(Options{Language: "es"})
	for name, text := range files {
		in, err := b.Ingest(t.Context(), name, "", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if name == "mascarilla.md" && len(in.Chunks) < 2 {
			t.Fatalf("the long answer is %d passage(s); the test needs it cut", len(in.Chunks))
		}
		if err := b.Put(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	if r := top(t, b, "¿cómo me lavo las manos?"); r.Source != "manos.md" {
		t.Fatalf("top = %s (%.2f) %q, want manos.md", r.Source, r.Score, r.Text)
	}
}

func TestAWordTheBaseWritesAsANameIsReadAsOne(t *testing.T) {
	t.Parallel()
	b := New(Options{Language: "es"})
	docs := map[string]string{
		"sucursales.md": "# Sucursales\n\nTenemos sucursales en Providencia y Puente Alto. Todas atienden de lunes a viernes.\n",
		"domicilio.md":  "# Retiro a domicilio\n\nRetiramos paquetes a domicilio en Providencia. El retiro cuesta $3.000.\n",
		"planes.md":     "# Planes\n\nEl plan Cel Medio cuesta $9.990. El plan Cel Plus cuesta $14.990. El envío es alto en regiones.\n",
		"app.md": "# App\n\n## Qué es\n\nLa app se llama Pakete y sirve para seguir tus envíos.\n\n## Descargas\n\nLas etiquetas descargadas se guardan 30 días en el teléfono.\n\n" +
			"## Cuenta\n\nEn Pakete usas la misma cuenta de la web.\n",
	}
	for name, body := range docs {
		in, err := b.Ingest(context.Background(), name, "", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	names := func(q, source string) map[string]bool {
		rs, err := b.Search(context.Background(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Source == source {
				return r.Names
			}
		}
		t.Fatalf("%q: no result from %s", q, source)
		return nil
	}
	// Typed in lower case, "puente" is the place the base names, against
	// the passage of another document.
	if n := names("retiran a domicilio en puente alto?", "domicilio.md"); !n["puente"] {
		t.Errorf("puente: got names %v, want it read as a name", n)
	}
	// A name most passages of a document write is what the document
	// speaks of, in its passages that do not repeat it.
	if n := names("las etiquetas descargadas en pakete cuantos dias se guardan", "app.md"); n["pakete"] {
		t.Errorf("pakete in its own document: got names %v", n)
	}
	// "alto" is also written in lower case: an ordinary word.
	if n := names("retiran a domicilio en puente alto?", "domicilio.md"); n["alto"] {
		t.Errorf("alto: got names %v, want an ordinary word", n)
	}
	// "medio" is one word of a name of two ("Cel Medio"): alone it is the
	// word, with "cel" the plan.
	if n := names("puedo retirar a domicilio un paquete de tamaño medio?", "domicilio.md"); n["medio"] {
		t.Errorf("medio alone: got names %v, want an ordinary word", n)
	}
	if n := names("retiran a domicilio si tengo el cel medio?", "domicilio.md"); !n["medio"] {
		t.Errorf("cel medio: got names %v, want medio read as a name", n)
	}
}
