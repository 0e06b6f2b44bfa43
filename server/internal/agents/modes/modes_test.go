package modes

import (
	"strings"
	"testing"

	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/store"
)

// TestTheModelSeesEntriesLabelledInTheProfilesLanguage: a Q&A entry reaches
// the model as its question and answer, labelled in the company's language.
func TestTheModelSeesEntriesLabelledInTheProfilesLanguage(t *testing.T) {
	t.Parallel()
	for lang, want := range map[string]string{
		"es": "Pregunta: ¿Hay estacionamiento?\nRespuesta: Sí, gratuito para alumnos.",
		"en": "Question: Is there parking?\nAnswer: Yes, free for students.",
	} {
		base := knowledge.New(knowledge.Options{Language: lang})
		q, a := "¿Hay estacionamiento?", "Sí, gratuito para alumnos."
		if lang == "en" {
			q, a = "Is there parking?", "Yes, free for students."
		}
		if err := base.PutEntry(t.Context(), store.Entry{ID: "e1", Question: q, Answer: a, Source: "faq.csv"}); err != nil {
			t.Fatal(err)
		}
		got, err := Searcher{Base: base, Language: lang}.Search(t.Context(), q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !strings.Contains(got[0].Text, want) {
			t.Errorf("%s: passages %+v; want one reading %q", lang, got, want)
		}
	}
}
