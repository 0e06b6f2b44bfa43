package llm

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The Knowledge model is shown passages with ids (P1, P2, …) and must cite
// the ones it answers from. The ids make the grounding check exact (the
// facts are looked up in the cited passages, not in everything retrieved)
// and are rewritten into the sources' names before the user reads them.

// shownPassage is a passage given to the model, with its id.
type shownPassage struct {
	id string
	Passage
}

// label is how a citation reads for the user: the source, and the page
// when the source has pages.
func (p shownPassage) label() string {
	if p.Page > 0 {
		return fmt.Sprintf("%s, p. %d", p.Source, p.Page)
	}
	return p.Source
}

// evidenceText is what the grounding check compares the answer with: the
// passage as the model read it, source and heading included.
func (p shownPassage) evidenceText() string {
	var b strings.Builder
	b.WriteString(p.Source)
	if p.Page > 0 {
		fmt.Fprintf(&b, " p. %d", p.Page)
	}
	b.WriteString("\n")
	if p.Heading != "" {
		b.WriteString(p.Heading)
		b.WriteString("\n")
	}
	b.WriteString(p.Text)
	return b.String()
}

const idList = `P\d+(?:\s*(?:[,;]|\by\b|\band\b)\s*P\d+)*`

var (
	citationID = regexp.MustCompile(`\bP\d+\b`)
	// bracketed is "[P1]" or "[P1, P2]".
	bracketed = regexp.MustCompile(`\[\s*(` + idList + `)\s*\]`)
	// idRun is a bare list of ids: "P1", "P1 y P3".
	idRun = regexp.MustCompile(`\b` + idList + `\b`)
	// sourceNote is "(Fuente: …)" or "(Source: …)", whatever it names.
	sourceNote = regexp.MustCompile(`(?i)\(\s*(?:fuentes?|sources?)\s*:[^()\n]*\)`)
	// sourceLine is a line that only names sources: "Fuente: a.md".
	sourceLine = regexp.MustCompile(`(?im)^[ \t]*(?:fuentes?|sources?)\s*:.*$`)
)

// citations returns the shown passages a reply cites, in the order shown,
// and the ids it cites that were never shown. A passage is cited by its id
// or, as models sometimes do despite the prompt, by its source's name.
func citations(reply string, shown []shownPassage) (cited []shownPassage, unknown []string) {
	ids := map[string]bool{}
	for _, id := range citationID.FindAllString(reply, -1) {
		ids[id] = true
	}
	lower := strings.ToLower(reply)
	for _, p := range shown {
		if ids[p.id] || (p.Source != "" && strings.Contains(lower, strings.ToLower(p.Source))) {
			cited = append(cited, p)
		}
		delete(ids, p.id)
	}
	for id := range ids {
		unknown = append(unknown, id)
	}
	slices.Sort(unknown)
	return cited, unknown
}

// withoutCitations blanks the citations of a reply, so that the grounding
// check does not read "P2", a file name or a page number as a fact.
func withoutCitations(reply string, shown []shownPassage) string {
	out := bracketed.ReplaceAllString(reply, " ")
	out = sourceNote.ReplaceAllString(out, " ")
	out = sourceLine.ReplaceAllString(out, " ")
	out = citationID.ReplaceAllString(out, " ")
	for _, p := range shown {
		if p.Source != "" {
			out = replaceFold(out, p.Source, " ")
		}
	}
	return out
}

// replaceFold replaces every case-insensitive occurrence of old.
func replaceFold(s, old, repl string) string {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(old))
	return re.ReplaceAllLiteralString(s, repl)
}

// renderCitations rewrites the ids of a reply into the sources' names:
// "[P1]" becomes "(Fuente: precios.md)" and a bare "P1" becomes
// "precios.md". The user never saw the ids.
func renderCitations(reply string, shown []shownPassage, sourceWord string) string {
	byID := make(map[string]shownPassage, len(shown))
	for _, p := range shown {
		byID[p.id] = p
	}
	labels := func(list string) string {
		var out []string
		for _, id := range citationID.FindAllString(list, -1) {
			if p, ok := byID[id]; ok && !slices.Contains(out, p.label()) {
				out = append(out, p.label())
			}
		}
		return strings.Join(out, "; ")
	}
	out := bracketed.ReplaceAllStringFunc(reply, func(m string) string {
		if l := labels(m); l != "" {
			return "(" + sourceWord + ": " + l + ")"
		}
		return m
	})
	out = idRun.ReplaceAllStringFunc(out, func(m string) string {
		if l := labels(m); l != "" {
			return l
		}
		return m
	})
	return out
}

// citedIDs lists the ids of passages.
func citedIDs(ps []shownPassage) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.id
	}
	return ids
}

// sourcesOf lists the distinct sources of passages, in order.
func sourcesOf(ps []shownPassage) []string {
	var out []string
	for _, p := range ps {
		if p.Source != "" && !slices.Contains(out, p.Source) {
			out = append(out, p.Source)
		}
	}
	return out
}
