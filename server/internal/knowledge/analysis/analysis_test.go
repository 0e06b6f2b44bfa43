package analysis

import (
	"slices"
	"strings"
	"testing"
)

func stems(a *Analyzer, text string) string {
	var out []string
	for _, t := range a.Terms(text) {
		out = append(out, t.Stem)
	}
	return strings.Join(out, " ")
}

func TestSpellingsPeopleTypeMeetOnOneTerm(t *testing.T) {
	t.Parallel()
	a := New("es")
	tests := []struct {
		name, a, b string
	}{
		{"accents and case", "Contraseña CALIFICACIÓN", "contrasena calificacion"},
		{"plural and singular", "los cursos", "el curso"},
		{"attached pronoun", "abrirlos", "abrir"},
		{"chat abbreviations", "xq no puedo entrar x la app", "porque no puedo entrar por la app"},
		{"k for que and d for de", "k pasa con el pago d mi curso", "que pasa con el pago de mi curso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if x, y := stems(a, tt.a), stems(a, tt.b); x != y {
				t.Fatalf("%q → %q but %q → %q", tt.a, x, tt.b, y)
			}
		})
	}
}

func TestStopWordsAreDroppedAndFrameWordsWeighLess(t *testing.T) {
	t.Parallel()
	a := New("es")
	terms := a.Terms("¿Qué tengo que hacer para pagar el curso?")
	got := map[string]float64{}
	for _, t := range terms {
		got[t.Word] = t.Weight
	}
	if _, ok := got["que"]; ok {
		t.Errorf("stop word kept: %v", got)
	}
	if got["hacer"] != LowInfoWeight || got["pagar"] != 1 || got["curso"] != 1 {
		t.Errorf("weights = %v", got)
	}
}

func TestQuantifiersAndCommonVerbFormsFrameAQuestion(t *testing.T) {
	t.Parallel()
	a := New("es")
	var words []string
	for _, t := range a.Terms("¿tienen alguna iniciativa con corfo? voy a viajar y sigue igual, the grades aren't showing, the app keeps crashing, can I still get a refund instead, the videos won't load, no veo mis notas, can I get my money back lol, igual me atienden caleta") {
		words = append(words, t.Word)
	}
	want := []string{"iniciativa", "corfo", "viajar", "grades", "showing", "app", "crashing", "refund", "videos", "load", "notas", "money", "back", "atienden"}
	if !slices.Equal(words, want) {
		t.Errorf("terms = %q, want %q", words, want)
	}
}

func TestASpellingChangeKeepsTheVerbsStem(t *testing.T) {
	t.Parallel()
	a := New("es")
	for _, pair := range [][2]string{{"equivoque", "equivocar"}, {"busque", "buscar"}, {"saque", "sacar"}, {"pague", "pagar"}, {"bloquea", "bloquean"}, {"bloqueo", "bloquearon"}} {
		if a.Stem(pair[0]) != a.Stem(pair[1]) {
			t.Errorf("Stem(%q) = %q, Stem(%q) = %q; want one stem", pair[0], a.Stem(pair[0]), pair[1], a.Stem(pair[1]))
		}
	}
}

func TestEnglishCountsMeetTheirSpanishWords(t *testing.T) {
	t.Parallel()
	a := New("es")
	for q, want := range map[string]string{"what's the minimum grade?": "minima", "how many times can I retake it?": "veces", "how many characters?": "caracteres", "change my email address": "direccion",
		"is the live class recorded?": "grabada", "parking": "estacionamiento", "tenemos una pyme": "empresa", "which quality should I pick?": "elige", "an official degree": "titulo", "renew a .com domain": "dominio", "¿se paga aparte?": "adicional"} {
		found := false
		for _, t := range a.Query(q) {
			for _, x := range t.Alts {
				found = found || x.Stem == a.Stem(want)
			}
		}
		if !found {
			t.Errorf("%q: no alternative for %q in %+v", q, want, a.Query(q))
		}
	}
}

