// Package analysis turns Spanish and English text into search terms: it
// lower-cases, folds accents, expands the abbreviations people type on
// WhatsApp, drops stop words and stems with Snowball. The same analysis runs
// on documents and on queries, so "contraseña", "Contrasena" and
// "contraseñas" meet on one term.
package analysis

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/spanish"
)

// Term is one analysed word of a text.
type Term struct {
	// Stem is the indexed form.
	Stem string
	// Word is the folded surface form the stem came from, kept for typo
	// matching and n-gram features.
	Word string
	// Weight is 1 for content words and LowInfoWeight for words that frame a
	// question ("puedo", "necesito", "please") rather than name its topic.
	Weight float64
}

// LowInfoWeight is the weight of question-frame words. They still count, so
// "¿puedo pagar con tarjeta?" prefers a passage about paying with a card,
// but they cannot carry a match on their own.
const LowInfoWeight = 0.3

// Alt is an alternative stem that also matches a query term, with the factor
// its match is worth (synonyms less than the word itself).
type Alt struct {
	Stem   string
	Factor float64
}

// QueryTerm is a term of a query with the alternatives that also match it.
type QueryTerm struct {
	Term
	Alts []Alt
}

// SynonymFactor is what a match through a synonym is worth relative to the
// word itself.
const SynonymFactor = 0.85

// Analyzer analyses text in one language. It is safe for concurrent use.
type Analyzer struct {
	lang     string
	stemmer  func(string) string
	cache    sync.Map // folded word -> stem
	lowInfo  map[string]bool
	synonyms map[string][]string // stem -> other stems of its group
}

