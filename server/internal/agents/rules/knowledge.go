package rules

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/ingest"
)

// Searcher finds knowledge-base passages for a query; knowledge.Base is
// one.
type Searcher interface {
	Search(ctx context.Context, query string, limit int) ([]knowledge.Result, error)
}

// Knowledge is the rules implementation of the "Especialista en
// Conocimiento": it answers only when the best passage's confidence
// reaches the profile's answer threshold, extractively, with a citation.
type Knowledge struct {
	p  *agents.Profile
	s  Searcher
	an *analysis.Analyzer
}

// NewKnowledge returns the knowledge agent of the profile over s.
func NewKnowledge(p *agents.Profile, s Searcher) *Knowledge {
	return &Knowledge{p: p, s: s, an: analysis.New(p.Company.Language)}
}

// agreeGap: passages scoring within this of the best one may state the
// same fact; any of them holding what is asked satisfies the decision.
const agreeGap = 0.1

// The decision reads at most decideCandidates results, those within
// candidateGap of the best score.
const (
	decideCandidates = 5
	candidateGap     = 0.5
)

// Maximum length of an extractive answer, in characters: a WhatsApp
// message people read on a phone.
const maxAnswerChars = 700

// Act searches the knowledge base and answers from the best passage, or
// hands off to Human with the best score in the reason. A message that asks
// several questions ("¿cuánto cuesta el despacho? ¿y cuánto demora?") is
// also read question by question: when every one is answered, the answer
// is all of theirs, rather than the part a single search found.
func (k *Knowledge) Act(ctx context.Context, in agents.Input) (agents.Action, error) {
	parts := questionsIn(in.Text)
	if len(parts) < 2 {
		return k.actWhole(ctx, in.Text)
	}
	var all agents.Action
	var replies, reasons []string
	topic, frame := "", ""
	for _, part := range parts {
		if t := k.topicOf(part); t != "" {
			topic = t
		} else {
			// "¿y cuánto demora?" after "¿cuánto cuesta el despacho?"
			// asks about the same thing,
			part += " " + topic
		}
		if f := frameOf(part); f != "" {
			frame = f
		} else if elliptical(part) {
			// and "¿y el armado?" asks the same of another ("¿y aceptan
			// PayPal?" asks its own).
			part = frame + " " + part
		}
		a, err := k.actOne(ctx, part)
		if err != nil {
			return agents.Action{}, err
		}
		if a.Outcome != agents.OutcomeAnswer {
			// Not every question has its answer: the message stands as
			// one, answered or handed off whole.
			return k.actWhole(ctx, in.Text)
		}
		all.Steps = append(all.Steps, a.Steps...)
		body, _, _ := strings.Cut(a.Reply, "\n\n"+k.sourceLabel()+": ")
		// One passage may answer two of the questions, in parts that
		// overlap: the part that holds the other is said once.
		if !slices.ContainsFunc(replies, func(r string) bool { return strings.Contains(r, body) }) {
			replies = slices.DeleteFunc(replies, func(r string) bool { return strings.Contains(body, r) })
			replies = append(replies, body)
		}
		for _, src := range a.Sources {
			if !slices.Contains(all.Sources, src) {
				all.Sources = append(all.Sources, src)
			}
		}
		reasons = append(reasons, a.Reason)
	}
	all.Outcome = agents.OutcomeAnswer
	all.Reply = strings.Join(replies, "\n\n")
	if len(all.Sources) > 0 {
		all.Reply += "\n\n" + k.sourceLabel() + ": " + strings.Join(all.Sources, "; ")
	}
	all.Reason = fmt.Sprintf("answered %d questions: %s", len(parts), strings.Join(reasons, "; "))
	return all, nil
}

func (k *Knowledge) sourceLabel() string {
	if k.lang() == "en" {
		return "Source"
	}
	return "Fuente"
}

// questionsIn splits a message into the questions it asks, at question
// marks: the pieces that hold more than small talk ("Hola, ¿cómo estás?"
// asks nothing of the base). One piece, or none, is the message itself.
func questionsIn(text string) []string {
	var out []string
	pieces := strings.SplitAfter(text, "?")
	if n := len(pieces); n > 1 && !strings.HasSuffix(pieces[n-1], "?") {
		// What follows the last question mark is context for the question
		// before it ("¿Es un error? El video no carga"), not a question.
		pieces[n-2] += pieces[n-1]
		pieces = pieces[:n-1]
	}
	var split []string
	for _, piece := range pieces {
		split = append(split, secondQuestions(piece)...)
	}
	for _, piece := range split {
		w := analysis.Words(piece)
		if _, rest := classify(w); len(rest) == 0 {
			continue
		}
		if !slices.ContainsFunc(w, func(x string) bool { return len([]rune(x)) >= 3 && !analysis.IsStopWord(x) && !edgeFillers[x] }) {
			continue
		}
		out = append(out, piece)
	}
	return out
}

// secondQuestions splits a piece at each question joined to the one before
// by "y" ("¿cuánto cuesta el tag y cuánto se demora en llegar?", "a q correo
// escribo y en cuánto me responden"): only at question words that ask
// whatever their accent ("cuánto", "cuál", "quién", "a qué") or that carry
// it ("cómo", "dónde", "cuándo", "qué"), since "y como no llegó…" and "y
// cuando entro…" tell, not ask.
func secondQuestions(piece string) []string {
	var out []string
	for {
		loc := secondQuestionRe.FindStringIndex(piece)
		if loc == nil || loc[0] == 0 {
			return append(out, piece)
		}
		out = append(out, piece[:loc[0]])
		piece = strings.TrimLeft(piece[loc[0]:], ", ")
	}
}