func TestQueriesCarrySynonyms(t *testing.T) {
	t.Parallel()
	a := New("es")
	q := a.Query("¿hay app para el celular?")
	alts := map[string]bool{}
	for _, t := range q {
		for _, x := range t.Alts {
			alts[x.Stem] = true
		}
	}
	for _, want := range []string{a.Stem("aplicacion"), a.Stem("movil")} {
		if !alts[want] {
			t.Errorf("alternative %q missing from %+v", want, q)
		}
	}
}

func TestEnglishAnalysis(t *testing.T) {
	t.Parallel()
	a := New("en")
	if got := stems(a, "How do I reset my passwords?"); got != "reset password" {
		t.Fatalf("stems = %q", got)
	}
}

func TestAQueryWordMatchesItsOtherNumber(t *testing.T) {
	t.Parallel()
	a := New("es")
	// The stemmer reads "reclamos" as a verb form ("recl"), away from
	// "reclamo" ("reclam"): a query in either number must find the other.
	if a.Stem("reclamos") == a.Stem("reclamo") {
		t.Skip("the stemmer now conflates the two numbers itself")
	}
	for q, other := range map[string]string{"reclamo": "reclamos", "reclamos": "reclamo"} {
		found := false
		for _, term := range a.Query(q) {
			for _, alt := range term.Alts {
				found = found || alt.Stem == a.Stem(other) && alt.Factor == 1
			}
		}
		if !found {
			t.Errorf("query %q does not match %q (stem %q): %+v", q, other, a.Stem(other), a.Query(q))
		}
	}
}