// New returns an analyzer for lang ("es" or "en"; anything else is treated
// as Spanish, the product's default language).
func New(lang string) *Analyzer {
	a := &Analyzer{lang: lang}
	if lang == "en" {
		a.stemmer = func(w string) string { return english.Stem(w, true) }
	} else {
		a.lang = "es"
		a.stemmer = func(w string) string { return spanish.Stem(w, true) }
	}
	a.lowInfo = make(map[string]bool)
	for _, w := range lowInfoWords {
		a.lowInfo[a.stem(w)] = true
	}
	a.synonyms = make(map[string][]string)
	for _, group := range synonymGroups {
		stems := make([]string, 0, len(group))
		seen := map[string]bool{}
		for _, w := range group {
			s := a.stem(Fold(w))
			if !seen[s] {
				seen[s] = true
				stems = append(stems, s)
			}
		}
		for _, s := range stems {
			for _, o := range stems {
				if o != s && !contains(a.synonyms[s], o) {
					a.synonyms[s] = append(a.synonyms[s], o)
				}
			}
		}
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Language returns the analyzer's language code.
func (a *Analyzer) Language() string { return a.lang }

// Stem returns the stem of one folded word.
func (a *Analyzer) Stem(word string) string { return a.stem(word) }

func (a *Analyzer) stem(word string) string {
	if s, ok := a.cache.Load(word); ok {
		return s.(string)
	}
	s := word
	// Stemmers are built for words; numbers and codes such as "c1do1" pass
	// through unchanged.
	if isAlpha(word) {
		s = Fold(a.stemmer(a.reaccent(word)))
		if a.lang == "es" {
			// Spelling keeps the sound of a -car verb before an e:
			// "equivoqué", "busqué" are "equivocar", "buscar"; and
			// Snowball leaves "bloque" of "bloquea" but "bloqu" of
			// "bloquean".
			if t, ok := strings.CutSuffix(s, "que"); ok && t != "" {
				s = t + "c"
			} else if t, ok := strings.CutSuffix(s, "qu"); ok && t != "" {
				s = t + "c"
			}
		}
	}
	a.cache.Store(word, s)
	return s
}

// reaccent restores the accent of the Spanish suffixes whose stemming rules
// are written with it ("-ción", "-sión"), so that "calificacion" typed
// without accents stems like "calificación".
func (a *Analyzer) reaccent(w string) string {
	if a.lang != "es" {
		return w
	}
	// Attached pronouns after an infinitive ("abrirlos", "pagarla"): the
	// stemmer only removes them in some positions.
	for _, pron := range [...]string{"selos", "selas", "selo", "sela", "los", "las", "les", "nos", "lo", "la", "le", "me", "te", "se"} {
		if base, ok := strings.CutSuffix(w, pron); ok && len(base) >= 4 &&
			(strings.HasSuffix(base, "ar") || strings.HasSuffix(base, "er") || strings.HasSuffix(base, "ir")) {
			w = base
			break
		}
	}
	for _, suf := range [...][2]string{{"cion", "ción"}, {"sion", "sión"}} {
		if strings.HasSuffix(w, suf[0]) {
			return strings.TrimSuffix(w, suf[0]) + suf[1]
		}
	}
	return w
}

func isAlpha(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Terms analyses text for indexing: words in order, stop words removed.
func (a *Analyzer) Terms(text string) []Term {
	words := Words(text)
	for i := 0; i < len(words); i++ {
		if w := words[i]; len(w) < 4 || w[0] < 'a' || w[0] > 'z' || !strings.ContainsAny(w, "0123456789") {
			// Most words hold no digit: spare them the expression.
			continue
		}
		if m := modelCodeRe.FindStringSubmatch(words[i]); m != nil {
			// "lv708", "rf350x": a model code typed without its hyphen or
			// space is the "LV-708", "RF 350X" the documents write. The
			// words themselves stay whole: "HJKL23" is still one plate.
			words = slices.Replace(words, i, i+1, m[1], m[2])
			i++
		}
	}
	terms := make([]Term, 0, len(words))
	for i, w := range words {
		if IsStopWord(w) {
			continue
		}
		s := a.stem(w)
		weight := 1.0
		if a.lowInfo[s] && !(servedFrames[w] && i > 0 && definiteArticles[words[i-1]]) {
			weight = LowInfoWeight
		}
		terms = append(terms, Term{Stem: s, Word: w, Weight: weight})
	}
	return terms
}

// Query analyses a query: like Terms, with repeated words merged and each
// term's synonyms attached as alternatives.
func (a *Analyzer) Query(text string) []QueryTerm {
	terms := a.Terms(text)
	out := make([]QueryTerm, 0, len(terms))
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if seen[t.Stem] {
			continue
		}
		seen[t.Stem] = true
		q := QueryTerm{Term: t}
		if n := a.otherNumber(t.Word); n != "" && n != t.Stem {
			q.Alts = append(q.Alts, Alt{Stem: n, Factor: 1})
		}
		for _, s := range a.synonyms[t.Stem] {
			q.Alts = append(q.Alts, Alt{Stem: s, Factor: SynonymFactor})
		}
		out = append(out, q)
	}
	return out
}

// otherNumber returns the stem of a Spanish noun in the other number
// (plural for a singular ending in a vowel, singular for a plural ending in
// a vowel and "s"), or "". The Snowball stemmer reads some plurals as verb
// forms ("reclamos" as "reclam-amos": "recl"), so the two numbers of one
// noun would not meet; a query word matches both.
func (a *Analyzer) otherNumber(w string) string {
	if a.lang != "es" || len(w) < 4 || !isAlpha(w) {
		return ""
	}
	vowel := func(b byte) bool { return strings.IndexByte("aeiou", b) >= 0 }
	switch n := len(w); {
	case w[n-1] == 's' && vowel(w[n-2]):
		return a.stem(w[:n-1])
	case vowel(w[n-1]):
		return a.stem(w + "s")
	}
	return ""
}

// Words splits text into folded words, with chat abbreviations expanded.
// Stop words are kept.
func Words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		if !roleAcronyms[w] {
			// "coo" is the operations officer, not a stretched "co".
			w = unstretch(w)
		}
		if w != "" && w[0] >= '0' && w[0] <= '9' && w[len(w)-1] > '9' {
			if m := ordinalRe.FindStringSubmatch(w); m != nil {
				// "5to básico", "3ro", "2nd floor" are "5° básico": the
				// number.
				w = m[1]
			}
		}
		if exp, ok := abbreviations[w]; ok {
			out = append(out, exp...)
			return
		}
		out = append(out, w)
	}
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteString(foldRune(unicode.ToLower(r)))
			continue
		}
		flush()
	}
	flush()
	return collapseRoles(out)
}

