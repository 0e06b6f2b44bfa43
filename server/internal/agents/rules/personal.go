package rules

import (
	"strings"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Personal says whether a ticket's question and its answer concern one
// customer only, so that the answer must never be learned, and why. It is
// the one rule for "personal", applied when a ticket opens (answer empty)
// and again when it is answered, whatever route the conversation took to
// a person: a request for a person, an appointment, money back, the
// customer's own records, or their case under their full name; or an
// answer that reports what was done about this customer's case ("ya
// procesamos tu reembolso", "revisé tu cuenta").
func Personal(question, answer string) (bool, string) {
	if why := needsPerson(analysis.Words(question)); why != "" {
		return true, why
	}
	// An analyser is built only for a message that gives a full name and
	// goes on with "me …", the one reading that needs it (building one
	// costs milliseconds; most tickets never get there).
	topic := func(w []string) bool { return namesATopic(analysis.New("es"), w) }
	if namesTheUsersCase(topic, question, analysis.Words(question)) {
		// "soy Camila Rojas, ¿qué nota me saqué?", "a nombre de Carlos
		// Pineda, ¿ya está lista?": the answer is hers or his alone.
		return true, "the customer gives their full name about their own case"
	}
	if answer != "" && reportsOnACase(analysis.Words(answer)) {
		return true, "the answer reports on this customer's own case"
	}
	return false, ""
}

// caseVerbs are what support does about one customer's case, in the past
// or in progress; followed within a few words by a second-person
// possessive and a record noun ("procesamos tu reembolso"), they make an
// answer about that case rather than a general one.
var caseVerbs = words("revise", "revisamos", "revisado", "procese", "procesamos", "procesado", "envie", "enviamos", "enviado",
	"devolvimos", "devuelto", "reembolsamos", "reembolsado", "active", "activamos", "activado", "corregimos", "corregido",
	"cancelamos", "cancelado", "anulamos", "anulado", "actualizamos", "actualizado", "escribi", "escribimos", "verifique", "verificamos",
	"verificado", "cargamos", "cargado", "acreditamos", "acreditado", "liberamos", "liberado", "gestionamos", "gestionado", "ingresamos", "ingresado",
	"checked", "processed", "sent", "refunded", "activated", "fixed", "cancelled", "canceled", "updated", "verified", "credited", "reviewed", "wrote")

var yourWords = words("tu", "tus", "su", "sus", "te", "le", "your", "you")

func reportsOnACase(w []string) bool {
	for i, x := range w {
		if !caseVerbs[x] {
			continue
		}
		for j := i + 1; j < len(w) && j <= i+4; j++ {
			if yourWords[w[j]] {
				for k := j + 1; k < len(w) && k <= j+2; k++ {
					if recordNouns[w[k]] {
						return true
					}
				}
				if w[j] == "te" || w[j] == "you" {
					return true
				}
			}
		}
	}
	joined := " " + strings.Join(w, " ") + " "
	for _, p := range []string{" en tu caso ", " in your case ", " tu caso ", " your case "} {
		if strings.Contains(joined, p) {
			return true
		}
	}
	return false
}
