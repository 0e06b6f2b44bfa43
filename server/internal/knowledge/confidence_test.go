package knowledge

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
)

// faqBase indexes one FAQ entry per document, as the Markdown FAQs of a
// support site are uploaded.
func faqBase(t *testing.T, entries ...[2]string) *Base {
	t.Helper()
	b := New(Options{Language: "es"})
	ctx := context.Background()
	for i, e := range entries {
		name := fmt.Sprintf("faq-%d.md", i)
		in, err := b.Ingest(ctx, name, "", []byte("# "+e[0]+"\n\n"+e[1]+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var courseFAQ = [][2]string{
	{"¿Cómo descargo el certificado del curso?", "Al aprobar el curso, el certificado se descarga en PDF desde Mis logros."},
	{"¿Cuánto dura un curso?", "Cada curso dura entre 4 y 8 semanas, a tu ritmo."},
	{"¿Puedo pagar el curso en cuotas?", "Sí, con tarjeta de crédito el curso se paga hasta en 6 cuotas."},
	{"¿El curso tiene tutor?", "Cada curso tiene un tutor que responde en el foro en 48 horas."},
	{"¿Cómo me inscribo en un curso?", "Busca el curso en el catálogo y pulsa Inscribirme."},
}

func TestConfidenceFallsForWordsFoundEverywhere(t *testing.T) {
	b := faqBase(t, courseFAQ...)
	specific := top(t, b, "¿cómo descargo mi certificado?")
	vague := top(t, b, "curso")
	if specific.Source != "faq-0.md" {
		t.Fatalf("specific question answered from %s", specific.Source)
	}
	if vague.Specificity >= specific.Specificity {
		t.Fatalf("specificity of a word in every passage %.2f, of a specific question %.2f", vague.Specificity, specific.Specificity)
	}
	if vague.Score >= 0.5 || specific.Score < 0.6 {
		t.Fatalf("confidence: vague %.2f (want < 0.5), specific %.2f (want ≥ 0.6)", vague.Score, specific.Score)
	}
}

func TestConfidenceFallsWhenAnotherDocumentAnswersAsWell(t *testing.T) {
	alone := top(t, faqBase(t, courseFAQ...), "¿cuánto dura el curso?")
	rival := top(t, faqBase(t, append(courseFAQ, [2]string{"¿Cuánto dura el curso intensivo?", "El curso intensivo dura 2 semanas."})...), "¿cuánto dura el curso?")
	if alone.Margin <= rival.Margin {
		t.Fatalf("margin alone %.2f, with a near-duplicate %.2f", alone.Margin, rival.Margin)
	}
	if rival.Score >= alone.Score {
		t.Fatalf("confidence with a near-duplicate in another document %.2f, alone %.2f", rival.Score, alone.Score)
	}
}

func TestChunksOfOneDocumentAreNotRivals(t *testing.T) {
	// The same passages as separate documents compete; as sections of one
	// document, whichever wins the answer comes from that document.
	ctx := context.Background()
	one := New(Options{Language: "es"})
	chunks := []store.Chunk{
		{ID: "a", Ordinal: 0, Heading: "Duración", Text: "Cada curso dura entre 4 y 8 semanas."},
		{ID: "b", Ordinal: 5, Heading: "Duración del intensivo", Text: "El curso intensivo dura 2 semanas."},
	}
	if err := one.PutDocument(ctx, store.Document{ID: "d", Filename: "cursos.md"}, chunks); err != nil {
		t.Fatal(err)
	}
	split := New(Options{Language: "es"})
	for i, c := range chunks {
		if err := split.PutDocument(ctx, store.Document{ID: c.ID, Filename: fmt.Sprint(i, ".md")}, []store.Chunk{c}); err != nil {
			t.Fatal(err)
		}
	}
	q := "¿cuánto dura el curso?"
	if a, b := top(t, one, q), top(t, split, q); a.Score <= b.Score {
		t.Fatalf("one document %.2f, two documents %.2f", a.Score, b.Score)
	}
}

func TestUnknownWordsAreMeasured(t *testing.T) {
	b := faqBase(t, courseFAQ...)
	if r := top(t, b, "¿cuánto dura el curso?"); r.Unknown != 0 {
		t.Fatalf("known words: unknown share %.2f", r.Unknown)
	}
	if r := top(t, b, "¿cuánto dura el curso de paracaidismo?"); r.Unknown <= 0.3 {
		t.Fatalf("a topic the base lacks: unknown share %.2f", r.Unknown)
	}
}

func TestConfidenceGrowsWithEachKindOfEvidence(t *testing.T) {
	base := Confidence(0.5, 0.1, 0.5)
	for name, c := range map[string]float64{
		"more relevance": Confidence(0.7, 0.1, 0.5),
		"a larger lead":  Confidence(0.5, 0.3, 0.5),
		"more specific":  Confidence(0.5, 0.1, 1.5),
	} {
		if c <= base {
			t.Errorf("%s: %.3f, not above %.3f", name, c, base)
		}
	}
	if c := Confidence(1, 1, 10); c <= 0.99 || c > 1 {
		t.Errorf("all evidence: %.3f", c)
	}
	if c := Confidence(0, -1, 0); c >= 0.01 || c < 0 {
		t.Errorf("no evidence: %.3f", c)
	}
}

func TestAStoryOfWordsTheBaseNeverSawSinksNoPassageFurther(t *testing.T) {
	t.Parallel()
	b := faqBase(t, courseFAQ...)
	lexical := func(q string) float64 {
		t.Helper()
		r := top(t, b, q)
		if r.Source != "faq-2.md" {
			t.Fatalf("%q found %s, want the instalments entry", q, r.Source)
		}
		return r.Lexical
	}
	one := lexical("¿puedo pagar el curso en cuotas? dinosaurio")
	three := lexical("¿puedo pagar el curso en cuotas? dinosaurio volcán trompeta")
	six := lexical("¿puedo pagar el curso en cuotas? dinosaurio volcán trompeta submarino canguro pirámide")
	if !(one > three) {
		t.Errorf("lexical score with one unknown word %.3f, with three %.3f: each of the first ones counts", one, three)
	}
	if math.Abs(six-three) > 1e-9 {
		t.Errorf("lexical score with three unknown words %.3f, with six %.3f: past three they share one weight", three, six)
	}
}