// collapseRoles writes a spelled-out executive role as its acronym
// ("gerenta de finanzas", "chief financial officer" → "cfo"), in documents
// and questions alike, so that either spelling finds the other.
func collapseRoles(w []string) []string {
	for i := 0; i < len(w); i++ {
		for _, r := range rolePhrases[w[i]] {
			n := len(r.words)
			if i+n <= len(w) && slices.Equal(w[i:i+n], r.words) {
				w = append(w[:i], append([]string{r.acronym}, w[i+n:]...)...)
				break
			}
		}
	}
	return w
}

var ordinalRe = regexp.MustCompile(`^(\d{1,2})(?:ro|ero|er|do|to|vo|mo|no|st|nd|rd|th)$`)

// modelCodeRe: letters and digits run together, as a model code is typed
// ("lv708", "rf350x"); two letters at least, and two digits, so that
// "teach1", "mp3" or "a4" stay one word.
var modelCodeRe = regexp.MustCompile(`^([a-z]{2,})(\d{2,}[a-z]?)$`)

// unstretch undoes the letters people repeat for emphasis on a phone
// ("ayudaaa", "holaa", "muuuy"): a run of three or more letters becomes one,
// and so does a doubled vowel ending a word, which Spanish and English
// words do not end in (save "ee": "cree", "free").
func unstretch(w string) string {
	r := []rune(w)
	out := r[:0]
	for i := 0; i < len(r); {
		j := i
		for j < len(r) && r[j] == r[i] {
			j++
		}
		n := j - i
		if n >= 3 && unicode.IsLetter(r[i]) {
			n = 1
		}
		for range n {
			out = append(out, r[i])
		}
		i = j
	}
	if k := len(out); k > 2 && out[k-1] == out[k-2] && strings.ContainsRune("aiou", out[k-1]) {
		out = out[:k-1]
	}
	return string(out)
}

// Fold lower-cases s and removes diacritics ("Según" → "segun", "ñ" → "n"),
// because people type on phones without accents.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteString(foldRune(unicode.ToLower(r)))
	}
	return b.String()
}

func foldRune(r rune) string {
	if r < utf8.RuneSelf {
		return string(r)
	}
	switch r {
	case 'á', 'à', 'ä', 'â', 'ã', 'å':
		return "a"
	case 'é', 'è', 'ë', 'ê':
		return "e"
	case 'í', 'ì', 'ï', 'î':
		return "i"
	case 'ó', 'ò', 'ö', 'ô', 'õ':
		return "o"
	case 'ú', 'ù', 'ü', 'û':
		return "u"
	case 'ñ':
		return "n"
	case 'ç':
		return "c"
	case 'ß':
		return "ss"
	}
	return string(r)
}

// Foreign reports whether text is written in the other supported language
// than the analyzer's: more of its words are stop words of that language
// alone ("how", "do", "my") than of the analyzer's alone ("cómo", "mi"),
// and at least two. Surface signals (character trigrams, hashed features)
// do not carry across languages; words do, through the bilingual synonym
// groups.
func (a *Analyzer) Foreign(text string) bool {
	own, other := 0, 0
	for _, w := range Words(text) {
		es, en := spanish.IsStopWord(w), english.IsStopWord(w)
		switch {
		case es && !en:
			own++
		case en && !es:
			other++
		}
	}
	if a.lang == "en" {
		own, other = other, own
	}
	// A short question may hold one function word of the other language
	// and none of its own: "is shipping free?".
	return other >= 2 && other > own || other == 1 && own == 0
}

// IsStopWord reports whether a folded word is a Spanish or English function
// word. Both languages are checked: support chats mix them ("mi password
// no funciona").
func IsStopWord(w string) bool {
	if extraStopWords[w] {
		return true
	}
	return spanish.IsStopWord(w) || english.IsStopWord(w)
}