func TestAQuestionInTheOtherLanguageIsForeign(t *testing.T) {
	t.Parallel()
	es := New("es")
	for text, want := range map[string]bool{
		"is shipping free?":              true,
		"how do I reset my password?":    true,
		"¿el envío es gratis?":           false,
		"mi password no funciona":        false,
		"precio plan pro":                false,
		"¿cuánto cuesta el plan? thanks": false,
	} {
		if got := es.Foreign(text); got != want {
			t.Errorf("Foreign(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestTheLexiconDigestFollowsEveryWordList(t *testing.T) {
	before := LexiconDigest()
	if LexiconDigest() != before {
		t.Fatal("the digest differs between two calls")
	}
	extraStopWords["zzznuevo"] = true
	changed := LexiconDigest()
	delete(extraStopWords, "zzznuevo")
	if changed == before {
		t.Error("a stop word added leaves the digest unchanged")
	}
	if LexiconDigest() != before {
		t.Error("the digest does not come back with the list")
	}
}

func TestASpelledOutExecutiveRoleIsItsAcronym(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"¿cómo se llama la gerenta de finanzas?":   "cfo",
		"quién está a cargo de las finanzas":       "cfo",
		"Who is the chief executive officer?":      "ceo",
		"El gerente general (CEO) es Julián Varas": "ceo",
		"¿quién es el gerente de ventas?":          "gerente",
	} {
		if w := Words(text); !slices.Contains(w, want) {
			t.Errorf("Words(%q) = %q, want %q among them", text, w, want)
		}
	}
	if w := Words("cn quien hablo, me tira error wn"); slices.Contains(w, "cn") || !slices.Contains(w, "con") {
		t.Errorf("chat spelling not expanded: %q", w)
	}
}

// What Words writes for a role it reads back as the same role: text is
// analysed again after small talk is set aside, and "cmo" once expanded
// to the chat spelling of "cómo" turned "head of marketing" into a stop word.
func TestARoleAcronymReadsBackAsItself(t *testing.T) {
	t.Parallel()
	for _, phrases := range rolePhrases {
		for _, r := range phrases {
			once := Words(strings.Join(r.words, " "))
			if again := Words(strings.Join(once, " ")); !slices.Equal(once, again) || !slices.Equal(once, []string{r.acronym}) {
				t.Errorf("Words(%q) = %q, read again %q; want [%s]", strings.Join(r.words, " "), once, again, r.acronym)
			}
		}
	}
}

func TestEnglishHedgesAreNoTopic(t *testing.T) {
	t.Parallel()
	a := New("en")
	var got []string
	for _, t := range a.Terms("Honestly a bit annoyed, I haven't seen my deposit. How long is it actually supposed to take? wat time do quiet hrs start on a fri") {
		got = append(got, t.Word)
	}
	for _, w := range []string{"honestly", "bit", "haven", "actually", "supposed", "wat"} {
		if slices.Contains(got, w) {
			t.Errorf("%q kept as a topic word: %v", w, got)
		}
	}
	for _, w := range []string{"annoyed", "deposit", "quiet"} {
		if !slices.Contains(got, w) {
			t.Errorf("%q dropped: %v", w, got)
		}
	}
	// Chat spellings of "what's" and "phone".
	if got := Words("hey wats the fone number"); !slices.Equal(got, []string{"hey", "whats", "the", "phone", "number"}) {
		t.Errorf("Words(wats the fone number) = %q", got)
	}
}

func TestAFrameWordWithADefiniteArticleIsWhatIsAsked(t *testing.T) {
	t.Parallel()
	a := New("es")
	weight := func(text, word string) float64 {
		for _, t := range a.Terms(text) {
			if t.Word == word {
				return t.Weight
			}
		}
		return 0
	}
	// "una consulta" announces a question; "la consulta" is the
	// appointment whose price is asked.
	if w := weight("hola, una consulta: ¿cuánto cuesta el plan?", "consulta"); w != LowInfoWeight {
		t.Errorf("\"una consulta\" weighs %v; want %v", w, LowInfoWeight)
	}
	if w := weight("¿cuánto cuesta la consulta?", "consulta"); w != 1 {
		t.Errorf("\"la consulta\" weighs %v; want 1", w)
	}
	if w := weight("¿las consultas son gratis?", "consultas"); w != 1 {
		t.Errorf("\"las consultas\" weighs %v; want 1", w)
	}
}

func TestWordsThatAskToBeShownOrToldFrameAQuestion(t *testing.T) {
	t.Parallel()
	a := New("es")
	for _, c := range []struct{ text, frame, topic string }{
		{"Muéstrame los hospitales que atienden", "muestrame", "hospitales"},
		{"¿Qué significa incubación?", "significa", "incubacion"},
		{"Al parecer tengo algunos síntomas", "parecer", "sintomas"},
		{"Pienso que tengo algunos síntomas", "pienso", "sintomas"},
		{"¿Tendré los primeros síntomas?", "tendre", "sintomas"},
		{"Métodos de prevención", "metodos", "prevencion"},
	} {
		got := map[string]float64{}
		for _, t := range a.Terms(c.text) {
			got[t.Word] = t.Weight
		}
		if got[c.frame] != LowInfoWeight || got[c.topic] != 1 {
			t.Errorf("%q: weights %v; want %q framing (%v) and %q the topic", c.text, got, c.frame, LowInfoWeight, c.topic)
		}
	}
}

func TestAModelCodeTypedTogetherIsTheCodeTheDocumentsWrite(t *testing.T) {
	t.Parallel()
	a := New("es")
	stems := func(text string) []string {
		var out []string
		for _, term := range a.Terms(text) {
			out = append(out, term.Stem)
		}
		return out
	}
	if got, want := stems("la lv708 y el rf350x"), stems("la LV-708 y el RF 350X"); !slices.Equal(got, want) {
		t.Errorf("typed together %v, written apart %v: want the same terms", got, want)
	}
	// A name with a digit stays one word.
	if got := stems("la app teach1"); !slices.Contains(got, "teach1") {
		t.Errorf("teach1 split: %v", got)
	}
	// The words themselves stay whole for the rules that read them.
	if w := Words("mi patente es HJKL23"); !slices.Contains(w, "hjkl23") {
		t.Errorf("Words split a plate: %v", w)
	}
}
