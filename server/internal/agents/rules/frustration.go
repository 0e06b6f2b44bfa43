package rules

import (
	"strings"
	"unicode"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Weights of the signs of frustration Frustration reads.
const (
	weightInsult    = 2 // "porquería", "useless"
	weightComplaint = 2 // "no sirve", "you don't understand"
	weightShouting  = 1 // all caps
	weightRepeated  = 1 // "??", "!!!"
)

// insults are folded words that, in a support chat, say the customer has
// had enough (Spanish and English).
var insults = setOf(
	"porqueria", "mierda", "basura", "estupido", "estupida", "inutil", "inutiles", "idiota", "idiotas",
	"pesimo", "pesima", "harto", "harta", "hartos", "verguenza", "ridiculo", "ridicula", "asco", "malisimo",
	"useless", "stupid", "crap", "garbage", "idiot", "idiots", "awful", "ridiculous", "pathetic", "sucks",
	"worst", "rubbish", "joke",
)

// complaints are folded phrases that say the bot is not helping.
var complaints = []string{
	"no sirve", "no sirves", "no sirven", "no funciona nada", "no me ayuda", "no me ayudas", "no me ayudan",
	"no entiendes", "no me entiendes", "no entiende", "ya te dije", "ya lo dije", "otra vez lo mismo",
	"siempre lo mismo", "me repites", "no me sirve",
	"not helpful", "doesn t help", "does not help", "doesnt help", "no help", "you don t understand",
	"you do not understand", "dont understand me", "already told you", "same answer", "fed up", "waste of time",
	"not what i asked",
}

// Frustration weighs the signs of frustration in a customer's turn and
// names them: insults and complaints about the bot, shouting in capitals,
// repeated question or exclamation marks.
func Frustration(text string) (weight int, signs []string) {
	w := analysis.Words(text)
	for _, x := range w {
		if insults[x] {
			weight += weightInsult
			signs = append(signs, "insult: "+x)
		}
	}
	joined := " " + strings.Join(w, " ") + " "
	for _, c := range complaints {
		if strings.Contains(joined, " "+c+" ") {
			weight += weightComplaint
			signs = append(signs, "complaint: "+c)
		}
	}
	if shouting(text) {
		weight += weightShouting
		signs = append(signs, "all caps")
	}
	if strings.Contains(text, "??") || strings.Contains(text, "!!") || strings.Contains(text, "¿¿") || strings.Contains(text, "¡¡") {
		weight += weightRepeated
		signs = append(signs, "repeated ?/!")
	}
	return weight, signs
}

// shouting: at least eight letters, nearly all of them capitals.
func shouting(text string) bool {
	letters, upper := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 8 && upper*10 >= letters*9
}