var secondQuestionRe = regexp.MustCompile(`(?i)(?:,\s*|\s+)(?:y\s+(?:(?:en|hasta|a|de|con|por)\s+)?(?:cu[aá]nt[oa]s?|cu[aá]l(?:es)?|qui[eé]n(?:es)?|cómo|cuándo|dónde|qué|(?:a|en|de|con)\s+(?:que|q))|and\s+(?:how\s+(?:much|many|long)|what|which|who|where))(?:\s|$)`)

// topicOf returns the content words of a question, those that say what it
// is about rather than what it asks ("cuánto", "demora", "precio"), or "".
func (k *Knowledge) topicOf(text string) string {
	var out []string
	for _, t := range k.an.Terms(StripSmallTalk(text)) {
		if t.Weight >= 1 && !questionWords[t.Word] && !kindWords[t.Word] {
			out = append(out, t.Word)
		}
	}
	return strings.Join(out, " ")
}

// frameOf returns the words of a question that say what it asks
// ("cuánto cuesta", "dónde queda"), or "".
func frameOf(text string) string {
	var out []string
	for _, w := range analysis.Words(text) {
		if questionWords[w] || kindWords[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// elliptical reports a question that is only a phrase, with no verb of
// its own: "¿y el armado?", "¿y para regiones?", "and for companies?".
func elliptical(text string) bool {
	w := analysis.Words(text)
	for len(w) > 0 && (w[0] == "y" || w[0] == "e" || w[0] == "o" || w[0] == "and" || w[0] == "or") {
		w = w[1:]
	}
	return len(w) > 0 && (determiners[w[0]] || indefinites[w[0]] || prepositions[w[0]])
}

var prepositions = setOf("de", "del", "para", "en", "con", "a", "al", "por", "sin", "for", "in", "with", "to", "of", "on", "at")

// actWhole answers a message as one question. A message that explains
// itself before asking ("me recetaron un antibiótico hace 2 semanas y recién
// ahora lo voy a comprar, ¿me sirve todavía la receta?") is handed off when
// its context sinks the search; its question read alone is then asked too,
// and its answer taken only when it comes from the passage the whole
// message found: the context agrees on where the answer is, the question
// alone says it is there.
func (k *Knowledge) actWhole(ctx context.Context, text string) (agents.Action, error) {
	act, err := k.actOne(ctx, text)
	if err != nil || act.Outcome == agents.OutcomeAnswer {
		return act, err
	}
	q := withoutContext(text)
	chosen := decidedSource(act)
	if q == "" || chosen == "" {
		return act, nil
	}
	alone, err := k.actOne(ctx, q)
	if err != nil {
		return agents.Action{}, err
	}
	if alone.Outcome != agents.OutcomeAnswer || !k.onlyContext(ctx, text, q, act, alone) {
		return act, nil
	}
	where := "from the passage the whole message found"
	if decidedSource(alone) != chosen {
		if !k.unknownContext(text, q, act) {
			return act, nil
		}
		where = "its context naming nothing the base knows"
	}
	alone.Steps = append(act.Steps, alone.Steps...)
	alone.Reason += fmt.Sprintf("; the question read without its context (%q), %s", q, where)
	return alone, nil
}

// unknownContext reports whether every content word a message says
// besides its question q is one the base never uses ("quién es el CEO? lo
// tengo que poner en un trabajo de la u"): such a context cannot point to
// another passage than the question's own, so the passage the whole
// message found, chosen by those words' noise, need not agree.
func (k *Knowledge) unknownContext(text, q string, whole agents.Action) bool {
	check := decidedCheck(whole)
	if check == nil {
		return false
	}
	rest := StripSmallTalk(strings.Replace(text, q, " ", 1))
	for _, t := range k.an.Terms(rest) {
		if t.Weight >= 1 && !slices.Contains(check.Unknown, t.Word) {
			return false
		}
	}
	return true
}

// onlyContext reports whether what a message says besides its question q
// is context that picks no case: no record number or code, no lettered
// variant, and no word of the base the passage does not cover ("tengo
// tarjeta del banco de Chile, ¿tiene descuento algún día?" asks for that
// bank's discount) unless the context only tells a story around a question
// with one answer ("¿en qué momento se guarda el progreso del curso? a
// veces cierro a la mitad del video"): the question does not point back
// into it, it asks nothing, sets no condition and gives no age, and the
// answer lists no cases or values of which it could pick one.
func (k *Knowledge) onlyContext(ctx context.Context, text, q string, whole, alone agents.Action) bool {
	rest := strings.Replace(text, q, " ", 1)
	check := decidedCheck(whole)
	if check == nil {
		return false
	}
	if slices.ContainsFunc(strings.Fields(rest), func(f string) bool {
		return threeDigits.MatchString(f) || isCode(f) && slices.Contains(check.Unknown, strings.Join(analysis.Words(f), ""))
	}) {
		// "el número de operación es 77812", "el código es HT5W9Z": the
		// user's own record. A code the base writes ("C1DO1") is a name.
		return false
	}
	if len(variantsIn(rest)) > 0 {
		// "soy fonasa tramo A, ¿cuánto me sale el copago?": the user's
		// own case of several.
		return false
	}
	restWords := analysis.Words(rest)
	var named []string
	for _, w := range check.Missing {
		if slices.Contains(restWords, w) && !slices.Contains(check.Unknown, w) {
			named = append(named, w)
		}
	}
	if len(named) == 0 {
		return true
	}
	// The context names words of the base the passage does not cover:
	// they may be the user's case, unless the context only tells a story
	// around a question with one answer.
	body, _, _ := strings.Cut(alone.Reply, "\n\n"+k.sourceLabel()+": ")
	asks := strings.Contains(q, "?") || asksUnmarked(q)
	answer := decidedCheck(alone)
	// Words of the base left unread cost certainty: the question alone
	// must be answered surely.
	sure := answer != nil && answer.Confidence >= k.p.Knowledge.AnswerThreshold+storyMargin
	return asks && sure && !pointsBack(q) && !asksOrConditions(rest) && !listsCases(body) && !k.aboutMore(ctx, text, named, answer)
}

// aboutMore reports a passage of the base that says what the question's
// answer covers and words of the context too: "cambié el correo en mi
// perfil, ¿cuántas horas dura el enlace?" is about the passage on changing
// the email, whatever the one on creating an account says of its link.
func (k *Knowledge) aboutMore(ctx context.Context, text string, named []string, c *agents.AnswerCheck) bool {
	results, err := k.s.Search(ctx, StripSmallTalk(text), max(k.p.Knowledge.TopK, 1))
	if err != nil {
		return true
	}
	terms := k.an.Query(text)
	for _, r := range results {
		if c.Source == r.Source || strings.HasPrefix(c.Source, r.Source+",") {
			// Another part of the answer's own document.
			continue
		}
		covered, _ := k.coverageOf(terms, titleOf(r)+"\n"+r.Text, InfoGeneral)
		if !slices.ContainsFunc(named, func(w string) bool { return slices.Contains(covered, w) }) {
			continue
		}
		if !slices.ContainsFunc(c.Covered, func(w string) bool { return !slices.Contains(covered, w) }) {
			return true
		}
	}
	return false
}

// storyMargin is how much surer than the threshold a question's answer
// must be when the story around it names words of the base the answer
// does not cover. Measured at 0.1: five right answers fewer on the
// adversarial sets and no false answer fewer; with none, English questions
// whose story is their topic ("I'm concerned with my sensitive data being
// in the trello cloud, is there a private option?") were answered from the
// wrong entry at 0.62–0.63.
const storyMargin = 0.05

// pointsBack reports a question that refers to what the message said
// around it: a Spanish demonstrative ("¿puedo pedir reembolso de esa
// boleta?"), or an English pronoun that ends it ("what's the easiest way
// to do that?").
func pointsBack(q string) bool {
	w := analysis.Words(q)
	if slices.ContainsFunc(w, func(x string) bool { return demonstratives[x] }) {
		return true
	}
	return len(w) > 0 && endPronouns[w[len(w)-1]]
}

var (
	demonstratives = setOf("ese", "esa", "esos", "esas", "alla", "alli", "aquel", "aquella", "aquellos", "aquellas")
	endPronouns    = setOf("that", "this", "those", "these", "there", "it", "them")
)

// asksOrConditions reports a context that is part of what is asked: a
// question of its own ("¿y por cuánto tiempo máximo?"), a condition opening
// it ("una vez que aprueban mi propuesta, …") or someone's age ("mi hijo
// tiene 14").
func asksOrConditions(rest string) bool {
	if strings.Contains(rest, "?") {
		return true
	}
	w := analysis.Words(StripSmallTalk(rest))
	if slices.ContainsFunc(w, func(x string) bool { return contextAskers[x] }) {
		return true
	}
	if k := askedKind(w); k != "" && k != InfoGeneral {
		// "…necesito el banco y el número de cuenta": it asks a value.
		return true
	}
	conditional := func(w []string) bool {
		return len(w) >= 2 && (w[0] == "si" || w[0] == "if" || w[0] == "once" || w[0] == "una" && w[1] == "vez" || w[0] == "en" && w[1] == "caso")
	}
	// A leading "si" is also a "yes" that small talk sets aside.
	if conditional(w) || conditional(analysis.Words(rest)) {
		return true
	}
	for i, x := range w {
		if isDigits(x) && (bareAge(w, x) || i+1 < len(w) && (w[i+1] == "anos" || w[i+1] == "years")) {
			return true
		}
	}
	return false
}

// contextAskers are question words that ask even without their mark; not
// "cuando" or "when", which in a story tell as often as they ask.
var contextAskers = setOf("cuanto", "cuanta", "cuantos", "cuantas", "cual", "cuales", "donde", "quien", "how", "what", "which", "where", "who")

// listsCases reports an answer that gives several items or values: which
// of them is the user's may depend on what their context says.
func listsCases(answer string) bool {
	return strings.Count(answer, "•") >= 2 || strings.Count(answer, " · ") >= 2 || len(figureRe.FindAllString(answer, -1)) >= 2
}

// decidedCheck is a run's last decision, or nil.
func decidedCheck(act agents.Action) *agents.AnswerCheck {
	for i := len(act.Steps) - 1; i >= 0; i-- {
		if c := act.Steps[i].Check; c != nil {
			return c
		}
	}
	return nil
}

// decidedSource is the citation of the passage a run's decision chose, or "".
func decidedSource(act agents.Action) string {
	if c := decidedCheck(act); c != nil {
		return c.Source
	}
	return ""
}

// withoutContext returns the question of a message that explains itself
// first: its question sentences, or in one long sentence its last clauses
// ("…, pero mi carnet lo dejé en otra ciudad, ¿puedo hacer la portabilidad
// con el pasaporte?"); "" when the message is its question.
func withoutContext(text string) string {
	q := questionSentences(text)
	if i := unmarkedStart(q); i > 0 {
		// "hola una pregunta media random, quién es el CEO de la
		// empresa?": a question typed without its opening mark starts at
		// the clause that opens with a question word.
		return strings.TrimSpace(q[i:])
	}
	if q != text {
		return q
	}
	if len(strings.Fields(text)) < longQuestionWords {
		return ""
	}
	clauses := strings.Split(text, ",")
	for i := len(clauses) - 1; i > 0; i-- {
		if len(strings.Fields(clauses[i])) >= 4 {
			return strings.TrimSpace(strings.Join(clauses[i:], ","))
		}
	}
	return ""
}

// longQuestionWords is the length from which one sentence carries context
// clauses before what it asks.
const longQuestionWords = 12

// actOne answers one question.
func (k *Knowledge) actOne(ctx context.Context, text string) (agents.Action, error) {
	in := agents.Input{Text: text}
	name := k.p.Knowledge.Name
	query := StripSmallTalk(in.Text)
	results, err := k.s.Search(ctx, query, max(k.p.Knowledge.TopK, 1))
	if err != nil {
		return agents.Action{}, fmt.Errorf("knowledge search: %w", err)
	}
	question := k.readQuestion(query, in.Text)
	asked := question.asked
	searched := query
	if q := withoutUnknownAsides(query, question, results); q != query {
		// Words this base never uses that name the kind asked ("teléfono",
		// "precio": a passage gives a number without saying "teléfono")
		// or say how often the user tried ("me sale error cada vez que
		// intento subir la tarea") only sink the passage that answers:
		// the decision checks that the kind is held, and the tries are
		// the user's story.
		results, err = k.s.Search(ctx, q, max(k.p.Knowledge.TopK, 1))
		if err != nil {
			return agents.Action{}, fmt.Errorf("knowledge search: %w", err)
		}
		searched = q
	}
	step := agents.Step{Agent: name, Kind: "search", Detail: searched}
	for _, r := range results {
		step.Passages = append(step.Passages, agents.Passage{Source: r.Source, Page: r.Page, Score: round3(r.Score), Snippet: snippet(r)})
	}
	act := agents.Action{Steps: []agents.Step{step}}
	threshold := k.p.Knowledge.AnswerThreshold
	if len(results) == 0 {
		act.Handoff, act.Reason = agents.RoleHuman, "no knowledge-base passage matches the question"
		return act, nil
	}
	// Retrieval ranks by what a passage is about; the decision reads the
	// leading candidates for what was asked and takes the one it is most
	// confident answers (usually the first).
	cands := holdersFirst(asked, results, func(r knowledge.Result) bool { return question.holdsAsked(r.Text) })
	if question.owner != "" && asked != InfoGeneral {
		// Whose value: a passage that gives it next to the owner's name
		// ("equipo de soporte en soporte@…") is what was asked; one that
		// gives someone else's address is no rival.
		cands = holdersFirst(asked, cands, func(r knowledge.Result) bool {
			_, near := k.ownersValue(ownTitle(r), r.Text, question.owner, asked)
			return near && question.holdsAsked(r.Text)
		})
	}
	for _, r := range results {
		holds := asked == InfoGeneral || question.holdsAsked(r.Text)
		if holds && asked != InfoGeneral && k.statedTogether(question, r) {
			question.together = append(question.together, r)
		}
		if holds && k.titleAsks(question, r) {
			question.entitled = append(question.entitled, r)
		}
	}
	var top knowledge.Result
	var d Decision
	for i, r := range cands[:min(len(cands), decideCandidates)] {
		if i > 0 && r.Score < cands[0].Score-candidateGap {
			break
		}
		var agreeing []knowledge.Result
		for _, o := range results {
			if o.ID != r.ID && o.Score >= r.Score-agreeGap {
				agreeing = append(agreeing, o)
			}
		}
		c := k.decide(question, r, agreeing, threshold)
		if i == 0 || (c.Held && (!d.Held || c.Owned && !d.Owned || c.Owned == d.Owned && c.Confidence > d.Confidence)) {
			top, d = r, c
		}
	}
	if d.Held && d.Answer && asked != InfoGeneral {
		if other := k.aboutMoreWithoutValue(question, top, d, results); other != "" {
			// "cambié mi correo en mi perfil, ¿cuántas horas tengo para
			// confirmar el correo nuevo?": the passage on changing the email
			// names more of the question and gives no duration; the 48 hours
			// of the one on creating an account are another link's.
			d.Held, d.Answer = false, false
			d.Reason = fmt.Sprintf("a passage about more of the question (%s) gives no %s", other, describeKind(asked))
		}
	}
	// A question for a value is checked against the part of the passage
	// that would answer it.
	var answer string
	if d.Held && question.asked != InfoGeneral {
		answer = k.extract(top, question)
		switch w, n := k.recordWithoutValue(question, top, answer, d.Covered), k.numberOfAnotherRecord(question, top, answer); {
		case w != "":
			// The list item or table row of the thing asked gives no
			// value; the answer part is another item's.
			d.Held, d.Answer = false, false
			d.Reason = fmt.Sprintf("the passage's item on %q does not give %s", w, describeKind(question.asked))
		case n != "":
			// "¿cuánto sale la limpieza profunda de 6 horas?" against a
			// table whose deep-cleaning rows say 5 and 8 hours: the 6 the
			// passage states is another service's row.
			d.Held, d.Answer = false, false
			d.Reason = fmt.Sprintf("the passage states %q in another item than the one that answers the question", n)
		case !question.holdsAsked(answer):
			// The passage holds what was asked, but the part of it that
			// answers the question does not: the price in the passage is
			// another service's ("Medición de glicemia: con hora previa"
			// in a list of services, one of them free), the hours another
			// branch's.
			d.Held, d.Answer = false, false
			d.Reason = fmt.Sprintf("the passage holds %s, but not in the part that answers the question", describeKind(question.asked))
		}
	}
	conf := d.Confidence
	if !d.Held {
		conf = 0
	}
	act.Steps = append(act.Steps, agents.Step{Agent: name, Kind: "decision", Detail: d.String(), Confidence: round3(conf),
		Passages: []agents.Passage{{Source: top.Source, Page: top.Page, Score: round3(top.Score), Snippet: snippet(top)}},
		Check:    d.check(citation(top, k.lang()))})
	if !d.Answer {
		act.Handoff = agents.RoleHuman
		act.Reason = fmt.Sprintf("best knowledge-base match (%s): %s (confidence %.2f, threshold %.2f)", citation(top, k.lang()), d.Reason, d.Confidence, threshold)
		return act, nil
	}
	if answer == "" {
		answer = k.extract(top, question)
	}
	if strings.TrimSpace(answer) == "" {
		// A heading without a body (or an entry without an answer) says
		// nothing to send.
		act.Handoff = agents.RoleHuman
		act.Reason = fmt.Sprintf("best knowledge-base match (%s) has no text to answer with", citation(top, k.lang()))
		return act, nil
	}
	cite := citation(top, k.lang())
	act.Reply = answer
	if cite != "" {
		act.Reply += "\n\n" + k.sourceLabel() + ": " + cite
		act.Sources = []string{cite}
	}
	act.Outcome = agents.OutcomeAnswer
	act.Reason = fmt.Sprintf("answered from %s with confidence %.2f (threshold %.2f)", cite, d.Confidence, threshold)
	return act, nil
}

func (k *Knowledge) lang() string { return k.p.Company.Language }

// holdersFirst returns the candidates for a question that asks for a kind
// of information (a phone, a price): when the best passage does not hold
// it and others do, the passages that only talk about the topic are no
// competition, so the holders are scored against each other alone. A
// passage about updating the app that says "teléfono" is not a rival of the
// contact page that gives the number. For a kind prose seldom holds (an
// email, a phone, a web address, a person's or a brand's name, a street
// address) that is so even when the best passage holds it: the contact page
// that gives the only WhatsApp number is no less sure of it because a
// passage on the app talks about messages. Amounts and durations are in
// most passages of most bases, and one that holds some is no sign it holds
// the one asked.
func holdersFirst(asked InfoKind, results []knowledge.Result, holds func(knowledge.Result) bool) []knowledge.Result {
	if asked == InfoGeneral {
		return results
	}
	var holders []knowledge.Result
	for _, r := range results {
		if holds(r) {
			holders = append(holders, r)
		}
	}
	if len(holders) == 0 || holds(results[0]) && (!rareKinds[asked] || len(holders) == len(results)) {
		return results
	}
	for i := range holders {
		rival := 0.0
		for j, o := range holders {
			if j != i && holders[i].RivalOf(o) {
				rival = max(rival, o.Relevance)
			}
		}
		holders[i].Margin = holders[i].Relevance - rival
		holders[i].Score = knowledge.Confidence(holders[i].Relevance, holders[i].Margin, holders[i].Specificity)
	}
	slices.SortStableFunc(holders, func(a, b knowledge.Result) int { return cmp.Compare(b.Score, a.Score) })
	return holders
}

// rareKinds are the kinds of information few passages hold, so that
// holding one tells a passage apart (holdersFirst).
var rareKinds = map[InfoKind]bool{InfoEmail: true, InfoPhone: true, InfoURL: true, InfoPerson: true, InfoName: true, InfoAddress: true}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

func snippet(r knowledge.Result) string {
	s := r.Text
	if r.Question != "" {
		s = r.Question + " — " + s
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 160 {
		s = string([]rune(s)[:160]) + "…"
	}
	return s
}

// citation names where an answer comes from: "manual.pdf, p. 2",
// "faq.md", or the entry's source.
func citation(r knowledge.Result, lang string) string {
	if r.Kind == knowledge.KindEntry {
		// Learned answers cite the specialists, not the internal source tag.
		if r.Source != "" && !r.Learned {
			return r.Source
		}
		if lang == "en" {
			return "answers from our specialists"
		}
		return "respuestas de nuestros especialistas"
	}
	if r.Page > 0 {
		return fmt.Sprintf("%s, p. %d", r.Source, r.Page)
	}
	return r.Source
}

// nameWeight multiplies, in choosing the answer's sentences, the weight of
// a word the user wrote as a name.
const nameWeight = 2.0

// extract picks the readable part of a passage that answers the query: a
// learned answer as it is; a short passage whole, unless the question asks
// for one kind of item; otherwise the block (a
// paragraph or list item) sharing most weighted words with the query,
// followed by the next block when the best one is a short lead-in (a
// question, a "Problema:" line) whose answer comes after it, trimmed to
// whole sentences.
func (k *Knowledge) extract(r knowledge.Result, question question) string {
	asked := question.asked
	if r.Kind == knowledge.KindEntry {
		return strings.TrimSpace(r.Text)
	}
	text := strings.TrimSpace(r.Text)
	blocks := strings.Split(text, "\n\n")
	// A short passage is read whole, unless the question asks for one item
	// (a phone in a list of contacts) and the passage has several blocks.
	if len(text) <= 450 && asked == InfoGeneral {
		return text
	}
	q := k.an.Query(question.text)
	for i := range q {
		if question.names[q[i].Word] {
			// A name the user wrote picks the line: "de Santiago a
			// Concepción" is the Concepción fare, not another one from
			// Santiago.
			q[i].Weight *= nameWeight
		}
	}
	if len(text) <= 450 && len(blocks) == 1 {
		if len(answerUnits(text)) > 2 {
			return bestSentences(k.an, q, text, kindAnswerChars, asked)
		}
		return text
	}
	owner := question.owner
	// The words naming what is asked ("número", "precio") count only in a
	// block that holds it ("Teléfono: +56 2 …"): a paragraph that says "a
	// este mismo número" gives none.
	about := q
	if kind := wordsOfKind(asked); kind != nil {
		about = slices.DeleteFunc(slices.Clone(q), func(t analysis.QueryTerm) bool { return kind[t.Word] })
	}
	best, bestScore := 0, -1.0
	for i, b := range blocks {
		if opensTable(blocks, i) && i+1 < len(blocks) && isTableRow(blocks[i+1]) {
			// A table's first row names its columns ("Pase · Precio ·
			// Vigencia"): it answers nothing, the rows below it do.
			continue
		}
		s := overlap(k.an, about, b)
		if asked != InfoGeneral && holdsKind(asked, b) {
			// The block that holds what was asked (the price, the phone)
			// beats one that merely names the topic.
			s = overlap(k.an, q, b) + 1
			if owner != "" {
				if _, near := k.ownersValue("", b, owner, asked); near {
					// And whose it is: the support address, not the grades'.
					s += 1
				}
			}
		}
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	if isRecord(blocks[best]) && len(question.numbers) > 0 {
		best = k.recordOfThing(blocks, best, q, question.numbers, asked)
	}
	answer := blocks[best]
	// A block that holds what was asked answers by itself, even when it
	// reads like a label ("Teléfono: +56 2 2345 6789").
	answers := asked != InfoGeneral && holdsKind(asked, answer)
	if (!answers || strings.HasSuffix(strings.TrimSpace(answer), ":")) && isLeadIn(answer) && best+1 < len(blocks) {
		// A block ending in a colon introduces the next, whatever it
		// holds ("Cada pasajero puede llevar sin costo:").
		answer += "\n\n" + blocks[best+1]
	}
	switch {
	case len(answer) > maxAnswerChars:
		answer = bestSentences(k.an, q, answer, maxAnswerChars, asked)
	case asked != InfoGeneral && len(answerUnits(answer)) > 2:
		// A question for one value (an address, a phone, a date) is
		// answered by the sentences that hold it, not by the whole list of
		// contacts it is one line of.
		answer = bestSentences(k.an, q, answer, kindAnswerChars, asked)
	}
	return withTableHeader(blocks, answer)
}

// withTableHeader puts the header of the table an answer's first row comes
// from above it: "Cabaña 4p · 4 personas · $140.000 · $112.000" says which
// price is the high season's only under "Alojamiento · Capacidad ·
// Temporada alta · Temporada media".
func withTableHeader(blocks []string, answer string) string {
	first, _, _ := strings.Cut(answer, "\n")
	if !isTableRow(first) {
		return answer
	}
	for i, b := range blocks {
		if strings.TrimSpace(b) != strings.TrimSpace(first) {
			continue
		}
		if h := tableHeader(blocks, i); h != "" && h != b {
			return h + "\n" + answer
		}
		break
	}
	return answer
}

// recordOfThing returns, of the rows or list items of blocks that hold the
// kind asked as blocks[best] does, the one that names most of the thing
// asked, the question's numbers left out, and of those the one that states
// the numbers: a row is chosen by the thing it names, and among the rows
// of that thing by the number ("el kit de 4,4 kWp" among kits of 2,2 to
// 7,7); "la limpieza profunda de 6 horas" is no row of the standard
// cleaning's 6 hours, and then no row answers (numberOfAnotherRecord).
func (k *Knowledge) recordOfThing(blocks []string, best int, q []analysis.QueryTerm, numbers []string, asked InfoKind) int {
	words := slices.DeleteFunc(slices.Clone(q), func(t analysis.QueryTerm) bool { return isDigits(t.Word) })
	held := asked != InfoGeneral && holdsKind(asked, blocks[best])
	score := func(b string) float64 {
		s := overlap(k.an, words, b)
		stated := numbersIn(b)
		for _, n := range numbers {
			if stated[n] {
				s += numberRowBonus
			}
		}
		return s
	}
	top, topScore := best, score(blocks[best])
	for i, b := range blocks {
		if i == best || !isRecord(b) || held && !holdsKind(asked, b) || opensTable(blocks, i) {
			continue
		}
		if s := score(b); s > topScore {
			top, topScore = i, s
		}
	}
	return top
}

// numberRowBonus is what each number of the question a record states adds
// to its overlap: it settles a tie between records that name as much of
// the thing asked, and no more.
const numberRowBonus = 0.01

// kindAnswerChars bounds the answer to a question for one value.
const kindAnswerChars = 300

// isLeadIn reports a block that introduces its answer rather than giving
// it: a question, a line ending in a colon, or a short label without a
// full stop, or a short labelled line ("Problema: No puedo iniciar
// sesión."). A short sentence that ends in a full stop is an answer on its
// own, and appending the next block would add an unrelated paragraph.
func isLeadIn(b string) bool {
	b = strings.TrimSpace(b)
	if strings.HasSuffix(b, "?") || strings.HasSuffix(b, ":") {
		return true
	}
	if len(b) >= 200 {
		return false
	}
	if label, _, ok := strings.Cut(b, ":"); ok && len(strings.Fields(label)) <= 2 {
		return true
	}
	return !strings.HasSuffix(b, ".") && !strings.HasSuffix(b, "!")
}

// overlap is the query weight a text covers: by stem, synonym, or (as the
// search and the coverage check match them) a stem a letter apart
// ("materials" / "materiales"), at typoFactor.
func overlap(an *analysis.Analyzer, q []analysis.QueryTerm, text string) float64 {
	have := map[string]bool{}
	for _, t := range an.Terms(text) {
		have[t.Stem] = true
	}
	s := 0.0
terms:
	for _, t := range q {
		if have[t.Stem] {
			s += t.Weight
			continue
		}
		for _, a := range t.Alts {
			if have[a.Stem] {
				s += t.Weight * a.Factor
				continue terms
			}
		}
		if len([]rune(t.Word)) >= 5 && !questionWords[t.Word] {
			// Not "cuantos" for "cuenta".
			for stem := range have {
				if analysis.WithinOneEdit(t.Stem, stem) {
					s += t.Weight * typoFactor
					continue terms
				}
			}
		}
	}
	return s
}

// typoFactor is what a stem a letter apart is worth in overlap.
const typoFactor = 0.7

// bestSentences returns the window of consecutive sentences, within limit
// characters, that covers most of the query.
func bestSentences(an *analysis.Analyzer, q []analysis.QueryTerm, text string, limit int, asked InfoKind) string {
	ss := answerUnits(text)
	if len(ss) == 0 {
		return text
	}
	// What each sentence adds as the holder of the value asked: for a
	// question for one value, a window that holds it beats any that does
	// not, however many words those share with the question ("Problema: No
	// se registran las calificaciones" does not give the address to write
	// to). The value counts in full in a sentence that also says what was
	// asked about, or that states it outright (a street address for
	// "where"); a stray value in a neighbouring sentence ("pedidos antes de
	// las 11:00" for "¿a qué hora abren?") counts less.
	holds := make([]float64, len(ss))
	if asked != InfoGeneral {
		for i, sentence := range ss {
			switch {
			case !holdsKind(asked, sentence):
			case overlap(an, q, sentence) > 0 || statesKind(asked, sentence):
				holds[i] = kindHeld
			default:
				holds[i] = kindHeld / 2
			}
		}
	}
	bestStart, bestEnd, bestScore, bestSize := 0, 1, -1.0, 0
	for i := range ss {
		size := 0
		for j := i; j < len(ss); j++ {
			size += len(ss[j]) + 1
			if size > limit && j > i {
				break
			}
			window := strings.Join(ss[i:j+1], " ")
			s := overlap(an, q, window) + slices.Max(holds[i:j+1])
			// Of windows that say as much, the shortest: the sentences
			// that hold the answer, without their neighbours.
			if s > bestScore || s == bestScore && size < bestSize {
				bestStart, bestEnd, bestScore, bestSize = i, j+1, s, size
			}
		}
	}
	out := strings.Join(ss[bestStart:bestEnd], " ")
	if len(out) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimSpace(out[:cut]) + "…"
	}
	return out
}

// kindHeld outweighs any word overlap in bestSentences.
const kindHeld = 100.0

// statesKind reports a sentence that states a value of the kind outright:
// a street address for a place. Other kinds have no weaker form.
func statesKind(kind InfoKind, s string) bool {
	return kind == InfoPlace && addressRe.MatchString(s)
}

// withoutUnknownAsides returns the query without the words no passage of
// the base holds that name the kind of information asked or say how often
// the user tried (question.tries), or the query unchanged. The user's other
// circumstances stay: where they work or whom a gift is for can pick the
// passage ("mi mamá tiene 70 años" finds the seniors' discount).
func withoutUnknownAsides(query string, q question, results []knowledge.Result) string {
	if len(results) == 0 {
		return query
	}
	unknown := results[0].UnknownWords
	aside := func(x string) bool {
		return (q.asked != InfoGeneral && kindWords[x] || q.tries(x)) && slices.Contains(unknown, x)
	}
	w := analysis.Words(query)
	kept := slices.DeleteFunc(slices.Clone(w), aside)
	if len(kept) == len(w) || len(kept) == 0 {
		return query
	}
	return strings.Join(kept, " ")
}

// answerUnits splits text into sentences that stand alone: a label ending in
// a colon ("Oficina comercial:") and a piece ending in a capitalised
// abbreviation ("… Av.", "… Dr.") belong to what follows them.
func answerUnits(text string) []string {
	var out []string
	carry := ""
	for _, s := range listAwareSentences(text) {
		if carry != "" {
			s = carry + " " + s
			carry = ""
		}
		if strings.HasSuffix(s, ":") || endsInAbbreviation(s) {
			carry = s
			continue
		}
		out = append(out, s)
	}
	if carry != "" {
		out = append(out, carry)
	}
	return out
}

// listAwareSentences splits text into sentences, except that an item of a
// list stays whole: in "• Temuco: Av. Caupolicán 1055. Boletería de 7:00 a
// 22:00." the hours are Temuco's only as part of the item.
func listAwareSentences(text string) []string {
	var out []string
	var prose []string
	flush := func() {
		if len(prose) > 0 {
			out = append(out, ingest.Sentences(strings.Join(prose, "\n"))...)
			prose = prose[:0]
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); isListItem(t) {
			flush()
			out = append(out, t)
			continue
		}
		prose = append(prose, line)
	}
	flush()
	return out
}

func isListItem(line string) bool {
	return strings.HasPrefix(line, "• ") || strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ")
}

// endsInAbbreviation reports a sentence piece whose last word is a short
// capitalised abbreviation: "Av.", "Sra.", "Dr.".
func endsInAbbreviation(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	r := []rune(f[len(f)-1])
	return len(r) >= 2 && len(r) <= 4 && r[len(r)-1] == '.' && unicode.IsUpper(r[0])
}

// recordWithoutValue returns a word of the question that names an item of a
// list or a row of a table in the passage which gives no value of the kind
// asked, when the answer part does not name it: "• Préstamo de bicicletas
// sin costo" in a list of services with hours, the La Serena row of a table
// of branches whose hours are blank.
func (k *Knowledge) recordWithoutValue(q question, top knowledge.Result, answer string, covered []string) string {
	text := top.Text
	inAnswer, _ := k.coverageOf(q.terms, answer, q.asked)
	// The thing asked about is the rarest word the passage covers.
	subject, best := "", -1.0
	for _, w := range covered {
		if r := top.Rarity[w]; r > best {
			subject, best = w, r
		}
	}
	if title := ownTitle(top); title != "" {
		if about, _ := k.coverageOf(q.terms, title, q.asked); slices.Contains(about, subject) {
			// The passage's own heading ("Instalación") names what every
			// item under it is about, as a list's lead-in does.
			return ""
		}
	}
	units := answerUnits(text)
	if k.statedOfEvery(q, units, covered) {
		return ""
	}
	for i, u := range units {
		if lead := leadIn(units, i); lead != "" {
			if about, _ := k.coverageOf(q.terms, lead, q.asked); slices.Contains(about, subject) {
				// "Tiempo que se guardan los respaldos:" introduces a list
				// whose every item is about backups: the item asked is
				// picked by another word ("Plan Profesional: 30 días").
				return ""
			}
		}
		if !isRecord(u) || q.holdsAsked(u) {
			continue
		}
		have, _ := k.coverageOf(q.terms, u, q.asked)
		if opensTable(units, i) && slices.Contains(have, subject) && k.columnHolds(q, units[i+1:]) {
			// A table's first row names its columns: "Categoría · Valle ·
			// Punta" gives the peak fares in every row below it.
			return ""
		}
		for _, w := range have {
			if w == subject && !slices.Contains(inAnswer, w) && top.Rarity[w] >= recordSubjectRarity && !slices.Contains(strings.Fields(q.owner), w) {
				return w
			}
		}
	}
	return ""
}

// statedOfEvery reports a sentence that gives the kind asked of every one
// of a thing the question names: "Todas las oficinas atienden de lunes a
// viernes de 08:30 a 14:00" gives the hours of each office listed after
// it, though no item repeats them.
func (k *Knowledge) statedOfEvery(q question, units, covered []string) bool {
	for _, u := range units {
		if !q.holdsAsked(u) {
			continue
		}
		w := analysis.Words(u)
		for i, x := range w {
			if !everyWords[x] {
				continue
			}
			for _, y := range w[i+1 : min(len(w), i+3)] {
				if slices.ContainsFunc(covered, func(c string) bool { return k.an.Stem(c) == k.an.Stem(y) }) {
					return true
				}
			}
		}
	}
	return false
}

// everyWords say that what follows is true of each thing of a kind.
var everyWords = setOf("todas", "todos", "cada", "all", "every", "each")

// leadIn returns the line that introduces a list at units[i] ("Tiempo que
// se guardan los respaldos:"), whether the list's first item follows in
// the next unit or in the same one, or "".
func leadIn(units []string, i int) string {
	u := strings.TrimSpace(units[i])
	if isRecord(u) {
		return ""
	}
	if strings.HasSuffix(u, ":") && i+1 < len(units) && isRecord(units[i+1]) {
		return u
	}
	if lead, _, ok := strings.Cut(u, ": •"); ok {
		return lead
	}
	return ""
}

// columnHolds reports whether any row of the table that rows begins holds
// the kind asked.
func (k *Knowledge) columnHolds(q question, rows []string) bool {
	for _, r := range rows {
		if !isTableRow(r) {
			return false
		}
		if q.holdsAsked(r) {
			return true
		}
	}
	return false
}

func isTableRow(u string) bool { return strings.Contains(u, " · ") }

// opensTable reports whether items[i] is a table's first row, the one that
// names its columns. A row that gives values (an amount, a phone, an email,
// a time of the clock) is not: a passage cut from a long table starts with
// one of its rows ("Medellín · Laureles · Circular 73B # 39-15 · 9:00 a
// 18:30 · (604) 448 2211"), its header left in the passage before.
func opensTable(items []string, i int) bool {
	return isTableRow(items[i]) && (i == 0 || !isTableRow(items[i-1])) && !givesValues(items[i])
}

func givesValues(row string) bool {
	return strings.ContainsAny(row, "0123456789") && (amountRe.MatchString(row) || holdsKind(InfoPhone, row) || clockRe.MatchString(row)) || holdsKind(InfoEmail, row)
}

// isRecord reports a list item or a table row.
func isRecord(u string) bool {
	u = strings.TrimSpace(u)
	return strings.HasPrefix(u, "•") || isTableRow(u)
}

// recordSubjectRarity is how rare in the base a word must be to name the
// thing an item of a list is about: "local" in a table of branches names
// every row.
const recordSubjectRarity = 0.4

// aboutMoreWithoutValue returns the source of a leading candidate that
// covers every word the chosen passage covers and at least two more words
// of the base, without holding the kind asked, or "": the question is about
// that passage's matter, and the chosen passage's value is another's.
func (k *Knowledge) aboutMoreWithoutValue(q question, top knowledge.Result, d Decision, results []knowledge.Result) string {
	for _, r := range results[:min(len(results), decideCandidates)] {
		if r.ID == top.ID || q.holdsAsked(r.Text) {
			continue
		}
		covered, _ := k.covers(q, titleOf(r)+"\n"+r.Text)
		if slices.ContainsFunc(d.Covered, func(w string) bool { return !slices.Contains(covered, w) }) {
			continue
		}
		more := 0
		for _, w := range covered {
			if !slices.Contains(d.Covered, w) && !slices.Contains(top.UnknownWords, w) {
				more++
			}
		}
		if more >= 2 {
			return citation(r, k.lang())
		}
	}
	return ""
}

// numberOfAnotherRecord returns a number the question states that the
// passage states too, but not in the list items or table rows that answer
// it, which give another number of the same unit, or "": each item is one
// case ("Limpieza profunda · 5 horas"), and the case asked (6 hours) is
// not among them.
func (k *Knowledge) numberOfAnotherRecord(q question, top knowledge.Result, answer string) string {
	var records []string
	for _, line := range strings.Split(answer, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			records = append(records, line)
		}
	}
	if len(records) == 0 || !slices.ContainsFunc(records, isRecord) {
		return ""
	}
	for _, r := range records {
		if !isRecord(r) {
			return ""
		}
	}
	// Every number's unit: a number may be written twice with two ("12
	// meses, incluye 12 controles").
	units := map[string]bool{}
	for _, piece := range strings.FieldsFunc(answer, func(r rune) bool { return r == '·' || r == ',' || r == ';' || r == '\n' }) {
		for _, u := range numberUnits(piece) {
			units[unitName(u)] = true
		}
	}
	stated, given := numbersIn(titleOf(top)+"\n"+top.Text), numbersIn(answer)
	for _, n := range q.numbers {
		if u := q.units[n]; u != "" && units[unitName(u)] && stated[n] && !given[n] {
			return n
		}
	}
	return ""
}
