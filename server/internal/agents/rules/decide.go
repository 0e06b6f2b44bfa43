package rules

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// Retrieval finds candidates; the decision says whether the best one
// answers. A passage can be about what the question names (the product, the
// app, the course) without holding what it asks for (its price, a phone
// number, who runs it): retrieval scores cannot tell the two apart, because
// the word that says *what* is asked is common or absent from the base
// while the name of the thing is rare. The decision therefore checks two
// things the score does not: that the passage holds the kind of
// information asked for, and how much of the question it leaves uncovered.

// InfoKind is the kind of information a question asks for.
type InfoKind string

// Kinds of information a question can ask for. InfoGeneral asks for
// nothing the passage must hold in a recognisable form (an explanation, a
// procedure, a yes or no about something the passage discusses).
const (
	InfoGeneral InfoKind = ""
	InfoAmount  InfoKind = "amount"  // price, cost, fee, whether it is free
	InfoNumber  InfoKind = "number"  // how many
	InfoTime    InfoKind = "time"    // when, how long
	InfoDate    InfoKind = "date"    // on what date: a calendar day
	InfoDay     InfoKind = "day"     // on what day: of the week or of the month
	InfoHours   InfoKind = "hours"   // at what time of day, opening hours
	InfoPerson  InfoKind = "person"  // who holds a role
	InfoEmail   InfoKind = "email"   // an email address
	InfoPhone   InfoKind = "phone"   // a phone number
	InfoURL     InfoKind = "url"     // a web address
	InfoPlace   InfoKind = "place"   // where something is
	InfoAddress InfoKind = "address" // a street address
	InfoAge     InfoKind = "age"     // an age or age limit
	InfoCode    InfoKind = "code"    // an identifier: a tax id, a tracking or account number
	InfoName    InfoKind = "name"    // which browser, bank or brand: a name
)

// Decision explains whether the best passage answers the question. It is
// recorded in the run's trace.
type Decision struct {
	Answer bool
	// Asked is the kind of information the question asks for, and Held
	// whether the passage holds it.
	Asked InfoKind
	Held  bool
	// Named is the thing a yes-or-no question asks about ("la app" in
	// "¿la app funciona sin conexión?") when the passage never mentions it:
	// its absence costs namedFactor times a missing word's (a word the base
	// has never seen costs unknownPenalty either way).
	Named string
	// Counted is what a how-many question counts ("preguntas" in "¿cuántas
	// preguntas tiene la evaluación?") when the passage gives no number of
	// it: a passage whose numbers count other things does not answer.
	Counted string
	// Owner is whose email, phone or web address is asked ("gerente" in
	// "¿cuál es el correo del gerente?") when the passage gives none next
	// to a mention of it.
	Owner string
	// Bound is the bound asked ("minimum" in "minimum Android version?")
	// when the passage states none and no figure.
	Bound string
	// Swapped is a word of an entry's question that the user's question
	// replaced with another ("curso" in "¿Puedo regalar un curso?" asked
	// as "¿puedo regalar una suscripción?").
	Swapped string
	// Apart is what a yes-or-no question asks of a named branch that the
	// passage says only of others, with the branch: "estacionamiento" and
	// "ñuñoa" against "La sucursal Las Condes tiene estacionamiento".
	Apart [2]string
	// Owned: the passage itself gives the owner's value next to a
	// mention of them, which beats a passage that never names them.
	Owned bool
	// Covered and Uncovered are the question's content words the passage
	// does and does not cover (by word, synonym or a one-letter typo).
	Covered, Uncovered []string
	// Unknown are the uncovered words the whole base has never seen.
	Unknown []string
	// Retrieval is the search confidence, Confidence the decision's.
	Retrieval, Confidence, Threshold float64
	Reason                           string
}

// String is the decision in one line, for the trace.
func (d Decision) String() string {
	asked := string(d.Asked)
	if asked == "" {
		asked = "general"
	}
	held := "held"
	if !d.Held {
		held = "missing"
	}
	return fmt.Sprintf("asks for %s (%s); covers [%s]; misses [%s]; retrieval %.2f, confidence %.2f, threshold %.2f: %s",
		asked, held, strings.Join(d.Covered, " "), strings.Join(d.Uncovered, " "), d.Retrieval, d.Confidence, d.Threshold, d.Reason)
}

// check is the decision as the run's trace keeps it.
func (d Decision) check(source string) *agents.AnswerCheck {
	asked := string(d.Asked)
	if asked == "" {
		asked = "general"
	}
	return &agents.AnswerCheck{
		Answer: d.Answer, Asked: asked, Held: d.Held, Covered: d.Covered, Missing: d.Uncovered, Unknown: d.Unknown,
		Retrieval: round3(d.Retrieval), Confidence: round3(d.Confidence), Threshold: d.Threshold,
		Reason: d.Reason, Source: source,
	}
}

// uncoveredPenalty is how much each content word of the question that the
// passage does not cover lowers the confidence, in log-odds, times the
// word's rarity in the base: a word most passages hold names what the whole
// base is about ("covid" in a COVID FAQ), and a passage need not repeat it
// any more than the company's name; unknownPenalty
// is the same for a word the whole knowledge base has never seen, which is
// more often what the question is really about ("¿quién es el gerente de
// marketing?" in a base that never says "marketing") than a synonym the
// base does not use. Beyond penaltyWords content words, the missing words
// count by their share of the question: a long question carries context
// ("I have a very important mail in Gmail, can I flag it as urgent?") that
// the passage answering it need not repeat, and counting every such word
// handed off the people who explain themselves.
const (
	uncoveredPenalty = 0.4
	unknownPenalty   = 1.0
	penaltyWords     = 2.0
	// contextFactor scales the cost of a missing word told outside the
	// message's questions (question.focus). It is not zero: the story can
	// name what the question then asks about ("quiero llevar a mi perrita
	// en bolso").
	contextFactor = 0.25
)

// question is what the decision reads from a message, once for all the
// candidates it judges.
type question struct {
	text  string // the request, small talk set aside
	words []string
	terms []analysis.QueryTerm // text, analysed
	// held remembers holdsKind(asked, text) for the texts read: the same
	// passages are checked by every step of the decision.
	held map[string]bool
	// covers remembers coverageOf(terms, text, asked) for the texts read.
	covers map[string][2][]string
	asked  InfoKind
	// names are the words the user wrote as proper names (properNames).
	names map[string]bool
	// focus are the words of the message's questions (questionSentences),
	// its context left out; story: the message tells more than its
	// questions.
	focus []string
	story bool
	// counted is what a how-many question counts (countedNoun), owner
	// whose value it asks for (ownerOf), named the thing a yes-or-no
	// question names (namedThing).
	counted, owner, named string
	// counting are the words of the question, of a message asking several,
	// that asks how many (countingQuestion).
	counting []string
	// together are the candidates that state the kind asked in a sentence
	// covering the whole question (statedTogether).
	together []knowledge.Result
	// entitled are the candidates whose own title asks the same kind of
	// the same things as the question (titleAsks).
	entitled []knowledge.Result
	// variants are the lettered variants it names ("clase A", "tipo B").
	variants []string
	// numbers are the quantities the question states ("12" in "¿cuál es
	// la tasa en 12 cuotas?"), separators removed.
	numbers []string
	// units are what each stated number counts ("años" for "7" in "mi
	// hijo de 7 años"), folded.
	units map[string]string
	// years are the years the question places the user in ("para el
	// 2026"), not a model's ("un Corolla 2018").
	years map[string]bool
	// inclusion: the question asks whether something is included ("¿el
	// IVA está incluido?").
	inclusion bool
	// lasting: the question asks how long something lasts or stays valid
	// (lastingWords).
	lasting bool
	// clock: hours are asked as a time of the clock (asksClockTime); end:
	// as when something ends or closes (asksEnd).
	clock, end bool
	// foreign: the question is in the other language than the base's (a
	// tourist's English on Spanish documents).
	foreign bool
	// action is what a "¿puedo…?" question asks leave to do ("apelar" in
	// "¿puedo apelar si me niegan la visa?").
	action string
	// options are the two a question asks to choose between ("excel",
	// "csv" in "¿viene en excel o en csv?").
	options [2]string
	// weekday is the day whose hours are asked ("domingo" in "¿abre el
	// domingo?").
	weekday string
	// confirming: the question offers what it remembers for confirmation
	// ("era de 6 caracteres, ¿no?", "me dijeron que dura 24 horas").
	confirming bool
	// role is the words that qualify the role a who-is question asks for
	// ("tecnología" in "¿quién es el gerente de tecnología?").
	role []string
}

// readQuestion reads query, the request of the message raw. In a message
// that explains itself before asking ("Estoy viendo el curso de Excel y los
// videos no cargan. ¿Qué me recomiendan?"), the names, numbers and the thing
// a yes-or-no question names are read from its questions alone: the rest
// is context, which the passage answering need not repeat.
func (k *Knowledge) readQuestion(query, raw string) question {
	q := question{text: query, words: analysis.Words(query), terms: k.an.Query(query), held: map[string]bool{}, covers: map[string][2][]string{}}
	focus := questionSentences(raw)
	q.names = properNames(focus)
	q.foreign = k.an.Foreign(query)
	q.asked = askedKind(q.words)
	q.confirming = confirming(analysis.Fold(strings.ToLower(raw)))
	if q.confirming && q.asked == InfoGeneral {
		q.asked, q.counted = proposedKind(statedNumbers(focus), numberUnits(focus))
	}
	// Whose value is read in the question's own sentences: "¿el teléfono
	// de la sucursal de Bath? Prefiero llamar…" asks Bath's.
	q.focus, q.story = analysis.Words(focus), focus != raw
	q.owner = k.ownerOf(q.focus, q.asked)
	if q.asked == InfoNumber && q.counted == "" {
		q.counted = countedNoun(q.words)
		q.counting = countingQuestion(raw, q.counted)
	}
	q.named = namedThing(analysis.Words(StripSmallTalk(focus)))
	q.action = permittedAction(q.focus)
	q.options[0], q.options[1] = alternatives(q.focus)
	q.weekday = weekdayAsked(query)
	if asksWhomToReach(q.words) {
		// "¿a quién le escribo?", "con quién hablo": writing or calling is
		// what the user does with the contact the passage gives.
		q.terms = slices.DeleteFunc(slices.Clone(q.terms), func(t analysis.QueryTerm) bool { return reachVerbs[t.Word] })
	}
	q.numbers = statedNumbers(focus)
	q.units = numberUnits(focus)
	q.years = map[string]bool{}
	for _, m := range situationYearRe.FindAllStringSubmatch(focus, -1) {
		q.years[m[1]] = true
	}
	q.inclusion = slices.ContainsFunc(q.words, func(w string) bool { return inclusionWords[w] })
	q.clock, q.end = asksClockTime(q.words), asksEnd(q.words)
	q.lasting = slices.ContainsFunc(q.words, func(w string) bool { return lastingWords[w] })
	if q.asked == InfoPerson && roleNouns[q.owner] {
		q.role = k.roleQualifiers(q.words, q.owner)
	}
	q.variants = variantsIn(focus)
	return q
}

// questionSentences returns the sentences of text that ask (end in a
// question mark) when it also has sentences that do not, else text.
func questionSentences(text string) string {
	var asks []string
	other := false
	rest := strings.TrimSpace(text) + " "
	for rest != "" {
		cut := len(rest)
		if loc := sentenceEndRe.FindStringIndex(rest); loc != nil {
			cut = loc[1]
		}
		sentence := strings.TrimSpace(rest[:cut])
		rest = rest[cut:]
		if i := strings.Index(sentence, "¿"); i > 0 {
			// "…para 30 personas, ¿cómo lo hacemos?": the question
			// starts at its opening mark.
			other = true
			sentence = sentence[i:]
		}
		switch {
		case strings.HasSuffix(sentence, "?") || asksUnmarked(sentence):
			asks = append(asks, sentence)
		case sentence != "":
			other = true
		}
	}
	if len(asks) == 0 || !other {
		return text
	}
	return strings.Join(asks, " ")
}

// unmarkedStart returns where the question of a sentence ending in a
// question mark starts when it has no opening mark and a clause after a
// comma opens with a question word, or 0.
func unmarkedStart(sentence string) int {
	if !strings.HasSuffix(sentence, "?") || strings.Contains(sentence, "¿") {
		return 0
	}
	at := 0
	for {
		i := strings.Index(sentence[at:], ",")
		if i < 0 {
			return 0
		}
		at += i + 1
		w := analysis.Words(sentence[at:])
		if len(w) > 0 && (w[0] == "pero" || w[0] == "but") {
			// "…, pero cuánto cuesta?"; after "y" or "and" the clause is
			// a second question, not the first one's start.
			w = w[1:]
		}
		if len(w) > 0 && (openingQuestionWords[w[0]] || clauseQuestionWords[w[0]]) {
			return at
		}
	}
}

// clauseQuestionWords open a question after a comma, not at the start of a
// message ("como" there is as often "since").
var clauseQuestionWords = setOf("como", "que", "what", "why")

// asksUnmarked reports a sentence that opens with a question word but
// lacks its mark: "…¿la puedo volver a dar? cuantas veces".
func asksUnmarked(sentence string) bool {
	w := analysis.Words(sentence)
	if len(w) > 0 && (w[0] == "y" || w[0] == "and") {
		w = w[1:]
	}
	return len(w) > 0 && openingQuestionWords[w[0]]
}

var openingQuestionWords = setOf("cuanto", "cuanta", "cuantos", "cuantas", "donde", "cuando", "cual", "cuales", "quien", "quienes", "how", "where", "when", "which", "who")

// sentenceEndRe ends a sentence: its closing punctuation and the space after
// it, not a separator inside a number ("30.000").
var sentenceEndRe = regexp.MustCompile(`[.!?]+\s+`)

// decide judges whether a result answers the question.
func (k *Knowledge) decide(q question, top knowledge.Result, agreeing []knowledge.Result, threshold float64) Decision {
	d := Decision{Asked: q.asked, Retrieval: top.Score, Threshold: threshold}
	passage := top.Text
	title := titleOf(top)
	counted, owner := q.counted, q.owner
	holds := func(r knowledge.Result) bool {
		switch {
		case counted != "":
			return k.countsNoun(titleOf(r), r.Text, counted) && k.countOfWhatIsAsked(q, r, counted)
		case owner != "":
			return k.givesOwnersValue(ownTitle(r), r.Text, owner, d.Asked)
		}
		return q.holdsAsked(r.Text)
	}
	d.Held = holds(top)
	// A fact stated in several places: any agreeing passage that holds
	// what is asked will do for the check.
	for _, r := range agreeing {
		d.Held = d.Held || holds(r)
	}
	if owner != "" && d.Held {
		_, d.Owned = k.ownersValue(ownTitle(top), top.Text, owner, d.Asked)
	}
	if !d.Held {
		d.Counted, d.Owner = counted, owner
	}
	d.Covered, d.Uncovered = k.covers(q, title+"\n"+passage)
	if d.Held && counted != "" && slices.Contains(d.Uncovered, counted) {
		// What is counted is stated as its count: "¿con qué porcentaje se
		// aprueba?" is answered by "con un 70%".
		d.Uncovered = slices.DeleteFunc(d.Uncovered, func(w string) bool { return w == counted })
		d.Covered = append(d.Covered, counted)
	}
	bound := askedBound(q.words)
	if bound != "" && slices.Contains(d.Uncovered, bound) && statesBound(bound, title+"\n"+passage) && k.boundOfWhatIsAsked(q.words, bound, title+"\n"+passage) {
		// "nota mínima" against "Apruebas con un 70% o más", "un mínimo
		// de personas" against "desde 5 personas": the passage states the
		// side asked, in its own words.
		d.Uncovered = slices.DeleteFunc(d.Uncovered, func(w string) bool { return w == bound })
		d.Covered = append(d.Covered, bound)
	}
	penalty, about := 0.0, 0.0
	// A number the question states picks one case of several ("12
	// cuotas" where the passage offers 3 or 6, "el plan de 300 megas"):
	// a passage that never states it is about another case, however well
	// the words match.
	stated := numbersIn(title + "\n" + passage)
	// So does a lettered variant: "la licencia clase A" against a passage
	// that prices class B.
	for _, v := range q.variants {
		if !slices.Contains(variantsIn(title+"\n"+passage), v) {
			d.Uncovered = append(d.Uncovered, v)
			about += namedFactor * unknownPenalty
			d.Named = v
		}
	}
	for _, n := range q.numbers {
		if q.years[n] && !slices.ContainsFunc(slices.Collect(maps.Keys(stated)), yearRe.MatchString) {
			// "postulamos para el año 2026": the year the user is in,
			// when the passage dates nothing.
			continue
		}
		if q.confirming && !stated[n] && k.statesOtherOfUnit(n, q.units[n], title+"\n"+passage) {
			// "era de 6 caracteres la clave, ¿no?" against "al menos 8
			// caracteres": the number is the user's memory of the value,
			// which the passage gives, correcting it.
			continue
		}
		if !(stated[n] && k.statedInUnit(q, n, title+"\n"+passage)) && !k.inStatedRange(n, q.units[n], title+"\n"+passage) {
			d.Uncovered = append(d.Uncovered, n)
			about += namedFactor * unknownPenalty
			d.Named = n
		}
	}
	named := q.named
	// penalty counts by the question's length (penaltyWords); what the
	// question is about (a name the base never mentions) costs in full
	// however long the question is.
	for _, w := range d.Uncovered {
		if slices.Contains(top.UnknownWords, w) {
			d.Unknown = append(d.Unknown, w)
		}
	}
	for _, w := range d.Uncovered {
		f := 1.0
		if q.situation(w) {
			continue
		}
		if (channelWords[w] || languageWords[w] || paymentWords[w] || byMeans(q.focus, w)) && slices.Contains(q.focus, w) {
			// A channel the passage never names is a channel it does not
			// offer, however long the question and sure the search; one
			// the user's story names ("mi inglés escrito no es bueno") is
			// context.
			about += unknownNameCost
			d.Named = w
			continue
		}
		if r, known := top.Rarity[w]; q.asked != InfoGeneral && forWhom(q.words, w) && (!known || r >= forWhomRarity) {
			// "¿cuánto cuesta la matrícula para extranjeros?": a value
			// for a group or a case the passage never names is another
			// value than the one it gives.
			about += namedFactor * unknownPenalty
			d.Named = w
			continue
		}
		if q.asked == InfoAmount && (periodWords[w] || measureWords[w] || halfPeriod(q.words, w)) || periodWords[w] && slices.Contains(top.UnknownWords, w) {
			// "¿el complemento se puede pagar anual? ¿cuánto saldría?": a
			// price for a period the passage never prices is another price.
			about += namedFactor * unknownPenalty
			d.Named = w
			continue
		}
		if v := k.otherVariant(q, w, d.Covered, title+"\n"+passage); v != "" {
			// "¿cuántos vehículos puedo registrar con el plan libre?"
			// against "En el Plan Ciudad y el Plan Ruta…": the passage
			// names its variants of the thing, and the one asked is not
			// among them.
			about += unknownNameCost
			d.Named = w
			continue
		}
		if q.asked != InfoHours && opposite(w, title+"\n"+passage) {
			// "¿cuándo se abre la reventa?" against "la reventa se
			// cierra 6 horas antes": the value is the opposite event's.
			about += unknownNameCost
			d.Named = w
			continue
		}
		if slices.Contains(q.role, w) {
			// Another role's holder: "el gerente de tecnología" is not
			// the general manager, however well "gerente" matches.
			about += namedFactor * unknownPenalty
			d.Named = w
			continue
		}
		if k.featureOfBranch(q, top, d.Covered, title+"\n"+passage, w) {
			// "¿la sede de Miraflores tiene estacionamiento?" against
			// Miraflores' address and hours: silent on what is asked of
			// the branch, which another branch's line may have.
			about += namedFactor * unknownPenalty
			d.Named = w
			continue
		}
		if w == named || owner != "" && strings.Fields(owner)[0] == w {
			// The thing a yes-or-no question names, or whose address is
			// asked ("¿a qué correo escribo para pedir un *reembolso*?"):
			// a passage that never mentions it gives someone else's.
			f = namedFactor
			d.Named = w
		}
		told := 1.0
		if q.story && !slices.Contains(q.focus, w) {
			// A word of the message's story, outside its questions ("Estoy
			// cansado de recibir promociones por mail, ¿cómo las
			// desactivo?"): the passage answering need not repeat it.
			told = contextFactor
		}
		f *= told
		switch r, ok := top.Rarity[w]; {
		case slices.Contains(top.UnknownWords, w) && q.names[w]:
			// A name the base never mentions ("¿tienen oficina en
			// Lima?", "are attachments imported from Jira?"): the
			// question is about it, and no passage is.
			about += unknownNameCost
			d.Named = w
		case slices.Contains(top.UnknownWords, w) && (hadObject(q.words, w) || w == q.action):
			// "¿el seguro tiene deducible?" when the base never says
			// "deducible": it says nothing of one.
			about += namedFactor * unknownPenalty
			d.Named = w
		case slices.Contains(top.UnknownWords, w):
			penalty += told * unknownPenalty
		case (q.names[w] || top.Names[w] && slices.Contains(q.focus, w)) && top.Rarity[w] >= 0.5:
			// A name the user wrote, or one the base writes as a name
			// however the user typed it ("en puente alto"), that singles
			// out a few passages of the base, and not this one: "el pasaje
			// a Concepción" against the Santiago fares. A value asked of it ("¿dónde
			// queda la oficina de Concepción?") is another's in full.
			if q.asked == InfoGeneral {
				about += namedFactor * unknownPenalty
			} else {
				about += unknownNameCost
			}
			d.Named = w
		case ok:
			if top.Kind == knowledge.KindEntry {
				// A question-and-answer entry says all it has to say in a
				// few lines: a word of the base it does not mention
				// ("¿cuánto cuesta la matrícula para extranjeros?" against
				// "¿Cuánto cuesta la matrícula?") is more likely a question
				// it does not answer than context.
				f *= entryFactor
			}
			penalty += f * uncoveredPenalty * r
		default:
			penalty += f * uncoveredPenalty
		}
	}
	if top.Kind == knowledge.KindEntry {
		// An entry answers its own question. When the user's question
		// swaps one of its words for another the base knows ("¿puedo
		// regalar una suscripción?" against "¿Puedo regalar un curso?",
		// "fecha de término" against "fecha de inicio"), it asks about
		// something else, however much the rest matches: each swap costs
		// what a name the base never mentions costs.
		known := slices.DeleteFunc(slices.Clone(d.Uncovered), func(w string) bool { return slices.Contains(top.UnknownWords, w) })
		if extra := k.unasked(q.words, top.Question); len(extra) > 0 && len(known) > 0 {
			about += namedFactor * unknownPenalty * float64(min(len(extra), len(known)))
			d.Swapped = extra[0]
		}
	}
	if day := q.weekday; day != "" && holdsKind(InfoHours, passage) && !daysCover(analysis.Words(title+"\n"+passage), day) {
		// "¿la tienda de Arequipa abre el domingo?" against its hours
		// from Monday to Saturday: the passage gives the hours of other
		// days, not of the one asked.
		about += namedFactor * unknownPenalty
		d.Named = day
	}
	if a, b := q.options[0], q.options[1]; a != "" && slices.Contains(d.Uncovered, a) && slices.Contains(d.Uncovered, b) {
		// "¿la exportación viene en excel o en csv?" against "exportación
		// mensual en planilla": a passage that names neither option does
		// not say which.
		about += unknownNameCost
		d.Named = a
	}
	if x, branch := k.apartFromBranch(q, top, d.Covered, title, passage); x != "" {
		// "¿hay estacionamiento en la sucursal de Ñuñoa?" against "La
		// sucursal Las Condes tiene estacionamiento": the passage names
		// Ñuñoa, and says "estacionamiento" of another.
		about += namedFactor * unknownPenalty
		d.Apart = [2]string{x, branch}
	}
	if x := k.negatedVariant(q.words, d.Covered, title+"\n"+passage); x != "" {
		// "¿cuánto dura un corte *no programado*?" against "Los cortes
		// programados no duran más de 8 horas": the passage speaks of
		// the other variant.
		about += namedFactor * unknownPenalty
		d.Named = "no " + x
	}
	if bound != "" {
		switch {
		case unbounded(title + "\n" + passage):
			// "minimum Android version?" against "disponible para iOS y
			// Android": a passage that bounds nothing and states no figure
			// cannot hold the bound asked.
			d.Held = false
			d.Bound = bound
		case otherBoundOnly(bound, title+"\n"+passage):
			// "is there a maximum number of licenses?" against "licencias
			// desde 5 personas": the passage bounds the other side.
			about += namedFactor * unknownPenalty
			d.Named = bound
		}
	}
	scale := 1.0
	if n := float64(len(d.Covered) + len(d.Uncovered)); n > penaltyWords {
		scale = penaltyWords / n
	}
	z := logit(top.Score) - scale*penalty - about
	missingIsContext := k.onlyContextMissing(q, top, d.Covered, d.Uncovered)
	if d.Held && d.Asked != InfoGeneral && missingIsContext && (len(d.Covered) > 0 || len(d.Uncovered) == 0) {
		// The candidates stating the kind with every word asked were
		// found once for the question (q.together).
		stated, rivals := false, 0
		for _, o := range q.together {
			switch {
			case o.ID == top.ID:
				stated = true
			case top.RivalOf(o):
				rivals++
			}
		}
		if stated && rivals == 0 {
			z += statedBonus
		}
	}
	if d.Held && (d.Asked != InfoGeneral || len(d.Uncovered) == 0) && slices.ContainsFunc(q.entitled, func(o knowledge.Result) bool { return o.ID == top.ID }) &&
		!slices.ContainsFunc(q.entitled, top.RivalOf) && missingIsContext {
		// "precio sesión" against the entry "¿Cuánto cuesta una sesión
		// particular?": the entry asks the user's question, and no other
		// does; a word common to many entries leaves the search unsure.
		z += titleBonus
	}
	d.Confidence = 1 / (1 + math.Exp(-z))
	switch {
	case !d.Held && d.Counted != "":
		d.Reason = fmt.Sprintf("the question asks how many %q and the passage gives no number of them", d.Counted)
	case !d.Held && d.Bound != "":
		d.Reason = fmt.Sprintf("the question asks for a %q and the passage states no bound or figure", d.Bound)
	case !d.Held && d.Owner != "":
		d.Reason = fmt.Sprintf("the question asks for %s of %q and the passage gives none next to it", describeKind(d.Asked), d.Owner)
	case !d.Held:
		d.Reason = fmt.Sprintf("the question asks for %s and the passage holds none", describeKind(d.Asked))
	case d.Confidence < threshold && d.Swapped != "":
		d.Reason = fmt.Sprintf("confidence below the answer threshold: the entry answers a question about %q, which the question does not ask about", d.Swapped)
	case d.Confidence < threshold && d.Apart[0] != "":
		d.Reason = fmt.Sprintf("confidence below the answer threshold: the passage says %q only of others than %q, which the question asks about", d.Apart[0], d.Apart[1])
	case d.Confidence < threshold && d.Named != "":
		d.Reason = fmt.Sprintf("confidence below the answer threshold: the passage never mentions %q, which the question asks about", d.Named)
	case d.Confidence < threshold:
		d.Reason = "confidence below the answer threshold"
	default:
		d.Answer = true
		d.Reason = "the passage answers the question"
	}
	return d
}

// situation reports whether w, a word of the question, tells the user's
// situation rather than what is asked: a passage that answers need not say
// it.
func (q question) situation(w string) bool {
	switch {
	case q.tries(w):
		return true
	case w == "medio" && inTheMiddleOf(q.words):
		// "se me cortó internet en medio del cuestionario": when it
		// happened, not what is asked.
		return true
	case userSituation(q.words, w):
		// "trabajo en una pyme", "vivo en Temuco", "estudio en la U":
		// where the user works, lives or studies is their story.
		return true
	case (kinWords[w] || occasionWords[w]) && !forWhom(q.words, w):
		// "quiero regalarle un curso a mi hermana pa su cumple": the
		// user's people and occasions are their story; "descuento para
		// hermanos" asks for a group's price (forWhom).
		return true
	}
	return false
}

// tries reports whether w says how often the user tried ("cada vez que
// intento", "ya probé varias veces"), unless the question counts the times.
func (q question) tries(w string) bool {
	return (w == "vez" || w == "veces" || w == "cada" && slices.Contains(q.words, "vez")) && q.counted != w
}

// statedBonus is the log-odds a passage gains when one of its sentences
// gives the kind asked and names everything the question names, and no
// rival passage does: "Silla de bebé: $4.990 por día" answers "¿cuánto
// cuesta la silla para la guagua?" however low the search scored a long
// list of accessories. Two rivals that both do leave the question as
// ambiguous as the search found it.
const statedBonus = 1.0

// titleAsks reports whether a candidate's own title (a FAQ entry's
// question, a section's heading) asks what the question asks: a value of
// the same kind, of one of the words the user wrote; or, for a question
// asking no value, a title that is a question or names a topic, sharing
// one of its words and asking nothing the user does not (the passage must
// cover the rest).
func (k *Knowledge) titleAsks(q question, r knowledge.Result) bool {
	if r.Kind == knowledge.KindEntry {
		// An entry's question is already weighed against the user's
		// (unasked, the search's title match); counted again, it
		// answered "¿cuánto vale el cambio de plaquetas si las gafas no
		// las compré con ustedes?" with the entry on glasses bought there,
		// and answered no question more.
		return false
	}
	title := ownTitle(r)
	if title == "" || askedKind(analysis.Words(title)) != q.asked {
		return false
	}
	terms := k.an.Terms(title)
	if q.asked == InfoGeneral && !knowledge.IsQuestion(title) && !(k.an.Language() == "es" && howToHeading(title)) && !namesTopic(terms) {
		return false
	}
	// Words of the title as written: a typo's near match ("intubar",
	// "incubación") is too weak a sign that the title asks the question.
	stems := map[string]bool{}
	for _, t := range terms {
		stems[t.Stem] = true
	}
	in := func(t analysis.QueryTerm) bool {
		return stems[t.Stem] || slices.ContainsFunc(t.Alts, func(a analysis.Alt) bool { return stems[a.Stem] })
	}
	content := func(t analysis.QueryTerm) bool {
		return t.Weight >= 1 && !kindWords[t.Word] && !questionWords[t.Word]
	}
	if q.asked == InfoGeneral {
		n := 0
		for _, t := range q.terms {
			if content(t) && in(t) {
				n++
			}
		}
		if n == 0 {
			return false
		}
		// The title asks nothing the user does not: "¿Cuál es la
		// temperatura de una persona contagiada?" is not "¿cómo se
		// contagia una persona?".
		_, extra := k.coverageOf(k.an.Query(title), q.text, q.asked)
		return len(extra) == 0
	}
	return slices.ContainsFunc(q.terms, func(t analysis.QueryTerm) bool { return content(t) && in(t) })
}

// namesTopic reports a heading, given as its terms, of two content words
// or more ("Pérdida de cédula", "Boleta o factura"): a question that covers
// all of them asks about what the section is about. One word ("Pagos")
// names a whole area, and says too little of which question it answers.
func namesTopic(title []analysis.Term) bool {
	n := 0
	for _, t := range title {
		if t.Weight >= 1 {
			n++
		}
	}
	return n >= 2
}

// howToHeading reports a Spanish heading that names a task by its
// infinitive ("Eliminar mi cuenta", "Cambiar el correo"): the section
// says how to do it.
func howToHeading(title string) bool {
	w := analysis.Words(title)
	if len(w) < 2 {
		return false
	}
	return len(w[0]) > 4 && (strings.HasSuffix(w[0], "ar") || strings.HasSuffix(w[0], "er") || strings.HasSuffix(w[0], "ir"))
}

// titleBonus is the log-odds a passage gains when its own question asks
// what the user asks and no other candidate's does (titleAsks). A FAQ's
// questions are written to be matched: twice the stated-sentence bonus
// answered 15 more questions than the same bonus on every set for 2 more
// answers from a neighbouring entry; more than that, more of those.
const titleBonus = 2.0

// statedTogether reports a sentence of the passage (under its title) that
// holds the kind asked and names every word of the question the passage
// names, when what the passage misses is only context
// (onlyContextMissing): the value is stated of the very thing asked about.
func (k *Knowledge) statedTogether(q question, r knowledge.Result) bool {
	title, passage := titleOf(r), r.Text
	// What is counted is stated as its count: "al menos 5 Mbps" states
	// the speed asked.
	countStated := func(missing []string, text string) []string {
		if q.counted != "" && slices.Contains(missing, q.counted) && k.countsNoun("", text, q.counted) {
			return slices.DeleteFunc(missing, func(w string) bool { return w == q.counted })
		}
		return missing
	}
	covered, missing := k.coverageOf(q.terms, title+"\n"+passage, q.asked)
	if m := countStated(missing, passage); len(m) < len(missing) {
		missing, covered = m, append(covered, q.counted)
	}
	if len(covered) == 0 && len(missing) == 0 {
		// "¿me pasan el número de ustedes?" names nothing but the kind:
		// a passage that gives one states it.
		return true
	}
	if !k.onlyContextMissing(q, r, covered, missing) || len(covered) == 0 {
		// No sentence covers what the whole passage does not.
		return false
	}
	units := answerUnits(passage)
	for i, u := range units {
		// A table's row is read under its header: "Cabaña 4p · $95.000 ·
		// $70.000" states the high season's price under "Tipo · Alta ·
		// Media".
		if _, m := k.coverageOf(q.terms, title+"\n"+tableHeader(units, i)+"\n"+u, q.asked); len(countStated(m, u)) == len(missing) && q.holdsAsked(u) {
			return true
		}
	}
	return false
}

// tableHeader returns the row naming the columns of the table units[i] is
// a row of, or "".
func tableHeader(units []string, i int) string {
	if !isTableRow(units[i]) {
		return ""
	}
	for j := i; j > 0 && isTableRow(units[j-1]); j-- {
		i = j - 1
	}
	if i < len(units)-1 && opensTable(units, i) {
		return units[i]
	}
	return ""
}

// onlyContextMissing reports whether the question's words a passage does
// not cover are all context: words the whole base has never seen, and not
// written as names ("me llegó la boleta *hoy* y no *cacho*…").
func (k *Knowledge) onlyContextMissing(q question, r knowledge.Result, covered, missing []string) bool {
	for _, w := range missing {
		if !slices.Contains(r.UnknownWords, w) || q.names[w] || isDigits(w) || qualifies(q.words, w, covered, k.an.Language() == "en") || hadObject(q.words, w) {
			return false
		}
	}
	return true
}

// hadObject reports whether w is what the question asks the thing has:
// "¿el seguro tiene *deducible*?", "does the plan have *roaming*?" asks
// about it, and a passage that never names it does not say.
func hadObject(words []string, w string) bool {
	for i, x := range words {
		if x != w {
			continue
		}
		j := i - 1
		for j > 0 && (determiners[words[j]] || indefinites[words[j]]) {
			j--
		}
		if j >= 0 && haveVerbs[words[j]] {
			return true
		}
	}
	return false
}

var haveVerbs = setOf("tiene", "tienen", "hay", "incluye", "incluyen", "trae", "traen", "has", "have", "include", "includes")

// qualifies reports whether w qualifies a covered word of the question:
// follows it ("tarjeta de *crédito*", "vacuna *triple*") or, in English,
// comes before it ("the *gold* card"). Such a word picks a variant of the
// thing the passage covers, and is no context.
func qualifies(words []string, w string, covered []string, english bool) bool {
	return qualified(words, w, covered, english) != ""
}

// qualified returns the covered word of the question that w qualifies
// (see qualifies), or "".
func qualified(words []string, w string, covered []string, english bool) string {
	link := func(x string) bool {
		return x == "de" || x == "del" || x == "of" || determiners[x]
	}
	for i, x := range words {
		if x != w {
			continue
		}
		step := -1
		if english {
			step = 1
		}
		for j := i + step; j >= 0 && j < len(words); j += step {
			if slices.Contains(covered, words[j]) {
				return words[j]
			}
			if !link(words[j]) {
				break
			}
		}
	}
	return ""
}

// otherVariant returns the name the passage gives the thing the question
// qualifies with w ("Ciudad" in "Plan Ciudad" when the question asks for
// "el plan libre", "Austral" in "tarjetas Banco Austral" for "tarjeta del
// banco de chile"), when the passage never says w: it speaks of other
// variants of the thing than the one asked. A variant is a name of two
// capitalised words, the thing's and its own ("Plan Ruta"); "" when the
// passage names none. Spanish only: English capitalises a sentence's
// first word and puts the variant first ("the Gold card").
func (k *Knowledge) otherVariant(q question, w string, covered []string, text string) string {
	if k.an.Language() == "en" || q.foreign {
		return ""
	}
	words := q.words
	noun := qualified(words, w, covered, false)
	if noun == "" {
		return ""
	}
	is := k.matcher(noun)
	// A name is read within a line: a heading ("## Notas") and the
	// sentence under it ("Cada curso…") are no "Notas Cada".
	for line := range strings.Lines(text) {
		fields := strings.Fields(line)
		for i := 0; i+1 < len(fields); i++ {
			fw, nw := analysis.Words(fields[i]), analysis.Words(fields[i+1])
			if len(fw) == 1 && len(nw) == 1 && is(fw[0]) && defaultVariant[nw[0]] && !strings.ContainsAny(fields[i], ".:;,") && !slices.Contains(words, nw[0]) {
				// "La consulta general cuesta $25.000" prices the default
				// variant of the thing, which says there are others: "la
				// consulta de urgencia" is one of them.
				return nw[0]
			}
			if len(fw) != 1 || len(nw) != 1 || !is(fw[0]) || !capitalised(fields[i]) || !capitalised(fields[i+1]) {
				continue
			}
			if strings.ContainsAny(fields[i], ".:;,") || analysis.IsStopWord(nw[0]) || slices.Contains(words, nw[0]) {
				continue
			}
			return nw[0]
		}
	}
	return ""
}

// defaultVariant are the words that name the ordinary variant of a thing
// ("consulta general", "plan básico", "envío normal").
var defaultVariant = setOf("general", "generales", "basico", "basica", "basicos", "basicas", "normal", "normales",
	"estandar", "regular", "regulares", "comun", "comunes", "simple", "simples")

// capitalised reports a word written with a capital and then a small
// letter ("Ciudad", not "RUT" or "ciudad").
func capitalised(f string) bool {
	r := []rune(strings.TrimLeft(f, "¿¡\"'(«*"))
	return len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1])
}

// negatedVariant returns the word of the question that "no" or "sin"
// turns into a variant of its own ("un corte *no programado*", "cursos
// *sin terminar*") when the passage covers the word but never negates it,
// or "". Only participles and adjectives of ability are read so: "la app
// no abre" negates a verb, which is the user's problem, not a variant.
func (k *Knowledge) negatedVariant(words, covered []string, text string) string {
	var tw []string
	for i, w := range words {
		if i+1 >= len(words) || (w != "no" && w != "sin" && w != "non") {
			continue
		}
		x := words[i+1]
		if !participleRe.MatchString(x) || !slices.Contains(covered, x) {
			continue
		}
		if tw == nil {
			tw = analysis.Words(text)
		}
		is := k.matcher(x)
		negated := false
		for j := 1; j < len(tw) && !negated; j++ {
			negated = is(tw[j]) && (tw[j-1] == "no" || tw[j-1] == "sin" || tw[j-1] == "non")
		}
		if !negated {
			return x
		}
	}
	return ""
}

var participleRe = regexp.MustCompile(`^\p{L}{3,}(?:ad[oa]s?|id[oa]s?|able|ables|ible|ibles)$`)

// askedBound returns the bound a question asks for ("máximo", "minimum"),
// when it asks one side only, or "".
func askedBound(words []string) string {
	var maxW, minW string
	for _, w := range words {
		switch {
		case maxWords[w]:
			maxW = w
		case minWords[w]:
			minW = w
		}
	}
	switch {
	case maxW != "" && minW == "":
		return maxW
	case minW != "" && maxW == "":
		return minW
	}
	return ""
}

var (
	maxWords = setOf("maximo", "maxima", "maximos", "maximas", "maximum", "max")
	minWords = setOf("minimo", "minima", "minimos", "minimas", "minimum", "min")
	// maxBoundRe and minBoundRe are how a passage states each side of a
	// bound.
	maxBoundRe    = regexp.MustCompile(`(?i)\bm[aá]xim[oa]s?\b|\bhasta\b|\bno m[aá]s de\b|\bo menos\b|\bno (?:puede|pueden|debe|deben) (?:superar|exceder)\b|\btope\b|\bl[ií]mite\b|\bup to\b|\bat most\b|\bmaximum\b|\bno more than\b|\bor (?:less|fewer)\b|\blimit\b`)
	boundsRangeRe = regexp.MustCompile(`(?i)\b\d+(?:[.,]\d+)?\s*(?:a|al|y|-|–|to|and)\s*\d+|\bentre\s+(?:el\s+|los\s+|las\s+)?\d|\bbetween\s+\d`)
	minBoundRe    = regexp.MustCompile(`(?i)\bm[ií]nim[oa]s?\b|\bal menos\b|\bo m[aá]s\b|\bdesde \d|\ba partir de \d|\bat least\b|\bor more\b|\bminimum\b|\bfrom \d`)
)

// unbounded reports a passage that states no bound and no figure; a digit
// inside a name ("soporte@c1do1.com") is no figure.
func unbounded(text string) bool {
	return !figureRe.MatchString(text) && !maxBoundRe.MatchString(text) && !minBoundRe.MatchString(text)
}

// figureRe is a number standing on its own.
var figureRe = regexp.MustCompile(`(?:^|[^\p{L}\p{N}])\d`)

// statesBound reports a passage that states the side of the bound asked.
func statesBound(asked, text string) bool {
	if maxWords[asked] {
		return maxBoundRe.MatchString(text)
	}
	return minBoundRe.MatchString(text)
}

// boundOfWhatIsAsked reports whether the bound a passage states is of the
// thing the question bounds: a score ("nota mínima") bounded by any
// figure, anything else by a figure counting it ("un mínimo de personas"
// against "desde 5 personas", not "versión mínima" against "al menos 1
// GB libre").
func (k *Knowledge) boundOfWhatIsAsked(words []string, b, text string) bool {
	noun := ""
	for i, w := range words {
		if w != b {
			continue
		}
		switch {
		case i+2 < len(words) && (words[i+1] == "de" || words[i+1] == "of"):
			noun = words[i+2]
		case i > 0:
			noun = words[i-1]
		}
	}
	if noun == "" {
		return false
	}
	if scoreNouns[noun] {
		return true
	}
	is := k.matcher(noun)
	tw := analysis.Words(text)
	for i := 0; i+1 < len(tw); i++ {
		if isDigits(tw[i]) && is(tw[i+1]) {
			return true
		}
	}
	return false
}

// boundWords name either side of a bound; scoreNouns name what a bound
// is set on ("nota mínima").
var (
	boundWords = union(maxWords, minWords)
	scoreNouns = setOf("nota", "notas", "puntaje", "puntajes", "porcentaje", "calificacion", "score", "grade", "mark")
)

// otherBoundOnly reports a passage that states the other side of the bound
// asked and not the side asked.
func otherBoundOnly(asked, text string) bool {
	if boundsRangeRe.MatchString(text) {
		// "de 1 a 36 cuotas" bounds both sides.
		return false
	}
	if maxWords[asked] {
		return minBoundRe.MatchString(text) && !maxBoundRe.MatchString(text)
	}
	return maxBoundRe.MatchString(text) && !minBoundRe.MatchString(text)
}

// opposite reports whether text names the opposite of the event w names
// ("cierra" for "abre"): a value given for closing is not the opening's.
func opposite(w, text string) bool {
	for i, group := range antonyms {
		if !group[w] {
			continue
		}
		other := antonyms[i^1]
		return slices.ContainsFunc(analysis.Words(text), func(x string) bool { return other[x] })
	}
	return false
}

// antonyms are pairs of word groups naming opposite events, each group
// followed by its opposite (folded forms). States ("cerrado", "closed")
// are left out: "domingos cerrado" is part of opening hours.
var antonyms = []map[string]bool{
	setOf("abrir", "abre", "abren", "abra", "abran", "apertura", "opens", "opening"),
	setOf("cerrar", "cierra", "cierran", "cierre", "cierren", "closes", "closing"),
	setOf("activar", "activa", "activan", "activacion", "activate", "activation"),
	setOf("desactivar", "desactiva", "desactivan", "desactivacion", "deactivate", "deactivation"),
	setOf("encender", "enciende", "encienden", "prender", "prende", "prenden"),
	setOf("apagar", "apaga", "apagan"),
	setOf("empezar", "empieza", "empiezan", "comenzar", "comienza", "comienzan", "iniciar", "inicia", "inician", "inicio", "comienzo", "start", "starts", "begin", "begins"),
	setOf("terminar", "termina", "terminan", "termino", "finalizar", "finaliza", "finalizan", "finalizacion", "end", "ends", "finish", "finishes"),
}

// countOfWhatIsAsked: when sentences of the passage give counts of what is
// counted, one of them must name every word of the question that the
// passage names somewhere: "Puedes repetir un cuestionario hasta 3 veces"
// does not say how many times the final exam may be retaken, though the
// passage names the final exam in another sentence. Words the passage
// never names are the question's context and need not be there.
func (k *Knowledge) countOfWhatIsAsked(q question, r knowledge.Result, counted string) bool {
	title := titleOf(r)
	covered, _ := k.coverageOf(q.terms, title+"\n"+r.Text, q.asked)
	counting := false
	units := answerUnits(r.Text)
	for i, u := range units {
		if !k.countsNoun("", u, counted) {
			continue
		}
		counting = true
		if i > 0 && k.namesOnlyWhatIsAsked(q, u, counted) {
			// "Cada curso tiene una evaluación final. Apruebas con un 70%
			// o más.": a sentence that names nothing the question does
			// not goes on about the one before it.
			u = units[i-1] + "\n" + u
		}
		_, missing := k.coverageOf(q.terms, title+"\n"+u, q.asked)
		if q.counting != nil {
			// The message's other questions ask other things.
			missing = slices.DeleteFunc(missing, func(w string) bool { return !slices.Contains(q.counting, w) })
		}
		// A word the whole base uses ("curso" in a base of courses) may be
		// said once for every sentence of the passage.
		if !slices.ContainsFunc(missing, func(w string) bool { return slices.Contains(covered, w) && r.Rarity[w] >= recordSubjectRarity }) {
			return true
		}
	}
	return !counting
}

// namesOnlyWhatIsAsked reports whether every content word of sentence,
// but its counts and the counted noun, is a word of the question: it
// introduces no other thing its count could be of.
func (k *Knowledge) namesOnlyWhatIsAsked(q question, sentence, counted string) bool {
	isCounted := k.matcher(counted)
	for _, t := range k.an.Terms(sentence) {
		if t.Weight < 1 || isDigits(t.Word) || isCounted(t.Word) || measureNouns[t.Word] {
			continue
		}
		is := k.matcher(t.Word)
		if !slices.ContainsFunc(q.words, is) {
			return false
		}
	}
	return true
}

// countingQuestion returns the words of the question that asks how many
// of counted in a message that asks several ("¿con cuánto se aprueba?
// ¿cuántas veces puedo repetir un cuestionario?"), with the question before
// it when it names nothing but the count ("…¿puedo repetirlo? ¿cuántas
// veces?"); nil for a message of one question.
func countingQuestion(raw, counted string) []string {
	parts := questionsIn(raw)
	if len(parts) < 2 || counted == "" {
		return nil
	}
	for i := len(parts) - 1; i >= 0; i-- {
		w := analysis.Words(parts[i])
		if !slices.Contains(w, counted) {
			continue
		}
		bare := !slices.ContainsFunc(w, func(x string) bool {
			return x != counted && !questionWords[x] && !kindWords[x] && !analysis.IsStopWord(x)
		})
		if bare && i > 0 {
			w = append(analysis.Words(parts[i-1]), w...)
		}
		return w
	}
	return nil
}

// covers is coverageOf for the question, remembered: the same candidates
// are read by more than one step of the decision. The slices returned are
// the question's own; callers copy before changing them.
func (k *Knowledge) covers(q question, text string) (covered, uncovered []string) {
	c, ok := q.covers[text]
	if !ok {
		c[0], c[1] = k.coverageOf(q.terms, text, q.asked)
		q.covers[text] = c
	}
	return slices.Clone(c[0]), slices.Clone(c[1])
}

// holdsAsked is holdsKind for the kind the question asks, remembered.
func (q question) holdsAsked(text string) bool {
	h, ok := q.held[text]
	if !ok {
		h = holdsKind(q.asked, text)
		if h && q.asked == InfoHours && q.clock {
			// "¿a qué hora empieza el recital?": "el último sábado de
			// junio" says the day, not the time.
			h = clockRe.MatchString(text)
		}
		if h && q.asked == InfoHours && q.end {
			// "¿a qué hora termina la fiesta?": "sábado, 10:00" says when
			// it starts; the end is a range's or an "hasta".
			h = hoursRangeRe.MatchString(text)
		}
		if h && q.asked == InfoTime && q.lasting {
			// "¿cuánto duran las sesiones en vivo?": "se publican dentro
			// de las 24 horas siguientes", "puedes retomarlo durante los
			// 10 minutos siguientes" are windows for something else to
			// happen in, not how long anything lasts.
			h = timeRe.MatchString(q.withoutOthersWindows(roundTheClockRe.ReplaceAllString(text, " ")))
		}
		if h && q.asked == InfoTime && !q.lasting && slices.ContainsFunc(q.words, func(x string) bool { return delayWords[x] }) {
			// "¿cuánto tarda la visa de estudiante?": "un pasaporte con al
			// menos 6 meses de vigencia" is how long a document stays
			// valid, not how long anything takes.
			h = timeRe.MatchString(validityRe.ReplaceAllString(roundTheClockRe.ReplaceAllString(text, " "), " "))
		}
		if h && q.asked == InfoAmount && !q.inclusion {
			// "con almuerzo incluido" says what comes with it, not what
			// it costs: only a question about what is included takes it.
			h = amountRe.MatchString(text)
		}
		q.held[text] = h
	}
	return h
}

// titleOf is what a passage answers by its own account: an entry's
// question, or a chunk's heading.
func titleOf(r knowledge.Result) string {
	if r.Kind == knowledge.KindEntry {
		return r.Question
	}
	return r.Heading
}

// entryFactor multiplies the cost of a word the base knows that an entry
// does not cover.
const entryFactor = 2.0

// ownTitle is a passage's title when it describes the passage, and "" when
// it is the document's name over every passage ("Manual de soporte"),
// which names everything in it and so nothing in particular.
func ownTitle(r knowledge.Result) string {
	if r.Kind == knowledge.KindEntry || r.Titled {
		return titleOf(r)
	}
	return ""
}

// namedFactor: the thing a yes-or-no question names missing from a passage
// costs three times another missing word. A passage on the web browsers
// that says "funciona" and "conexión" does not answer "¿la app funciona sin
// conexión?": it answers the question for something else.
const namedFactor = 3.0

// paymentWords name a way of paying: a passage that lists cards does not
// say a bank transfer is taken.
var paymentWords = setOf("transferencia", "transferencias", "efectivo", "cheque", "cheques", "paypal", "webpay", "redcompra", "debito", "mach", "khipu", "mercadopago",
	"bitcoin", "cripto", "criptomonedas", "transfer", "cash", "check", "debit", "crypto",
	// Paying by instalments is a way of paying too: "¿puedo pagar en
	// cuotas?" against a page that never says "cuotas".
	"cuotas", "installments", "instalments")

// channelWords name a way of reaching the company: a passage that gives a
// phone does not say that WhatsApp or Telegram answers on it.
var channelWords = setOf("whatsapp", "telegram", "instagram", "facebook", "messenger", "signal")

// permittedAction returns the verb a yes-or-no question asks leave for,
// right after "puedo", "se puede", "can I" ("¿puedo apelar…?"), or "".
func permittedAction(w []string) string {
	if slices.ContainsFunc(w, func(x string) bool { return questionWords[x] }) {
		// "¿cuántas veces lo puedo volver a dar?" asks a count.
		return ""
	}
	for i := 0; i+1 < len(w); i++ {
		if canWords[w[i]] && infinitive(w[i+1]) && len([]rune(w[i+1])) >= 4 && (i == 0 || w[i-1] != "me" && w[i-1] != "nos") {
			// "¿me puede indicar…?" asks a favour, not leave.
			return w[i+1]
		}
	}
	return ""
}

var canWords = setOf("puedo", "puede", "pueden", "podemos", "can")

// weekdays in order, folded: a range "de lunes a viernes" covers those
// between.
var weekdays = []string{"lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"}

var attendWords = setOf("atiende", "atienden", "abierto", "abierta", "funciona", "funcionan")

// weekdayOf returns the weekday w names ("sábados" → "sabado"), or "".
func weekdayOf(w string) string {
	if slices.Contains(weekdays, w) {
		return w
	}
	if one := strings.TrimSuffix(w, "s"); slices.Contains(weekdays, one) {
		return one
	}
	return ""
}

// weekdayAsked returns the one weekday whose hours a question asks, named
// in the same question as the hours ("¿abre el domingo?"), or "". "¿a qué
// hora atienden? ¿y los sábados?" asks the hours first, answered alone.
func weekdayAsked(text string) string {
	found := ""
	for _, piece := range strings.Split(text, "?") {
		w := analysis.Words(piece)
		if !slices.ContainsFunc(w, func(x string) bool { return hoursWords[x] || attendWords[x] }) {
			continue
		}
		for i, x := range w {
			d := weekdayOf(x)
			if d == "" || i > 0 && !determiners[w[i-1]] && w[i-1] != "en" && w[i-1] != "on" && !hoursWords[w[i-1]] && !attendWords[w[i-1]] {
				// "es domingo y tengo un problema": the user's day, not
				// the one asked.
				continue
			}
			if found != "" && found != d {
				return ""
			}
			found = d
		}
	}
	return found
}

// daysCover reports whether the words of a passage name day, or a range
// of days that takes it in ("de lunes a sábado", "todos los días").
func daysCover(w []string, day string) bool {
	at := slices.Index(weekdays, day)
	for i, x := range w {
		d := weekdayOf(x)
		if d == day {
			return true
		}
		if x == "todos" && i+2 < len(w) && w[i+2] == "dias" || x == "diario" || x == "diariamente" {
			return true
		}
		if d == "" || i+2 >= len(w) || w[i+1] != "a" && w[i+1] != "y" && w[i+1] != "al" {
			continue
		}
		if e := weekdayOf(w[i+2]); e != "" && w[i+1] != "y" {
			from, to := slices.Index(weekdays, d), slices.Index(weekdays, e)
			if from <= at && at <= to {
				return true
			}
		}
	}
	return false
}

// alternatives returns the two options of a question that asks to choose
// ("¿viene en excel o en csv?", "¿automático o mecánico?"): the content
// words either side of "o" or "or", past prepositions and articles.
func alternatives(w []string) (string, string) {
	content := func(x string) bool {
		return len([]rune(x)) >= 3 && !analysis.IsStopWord(x) && !questionWords[x] && !isDigits(x)
	}
	for i, x := range w {
		if (x != "o" && x != "or") || i == 0 || i+1 == len(w) {
			continue
		}
		l, r := i-1, i+1
		for l > 0 && !content(w[l]) && (determiners[w[l]] || w[l] == "en" || w[l] == "de" || w[l] == "por" || w[l] == "in" || w[l] == "by") {
			l--
		}
		for r+1 < len(w) && !content(w[r]) && (determiners[w[r]] || w[r] == "en" || w[r] == "de" || w[r] == "por" || w[r] == "in" || w[r] == "by") {
			r++
		}
		if content(w[l]) && content(w[r]) && !slices.ContainsFunc(w[r+1:], content) {
			// The options end the question: "busco pega de peoneta o
			// repartidor, ¿a dónde mando el currículum?" tells a story,
			// and "messages sent or received on a particular day" are
			// either.
			return w[l], w[r]
		}
	}
	return "", ""
}

// byMeans reports whether w is the means by which something is asked to be
// done: "¿se puede pedir hora por teléfono?", "can I apply by email?"; a
// passage that never names it does not offer it.
func byMeans(words []string, w string) bool {
	if !meansWords[w] {
		return false
	}
	for i, x := range words {
		if x != w || i == 0 || words[i-1] != "por" && words[i-1] != "via" && words[i-1] != "by" {
			continue
		}
		// "¿hay chat en vivo o solo por correo?" offers the means as the
		// other of a choice.
		if !slices.ContainsFunc(words[:i], func(y string) bool { return y == "o" || y == "or" }) {
			return true
		}
	}
	return false
}

var meansWords = setOf("telefono", "fono", "correo", "mail", "email", "chat", "carta", "internet", "web", "phone", "post")

// forWhom reports whether w is who or what a value is asked for: the noun
// after "para" or "for" ("para extranjeros", "for teams"), not a purpose
// ("para reservar").
func forWhom(words []string, w string) bool {
	for i, x := range words {
		if x != w || i == 0 || isDigits(w) || len([]rune(w)) < 4 {
			continue
		}
		j := i - 1
		for j > 0 && determiners[words[j]] {
			j--
		}
		if (words[j] == "para" || words[j] == "for") && !infinitive(w) && !timeAdverbs[w] {
			return true
		}
	}
	return false
}

// forWhomRarity: the group a value is asked for must single out a few
// passages of the base, as a name does; "la vacuna para el virus" in a base
// about the virus asks for no other vaccine.
const forWhomRarity = 0.5

var timeAdverbs = setOf("dentro", "siempre", "despues", "antes", "manana", "hoy", "luego", "cuando", "entonces", "ahora", "later", "now", "today", "tomorrow", "ever")

// infinitive reports a Spanish infinitive, with or without an attached
// pronoun ("reservar", "pagarlo"), or an English -ing form.
func infinitive(w string) bool {
	for _, pron := range [...]string{"", "lo", "la", "los", "las", "le", "les", "me", "te", "se", "nos"} {
		b, ok := strings.CutSuffix(w, pron)
		if ok && (strings.HasSuffix(b, "ar") || strings.HasSuffix(b, "er") || strings.HasSuffix(b, "ir")) {
			return true
		}
	}
	return strings.HasSuffix(w, "ing")
}

// languageWords name languages: "¿los cursos tienen subtítulos en
// francés?" asks about one the passage must name, as a channel.
var languageWords = setOf("espanol", "castellano", "ingles", "frances", "portugues", "aleman", "italiano", "chino", "mandarin", "japones", "coreano", "ruso", "arabe", "hebreo", "catalan", "quechua", "mapudungun", "aimara",
	"spanish", "english", "french", "portuguese", "german", "italian", "chinese", "japanese", "korean", "russian", "arabic")

// unknownNameCost is the cost, in log-odds, of a name the user wrote that
// the whole base never mentions ("¿dónde está el campus de Valdivia?"
// against a base whose one campus is in Temuco): the question is about
// it, and a passage however close in words is about something else. It
// outweighs any retrieval score short of certainty.
const unknownNameCost = 6.0

// determiners introduce the thing a question names.
var determiners = setOf("el", "la", "los", "las", "mi", "mis", "tu", "tus", "su", "sus", "the", "my", "your", "our")

// namedThing returns the thing a yes-or-no question asks about: the first
// word after a determiner, in a question without a question word ("¿la app
// funciona sin conexión?", "¿puedo pagar la matrícula en cuotas?", "does
// the course include a certificate?"), or in one opening with "qué" or
// "cuál" ("¿qué descuento tienen los estudiantes?"). A passage that never
// mentions it answers a question about something else, however much of the
// rest it covers.
func namedThing(w []string) string {
	for i, x := range w {
		if questionWords[x] && !(x == "que" && i > 0) && !(i == 0 && (x == "que" || x == "cual")) {
			return ""
		}
	}
	for i := 0; i+1 < len(w); i++ {
		if determiners[w[i]] && len([]rune(w[i+1])) >= 3 && !kinWords[w[i+1]] {
			return w[i+1]
		}
	}
	return ""
}

var dateNouns = setOf("fecha", "fechas", "date", "dates")

var inclusionWords = setOf("incluido", "incluida", "incluidos", "incluidas", "incluye", "incluyen", "incluir", "include", "includes", "included", "including")

// inTheMiddleOf reports "en medio de/del" in words.
func inTheMiddleOf(words []string) bool {
	for i := 1; i+1 < len(words); i++ {
		if words[i] == "medio" && words[i-1] == "en" && (words[i+1] == "de" || words[i+1] == "del") {
			return true
		}
	}
	return false
}

// userSituation reports w as the verb of the user's situation: "trabajo",
// "vivo", "estudio" followed by a situationLinks word ("vivo en Temuco",
// "vivo con mi señora"), not after an article ("el trabajo de título"
// names a thing).
func userSituation(words []string, w string) bool {
	if !situationVerbs[w] {
		return false
	}
	for i, x := range words {
		if x == w && i+1 < len(words) && situationLinks[words[i+1]] && (i == 0 || !determiners[words[i-1]]) {
			return true
		}
	}
	return false
}

var situationLinks = setOf("en", "como", "de", "con", "in", "as", "with")

var situationVerbs = setOf("trabajo", "vivo", "estudio", "work", "live", "study")

// kinWords name the user's people: "mi hijo es celíaco, ¿tienen menú para
// él?" asks about the menu; the son is the user's story.
var kinWords = setOf("hijo", "hija", "hijos", "hijas", "mama", "mami", "madre", "papa", "papi", "padre", "padres", "esposo", "esposa", "marido", "senora", "pareja", "pololo", "polola",
	"novio", "novia", "abuelo", "abuela", "abuelita", "abuelito", "abuelos", "hermano", "hermana", "hermanos", "tio", "tia", "sobrino", "sobrina", "nieto", "nieta", "nietos", "guagua", "bebe", "familia",
	"son", "daughter", "kids", "children", "mother", "mom", "father", "dad", "wife", "husband", "partner", "brother", "sister", "grandmother", "grandfather", "baby", "family")

// periodWords name the period a price is for.
var periodWords = setOf("anual", "anuales", "mensual", "mensuales", "semanal", "semanales", "diario", "diaria", "trimestral", "semestral", "bimestral",
	"annual", "annually", "yearly", "monthly", "weekly", "daily", "quarterly")

// measureWords name the quantity a price is for: "¿cuánto vale el kilo?"
// against prices by the 250 g bag asks another price.
var measureWords = setOf("kilo", "kilos", "kg", "gramo", "gramos", "libra", "libras", "litro", "litros", "metro", "metros", "tonelada", "toneladas",
	"pound", "pounds", "lb", "lbs", "gallon", "gallons", "liter", "liters", "litre", "litres", "metre", "metres")

// halfPeriod reports whether w halves the period after it: "¿se puede
// hacer solo *medio* día? ¿cuánto sale?" asks another price than the
// day's; "1 plaza y media" is a number.
func halfPeriod(words []string, w string) bool {
	i := slices.Index(words, w)
	return (w == "medio" || w == "media" || w == "half") && i >= 0 && i+1 < len(words) && periodNouns[words[i+1]]
}

var periodNouns = setOf("dia", "jornada", "semana", "mes", "ano", "temporada", "day", "week", "month", "year", "season")

// occasionWords name the occasion of a request, not what it asks for.
var occasionWords = setOf("cumple", "cumpleanos", "navidad", "aniversario", "matrimonio", "vacaciones", "birthday", "christmas", "anniversary", "wedding", "holidays", "vacation")

// countBounds qualify a count without naming what is counted.
var countBounds = setOf("maximo", "minimo", "max", "min", "maximas", "maximos", "minimas", "minimos", "aprox", "aproximadamente", "mas", "menos", "como", "maximum", "minimum", "most", "least", "approximately")

var timeUnits = setOf("segundos", "minutos", "horas", "dias", "semanas", "meses", "anos", "seconds", "minutes", "hours", "days", "weeks", "months", "years")

// countedNoun returns what a how-many question counts or a how-much
// question measures: the word after "cuántos"/"cuántas"/"how many"
// ("¿cuántas preguntas tiene la evaluación?" counts "preguntas"), or the
// measure a value word asks for ("¿cuál es el tamaño máximo del
// archivo?"), or "" when there is none.
func countedNoun(w []string) string {
	// "what's the maximum file size": the "s" is no word between the
	// asking word and the measure.
	w = withoutSplitS(w)
	for i := 0; i+1 < len(w); i++ {
		j := i + 1
		switch {
		case w[i] == "cuantos" || w[i] == "cuantas":
		case w[i] == "how" && w[j] == "many":
			j++
		default:
			continue
		}
		for ; j < len(w); j++ {
			if timeUnits[w[j]] {
				// "¿cuántos días dura?" asks how long; the passage may say
				// it without the unit ("no hay un tiempo fijo").
				return ""
			}
			if countBounds[w[j]] {
				// "¿en cuántas máximo?": the bound is no thing counted.
				continue
			}
			if j+1 < len(w) && (w[j+1] == "free" || w[j+1] == "based") {
				// "how many interest-free installments": the thing is
				// after its modifier.
				j++
				continue
			}
			if sortNouns[w[j]] && j+2 < len(w) && (w[j+1] == "de" || w[j+1] == "of") {
				// "¿cuántos tipos de pruebas…?" counts tests.
				j++
				continue
			}
			if len([]rune(w[j])) >= 3 && !analysis.IsStopWord(w[j]) {
				return w[j]
			}
			if !determiners[w[j]] && w[j] != "de" && w[j] != "of" {
				return ""
			}
		}
	}
	for i, x := range w {
		if measureNouns[x] && askedOf(w, i) {
			if quantityNouns[x] && i+2 < len(w) && (w[i+1] == "de" || w[i+1] == "of") && len([]rune(w[i+2])) >= 3 && !analysis.IsStopWord(w[i+2]) {
				// "¿cuál es el mínimo de personas?" counts people.
				return w[i+2]
			}
			if maxWords[x] || minWords[x] {
				// "what's the minimum score?", "¿nota mínima?": a bound is
				// no thing measured; the figure is the answer.
				continue
			}
			return x
		}
	}
	return ""
}

// quantityNouns bound or measure a count of what follows them.
var quantityNouns = setOf("tope", "topes", "limite", "maximo", "maxima", "minimo", "minima", "cantidad", "capacidad", "limit", "maximum", "minimum", "amount", "capacity")

// askedOf reports a word asking for a value ("cuál", "what") before the
// measure w[i], with at most two content words between them: "¿cuál es
// el tamaño?", "what is the maximum file size?". "Que" is as often "that"
// and asks only with no content word between ("¿qué peso máximo…?").
func askedOf(w []string, i int) bool {
	content := 0
	for j := i - 1; j >= 0 && content <= 2; j-- {
		if valueWords[w[j]] && (w[j] != "que" || content == 0) {
			return true
		}
		if !analysis.IsStopWord(w[j]) {
			content++
		}
	}
	return false
}

// sortNouns say "kinds of" the thing counted.
var sortNouns = setOf("tipo", "tipos", "clase", "clases", "forma", "formas", "manera", "maneras", "variedad", "variedades", "type", "types", "kind", "kinds", "sort", "sorts")

// measureNouns name a quantity: "¿cuál es el tamaño máximo…?", "what is
// the size limit…?" ask for a number as much as "¿cuántos…?" does.
var measureNouns = setOf("tope", "topes", "tamano", "peso", "version", "versiones", "capacidad", "limite", "maximo", "maxima", "minimo", "minima", "cantidad", "porcentaje", "velocidad", "tasa",
	"size", "weight", "version", "versions", "capacity", "limit", "maximum", "minimum", "amount", "percentage", "speed", "rate")

var (
	// A rate is stated as a percentage: "la tasa de interés es 12% anual".
	percentNouns = setOf("porcentaje", "percentage", "percent", "tasa", "rate")
	percentRe    = regexp.MustCompile(`\d\s?%|\d\s+(?:por ciento|percent)`)
)

// countedSpan is how many words may separate a measure from its value:
// "tamaño máximo de 20 MB", "pesar hasta 20 MB de tamaño".
const countedSpan = 3

// countRe is a number word, folded; not the article "un"/"una".
var countRe = regexp.MustCompile(`^(?:uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|cuarenta|cincuenta|cien|ciento|cientos|mil|miles|ilimitad[oa]s?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|hundreds|thousand|thousands|unlimited)$`)

// countsNoun reports whether a passage gives a number of the counted
// thing (by stem, synonym or a one-letter typo): a number just before it or
// after its label, or for a measure ("tamaño") within countedSpan words. A
// passage whose numbers count other things ("apruebas con un 70%", "los 7
// días de la semana") does not say how many questions an exam has. A
// passage titled with the same count question ("¿Cuántas pruebas
// existen?") answers it whatever its form, a list included. Phone numbers,
// emails and web addresses count nothing.
func (k *Knowledge) countsNoun(title, text, noun string) bool {
	is := k.matcher(noun)
	if tw := analysis.Words(title); countedNoun(tw) != "" && slices.ContainsFunc(tw, is) {
		return true
	}
	for _, re := range []*regexp.Regexp{emailRe, urlRe, phoneRe} {
		// Removed without a space, so that what was glued to an address
		// stays glued.
		text = re.ReplaceAllString(text, "")
	}
	// Words as written, so that a digit glued to letters ("c1do1",
	// "Mindsmith+1") is not taken for a count.
	fields := strings.Fields(text)
	if percentNouns[noun] && percentRe.MatchString(text) {
		// A percentage is stated as one: "apruebas con un 70%".
		return true
	}
	if measureNouns[noun] {
		// A measure is stated under any of its names: "el peso máximo del
		// archivo" is given as "un tamaño máximo de 50 MB".
		isMeasure := func(f string) bool {
			return is(f) || measureNouns[analysis.Fold(strings.Trim(f, ".,;:()¿?¡!"))]
		}
		// A percentage is a measure's value too: "el mínimo para aprobar"
		// is "un 70% o más".
		_, near := valueNear(fields, isMeasure, countedSpan, func(i int) bool { return isCount(fields[i]) || percentRe.MatchString(fields[i]) })
		for i := 0; !near && i+1 < len(fields); i++ {
			// Or with its unit: "al menos 5 Mbps", "hasta 23 kg".
			near = isCount(fields[i]) && measureUnits[strings.ToLower(strings.Trim(fields[i+1], ".,;:()"))]
		}
		return near
	}
	// A count stands before what it counts ("hasta 3 veces", "dos
	// odontólogos") or after its label ("Cupos: 20"); "24 meses, con
	// controles mensuales" counts months, not check-ups.
	for i, f := range fields {
		if !slices.ContainsFunc(analysis.Words(f), is) {
			continue
		}
		for j := max(0, i-2); j < i; j++ {
			if isCount(fields[j]) {
				return true
			}
		}
		if strings.HasSuffix(f, ":") && i+1 < len(fields) && isCount(fields[i+1]) {
			return true
		}
	}
	return false
}

// matcher returns a test for a word that means noun: the same stem, a
// synonym's, or a one-letter typo of a longer word.
func (k *Knowledge) matcher(noun string) func(string) bool {
	stems := map[string]bool{k.an.Stem(noun): true}
	if q := k.an.Query(noun); len(q) > 0 {
		stems[q[0].Stem] = true
		for _, a := range q[0].Alts {
			stems[a.Stem] = true
		}
	}
	return func(w string) bool {
		return stems[k.an.Stem(w)] || len([]rune(noun)) >= 5 && analysis.WithinOneEdit(noun, w)
	}
}

// valueNear reports whether any of fields (words as written) mentions the
// thing, and whether a value lies within span fields of a mention (or is
// the mention: "pagos@example.com" is the payments address).
func valueNear(fields []string, is func(string) bool, span int, value func(int) bool) (mentioned, near bool) {
	for i, f := range fields {
		words := analysis.Words(f)
		if len(words) == 1 && analysis.OpensRole(words[0]) {
			// "gerente general" is the CEO only read together.
			words = append(words, analysis.Words(strings.Join(fields[i:min(i+4, len(fields))], " "))[0])
		}
		if !slices.ContainsFunc(words, is) {
			continue
		}
		mentioned = true
		for j := max(0, i-span); j <= min(len(fields)-1, i+span); j++ {
			if value(j) {
				return true, true
			}
		}
	}
	return mentioned, false
}

// ownerSpan is how far an email, phone or web address may be from whose it
// is: "Soporte técnico: soporte@…", "comuníquese con soporte técnico al
// 1800 123 4567", a label and its value on one line.
const ownerSpan = 8

// whoIs returns the role a "who is the…?" question asks about ("¿quién es
// el endodoncista?", "who is the head of sales?"), or "". The plural asks
// which people ("¿quiénes son las personas más vulnerables?"), not who.
func whoIs(w []string) string {
	for i := 0; i+3 < len(w); i++ {
		if (w[i] == "quien" || w[i] == "who") && (w[i+1] == "es" || w[i+1] == "is" || w[i+1] == "era" || w[i+1] == "was") && determiners[w[i+2]] &&
			len([]rune(w[i+3])) >= 3 && !analysis.IsStopWord(w[i+3]) {
			return w[i+3]
		}
	}
	return ""
}

// whoDoes returns what a "who does it?" question asks the doer of: the
// noun after "quién"/"who" and a verb of doing ("¿quién *dicta* el
// *taller* de cómic?", "who teaches the course?"), or "". "¿A quién le
// escribo?", "¿quién puede inscribirse?" and "¿quién es…?" ask no name.
func whoDoes(w []string) string {
	for i := 0; i+2 < len(w); i++ {
		if w[i] != "quien" && w[i] != "who" || i > 0 && prepositions[w[i-1]] {
			continue
		}
		if v := w[i+1]; notDoing[v] || analysis.IsStopWord(v) || len([]rune(v)) < 4 {
			continue
		}
		for j := i + 2; j < len(w) && j <= i+4; j++ {
			if determiners[w[j]] || w[j] == "de" || w[j] == "del" {
				continue
			}
			if len([]rune(w[j])) >= 4 && !analysis.IsStopWord(w[j]) {
				return w[j]
			}
			break
		}
	}
	return ""
}

// nameOf returns the person whose name a "¿cómo se llama el…?" question
// asks for when they are named by their trade ("¿cómo se llama el técnico
// que hace la mantención?", "what's the name of the teacher?"), or "".
func nameOf(w []string) string {
	for i, x := range w {
		if x != "llama" && x != "name" && x != "nombre" {
			continue
		}
		for j := i + 1; j < len(w) && j <= i+3; j++ {
			if occupationNouns[w[j]] {
				return w[j]
			}
		}
	}
	return ""
}

// occupationNouns name people by their trade.
var occupationNouns = setOf("tecnico", "tecnica", "tecnicos", "educador", "educadora", "educadoras", "profesor", "profesora", "profe", "doctor", "doctora", "medico", "medica",
	"enfermero", "enfermera", "ejecutivo", "ejecutiva", "vendedor", "vendedora", "instalador", "instaladora", "conductor", "conductora", "chofer", "guia", "entrenador", "entrenadora",
	"instructor", "instructora", "abogado", "abogada", "contador", "contadora", "nutricionista", "psicologo", "psicologa", "dentista", "tutor", "tutora", "asesor", "asesora",
	"coordinador", "coordinadora", "recepcionista", "technician", "teacher", "nurse", "trainer", "coach", "guide", "driver", "advisor", "coordinator")

// notDoing are verbs after "quién" that ask who may or who is, not who
// does: "¿quién puede postular?".
var notDoing = setOf("puede", "pueden", "podria", "debe", "deben", "tiene", "tienen", "necesita", "necesitan", "paga", "pagan", "can", "could", "should", "must", "needs", "pays", "qualifies")

// roleQualifiers returns the words that make a role one role: "de
// tecnología" in "¿quién es el gerente de tecnología?", "general" in "el
// gerente general", "sales" in "the head of sales". A passage naming the
// finance manager names someone else, however well "gerente" matches.
func (k *Knowledge) roleQualifiers(w []string, role string) []string {
	i := slices.Index(w, role)
	if i < 0 {
		return nil
	}
	var out []string
	for j := i + 1; j < len(w) && len(out) < 2; j++ {
		switch x := w[j]; {
		case x == "de" || x == "del" || x == "of" || determiners[x]:
			continue
		case analysis.IsStopWord(x) || questionWords[x] || k.selfReference(x) || roleNouns[x] || isDigits(x):
			return out
		default:
			out = append(out, x)
		}
	}
	return out
}

// ownerOf returns whose email, phone, web address or name a question asks
// for: the role of a who-is question ("¿quién es el CEO?"), the word after
// the noun and "de"/"del"/"para" ("¿cuál es el correo del gerente?",
// "teléfono de soporte"), or the English noun before it ("the support
// email"); "" when none is named. Frame words ("correo para consultas
// de…") are passed over.
func (k *Knowledge) ownerOf(w []string, asked InfoKind) string {
	var nouns map[string]bool
	switch asked {
	case InfoPerson:
		for _, x := range w {
			if roleNouns[x] {
				return x
			}
		}
		if r := whoIs(w); r != "" {
			return r
		}
		if r := nameOf(w); r != "" {
			return r
		}
		return whoDoes(w)
	case InfoEmail:
		nouns = union(emailNouns, addressNouns)
	case InfoPhone:
		nouns = union(phoneNouns, numberNouns)
	case InfoURL:
		nouns = urlNouns
	case InfoCode:
		return codeOf(w)
	case InfoTime:
		return k.lastsWhat(w)
	case InfoHours:
		// "¿a qué hora abre la oficina de Santa Inés?": that office's
		// hours, which a line naming it without them does not give.
		nouns = union(setOf("oficina", "sucursal", "sede", "local", "office", "branch"), branchNouns)
	case InfoName:
		for i, x := range w {
			if brandNouns[x] && (i > 0 && valueWords[w[i-1]] || i > 1 && valueWords[w[i-2]]) {
				return x
			}
		}
		return ""
	default:
		return ""
	}
	w = withoutSplitS(w)
	content := func(x string) bool {
		if len([]rune(x)) < 3 || questionWords[x] || kindWords[x] || determiners[x] || k.selfReference(x) {
			// "el teléfono de C1DO1" is the company's: every value of
			// its base is.
			return false
		}
		// Frame words ("consultas", "información") name no one.
		t := k.an.Terms(x)
		return len(t) == 1 && t[0].Weight >= 1
	}
	frame := func(x string) bool {
		t := k.an.Terms(x)
		return len(t) == 1 && t[0].Weight < 1
	}
	for i, x := range w {
		if !nouns[x] {
			continue
		}
		for j := i + 1; j < len(w); j++ {
			switch {
			case w[j] == "de" || w[j] == "del" || w[j] == "para" || w[j] == "of" || w[j] == "for" || determiners[w[j]] || indefinites[w[j]] || nouns[w[j]] || kindWords[w[j]]:
				continue
			case askingVerbs[w[j]]:
				// "¿a qué correo *escribo* para *pedir* un reembolso?":
				// whose address it is comes after what one does with it.
				continue
			case j == i+1 && content(w[j]) && j+1 < len(w) && (w[j+1] == "de" || w[j+1] == "del"):
				// "el celular *directo* de Carolina Méndez": a word that
				// qualifies the value comes before whose it is.
				continue
			case j > i+1 && content(w[j]):
				// "recursos humanos", "soporte técnico": the owner's
				// name may take two words.
				if j+1 < len(w) && content(w[j+1]) && !nouns[w[j+1]] && !askingVerbs[w[j+1]] {
					return w[j] + " " + w[j+1]
				}
				return w[j]
			case j > i+1 && frame(w[j]):
				continue
			}
			break
		}
		if i > 0 && content(w[i-1]) && !nouns[w[i-1]] {
			return w[i-1]
		}
	}
	return ""
}

// windowRe is a span of time something else happens within: "dentro de
// las 24 horas", "durante los 10 minutos siguientes", "within 48 hours".
var windowRe = regexp.MustCompile(`(?i)\b(?:dentro\s+de(?:l|\s+l[oa]s)?\s+(?:\d+|un|una|dos|tres)\s+\p{L}+(?:\s+h[aá]biles)?|(?:durante|en)\s+l[oa]s\s+(?:\d+|dos|tres)\s+\p{L}+(?:\s+h[aá]biles)?\s+(?:siguientes|posteriores|pr[oó]ximos|pr[oó]ximas)|within\s+(?:\d+|an?|one|two|three)\s+\p{L}+)`)

// withoutOthersWindows returns text without the windows (windowRe) that
// follow something else than what the question asks the length of: "abre
// el enlace dentro de las 48 horas" is how long the link lasts, "la
// grabación se publica dentro de las 24 horas" not how long a session does.
func (q question) withoutOthersWindows(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range windowRe.FindAllStringIndex(text, -1) {
		before := analysis.Words(text[last:m[0]])
		if q.owner != "" && slices.Contains(before[max(0, len(before)-2):], q.owner) {
			continue
		}
		b.WriteString(text[last:m[0]])
		b.WriteString(" ")
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// lastingWords ask how long something lasts or stays valid.
var lastingWords = setOf("dura", "duran", "durar", "duracion", "vigencia", "last", "lasts")

// lastsWhat returns what a how-long question asks the duration of: the
// first content word after "dura" ("¿cuánto duran *las clases* en vivo?"),
// or "". A passage that gives some duration, but not next to it, times
// something else: the quiz's ten minutes are not the live class's length.
func (k *Knowledge) lastsWhat(w []string) string {
	content := func(x string) bool {
		if len([]rune(x)) < 3 || questionWords[x] || timeNouns[x] || lastingWords[x] || determiners[x] || timeUnits[x] || countBounds[x] || analysis.IsStopWord(x) {
			return false
		}
		t := k.an.Terms(x)
		return len(t) == 1 && t[0].Weight >= 1
	}
	for i, x := range w {
		if !lastingWords[x] && !(x == "plazo" && i+1 < len(w) && (w[i+1] == "para" || w[i+1] == "pa")) {
			// "¿plazo para apelar?" asks the deadline of appealing.
			continue
		}
		for j := i + 1; j < len(w) && j <= i+3; j++ {
			if content(w[j]) {
				return w[j]
			}
		}
	}
	return ""
}

// variantRe: a lettered variant of a thing, or a list of them: "clase A",
// "tipo B2", "talla M", "tramo B, C o D".
var variantRe = regexp.MustCompile(`(?i:\b(?:clase|tipo|categor[ií]a|talla|grupo|tramo|nivel|class|type|category|size|tier|level))\s+([A-Z]\d?(?:\s*(?:,|(?i:y|o|and|or)\b)\s*[A-Z]\d?\b)*)\b`)

// variantLetterRe is one variant of such a list.
var variantLetterRe = regexp.MustCompile(`\b[A-Z]\d?\b`)

// variantsIn returns the lettered variants text names, as "A", "B2".
func variantsIn(text string) []string {
	var out []string
	for _, m := range variantRe.FindAllStringSubmatch(text, -1) {
		for _, v := range variantLetterRe.FindAllString(m[1], -1) {
			if v == "I" {
				// "What's the maximum file size I can upload?"
				continue
			}
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	// A letter and a digit name a variant by themselves ("la licencia
	// A4", "el curso B2"), and a range of them every one between
	// ("clases A1 a A5").
	for _, m := range variantRangeRe.FindAllStringSubmatch(text, -1) {
		if m[1] != m[3] || m[2] > m[4] {
			continue
		}
		for d := m[2][0]; d <= m[4][0]; d++ {
			if v := m[1] + string(d); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	for _, v := range letterDigitRe.FindAllString(text, -1) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

var (
	letterDigitRe  = regexp.MustCompile(`\b[A-Z]\d\b`)
	variantRangeRe = regexp.MustCompile(`\b([A-Z])(\d)\s+(?:a|al|hasta|to|-)\s+([A-Z])(\d)\b`)
)

var yearRe = regexp.MustCompile(`^(?:19|20)\d\d$`)

// situationYearRe: a year after a word that places something in time.
var situationYearRe = regexp.MustCompile(`(?i)\b(?:el|del|año|ano|en|para|desde|hasta|in|year|since|until)\s+((?:19|20)\d\d)\b`)

// situationRe: the user's clock time, date, time ago, and "los 2 X" that
// refers back (statedNumbers).
var situationRe = regexp.MustCompile(`(?i)\b(?:a|desde|hasta|como a|at|by|around)?\s*las?\s+\d{1,2}(?::\d{2})?(?:\s*(?:de la (?:mañana|manana|tarde|noche|madrugada)|am|pm|hrs?|horas))?\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.\s?m\.|p\.\s?m\.)|\b\d{1,2}\s+de\s+la\s+(?:mañana|manana|tarde|noche|madrugada)\b|\bhace\s+(?:como\s+|unos\s+|unas\s+|m[aá]s de\s+|casi\s+)?\d+\s+\p{L}+|\b\d+\s+(?:\p{L}+\s+)?ago\b|\b\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b|\b(?:los|las|the)\s+(?:2|3|two|three)\s+\p{L}+`)

var timingRe = regexp.MustCompile(`(?i)\d+\s*(?:h|hrs?|horas?|minutos?|mins?|d[ií]as?|semanas?|hours?|minutes?|days?|weeks?)\s+(?:antes|despu[eé]s|de anticipaci[oó]n|de antelaci[oó]n|de retraso|de atraso|tarde|before|after|late|early|in advance|ahead)\b`)

// numberTokenRe is a number as written, with its thousands, decimal or time
// separators, not glued to a word ("2do", "5G", "covid-19" are names).
var numberTokenRe = regexp.MustCompile(`(?:^|[^\p{L}\p{N}\-])(\d+(?:[.,:]\d+)*)(?:$|[^\p{L}\p{N}])`)

// statedNumbers returns the numbers a question states, separators removed.
func statedNumbers(text string) []string {
	var out []string
	// "si anulo 2 días antes", "10 hours late": a time the user places
	// themselves at is a case of a rule the passage states in its own
	// thresholds ("con más de 24 horas de anticipación"), not a variant
	// the passage must name.
	text = timingRe.ReplaceAllString(text, " ")
	// So is the clock time, the date or the time ago of the user's own
	// situation ("hice el pedido a las 4 de la tarde", "me recetaron el
	// antibiótico hace 2 semanas", "reservé para el 10 de enero"), and "los
	// 2 descuentos" refers back to things already named.
	text = situationRe.ReplaceAllString(text, " ")
	// "ya probé como 5 veces", "me rechazaron el pago 2 veces": how often
	// something happened to the user.
	text = timesRe.ReplaceAllString(text, " ")
	halves := andAHalf(text)
	for _, m := range numberTokenRe.FindAllStringSubmatch(text, -1) {
		n := numberSeparators.Replace(m[1])
		if halves[n] {
			// "un plumón de 1 plaza y media" is not the 1-plaza one.
			n += "5"
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// timesRe: a number of times something was tried or happened, in the past
// ("probé 5 veces", "me rechazaron el pago 2 veces"); "¿puedo repetirlo 5
// veces?" states a variant and is kept.
var timesRe = regexp.MustCompile(`(?i)\b(?:probé|probe|intenté|intente|traté|trate|puse|ingresé|ingrese|rechazaron|rechazó|rechazo|ya|como|unas)\s+(?:\p{L}+\s+){0,4}?\d+\s+veces\b`)

// halfRe: a number and a half, "1 plaza y media", "2 y medio".
var halfRe = regexp.MustCompile(`(?i)\b(\d+)\s+(?:\p{L}+\s+)?y\s+medi[oa]\b`)

// andAHalf returns the numbers text gives with "y medio/media" after them.
func andAHalf(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range halfRe.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
	}
	return out
}

// numberUnits returns, for each number a question states, the word for
// what it counts: the word after it ("6 noches"), or the one a verb implies
// ("mis hijos tienen 10 y 12": years; "somos 5": people).
func numberUnits(text string) map[string]string {
	w := analysis.Words(text)
	joins := func(x string) bool { return x == "y" || x == "o" || x == "and" || x == "or" }
	out := map[string]string{}
	for i := 0; i < len(w); i++ {
		if !isDigits(w[i]) {
			continue
		}
		// A group of numbers ("10 y 12") counts one thing.
		j := i
		for j+1 < len(w) && (isDigits(w[j+1]) || joins(w[j+1])) {
			j++
		}
		unit := ""
		switch {
		case i > 0 && ageVerbs[w[i-1]] && (j+1 == len(w) || !durationUnits[w[j+1]]):
			unit = "anos"
		case i > 0 && (w[i-1] == "somos" || w[i-1] == "seremos"):
			unit = "personas"
		case j+1 < len(w):
			unit = w[j+1]
		}
		for k := i; k <= j; k++ {
			if isDigits(w[k]) {
				out[w[k]] = unit
			}
		}
		i = j
	}
	return out
}

var ageVerbs = setOf("tiene", "tienen", "tengo", "tenemos", "cumple", "cumplen", "cumplo")

// unitName is a unit of measure by one name: "kg" and "kilos" weigh the
// same.
func unitName(u string) string {
	if n, ok := unitNames[u]; ok {
		return n
	}
	return u
}

var unitNames = map[string]string{
	"kg": "kilos", "kgs": "kilos", "kilo": "kilos", "kilogramos": "kilos", "kilogramo": "kilos",
	"g": "gramos", "gr": "gramos", "grs": "gramos",
	"cm": "centimetros", "cms": "centimetros", "m": "metros", "mts": "metros", "km": "kilometros", "kms": "kilometros",
	"h": "horas", "hr": "horas", "hrs": "horas", "hora": "horas", "min": "minutos", "mins": "minutos",
	"lt": "litros", "lts": "litros", "l": "litros", "ml": "mililitros",
	"lb": "libras", "lbs": "libras", "pounds": "libras", "kgm": "kilos",
}

// Thresholds and ranges with what they count: "menores de 4 años", "desde
// 5 noches", "5 noches o más", "de 4 a 11 años", "4-11 years".
var (
	lowerBoundRe = regexp.MustCompile(`(?i)\b(desde|a partir de|m[ií]nimo(?: de)?|at least|from|mayores de|mayor de|m[aá]s de|sobre|over|more than)\s+(?:en |los |las |the )?(\d+)\s+(\p{L}+)`)
	upperBoundRe = regexp.MustCompile(`(?i)\b(hasta|dentro de|m[aá]ximo(?: de)?|up to|within|menores de|menor de|menos de|bajo|under|less than)\s+(?:en |los |las |the )?(\d+)\s+(\p{L}+)`)
	orMoreRe     = regexp.MustCompile(`(?i)(\d+)\s+(\p{L}+)\s+(o m[aá]s|y m[aá]s|en adelante|or more|and over|and up|o menos|or less)\b`)
	betweenRe    = regexp.MustCompile(`(?i)\b(?:de|entre|from|between)?\s*(\d+)[°º]?\s*(?:a|-|–|to|y|and)\s*(\d+)[°º]?\s+(\p{L}+)`)
	// The unit first: "hasta la semana 27", "desde la semana 36", "entre
	// la semana 28 y la 35".
	unitFirstRe   = regexp.MustCompile(`(?i)\b(desde|a partir de|hasta|antes de|from|until|up to)\s+(?:la |el |the )?(\p{L}+)\s+(\d+)`)
	unitBetweenRe = regexp.MustCompile(`(?i)\b(?:entre|between)\s+(?:la |el |the )?(\p{L}+)\s+(\d+)\s+(?:y|and)\s+(?:la |el |the )?(\d+)`)
)

// inStatedRange reports whether a passage states a threshold or a range
// of what a number counts that takes the number in: the user's "mi hijo de
// 7 años" is a case of "niños de 4 a 11 años", not a variant the passage
// must name; "12 cuotas" is no case of "hasta 6 cuotas".
func (k *Knowledge) inStatedRange(n, unit, passage string) bool {
	v, err := strconv.Atoi(n)
	if unit == "" || err != nil {
		return false
	}
	want := k.an.Stem(unitName(unit))
	same := func(u string) bool { return k.an.Stem(unitName(analysis.Fold(strings.ToLower(u)))) == want }
	num := func(s string) int { x, _ := strconv.Atoi(s); return x }
	strict := func(word string) bool {
		switch analysis.Fold(strings.ToLower(word)) {
		case "mayores de", "mayor de", "mas de", "sobre", "over", "more than", "menores de", "menor de", "menos de", "bajo", "under", "less than":
			return true
		}
		return false
	}
	for _, m := range lowerBoundRe.FindAllStringSubmatch(passage, -1) {
		if b := num(m[2]); same(m[3]) && (v > b || v == b && !strict(m[1])) {
			return true
		}
	}
	for _, m := range upperBoundRe.FindAllStringSubmatch(passage, -1) {
		if b := num(m[2]); same(m[3]) && (v < b || v == b && !strict(m[1])) {
			return true
		}
	}
	for _, m := range orMoreRe.FindAllStringSubmatch(passage, -1) {
		more := !strings.Contains(analysis.Fold(strings.ToLower(m[3])), "menos") && !strings.Contains(strings.ToLower(m[3]), "less")
		if b := num(m[1]); same(m[2]) && (more && v >= b || !more && v <= b) {
			return true
		}
	}
	for _, m := range unitFirstRe.FindAllStringSubmatch(passage, -1) {
		b := num(m[3])
		switch strings.ToLower(analysis.Fold(m[1])) {
		case "desde", "a partir de", "from":
			if same(m[2]) && v >= b {
				return true
			}
		default:
			if same(m[2]) && v <= b {
				return true
			}
		}
	}
	for _, m := range unitBetweenRe.FindAllStringSubmatch(passage, -1) {
		if lo, hi := num(m[2]), num(m[3]); same(m[1]) && lo <= v && v <= hi {
			return true
		}
	}
	for _, m := range betweenRe.FindAllStringSubmatch(passage, -1) {
		if lo, hi := num(m[1]), num(m[2]); same(m[3]) && lo <= v && v <= hi {
			return true
		}
	}
	return false
}

// numbersIn returns the numbers a text states: each as written without
// separators and its whole part ("9:00" states 9, "$49.990" states 49990),
// and those written in words.
// statedInUnit reports whether text states n as a duration of the unit the
// question gives it ("una clase de 3 horas"), when that unit is one of
// time: "hasta 3 personas" does not price three hours. A number asked
// without a unit of time is stated by any mention.
func (k *Knowledge) statedInUnit(q question, n, text string) bool {
	want := unitName(q.units[n])
	if !timeUnits[want] || !slices.Contains(unitsAfter(q.words, n), want) && !bareAge(q.words, n) {
		// No unit of time, or one read from the sentence rather than
		// written ("tengo 38 grados" is no age).
		return true
	}
	return slices.ContainsFunc(unitsAfter(analysis.Words(text), n), func(u string) bool { return u == "" || k.an.Stem(u) == k.an.Stem(want) })
}

// bareAge reports whether w gives n as someone's age without its unit:
// "mi hijo tiene 14 y le encanta el café" says 14 years as surely as "14
// años", and "tengo 38 grados" names its unit.
func bareAge(w []string, n string) bool {
	for i, x := range w {
		if x == n && i > 0 && ageVerbs[w[i-1]] && (i+1 == len(w) || analysis.IsStopWord(w[i+1])) {
			return true
		}
	}
	return false
}

// unitsAfter returns the word written after each mention of the number n in
// w (past the other numbers of a range: "2 a 3 horas"), as unitName names
// it; "" for a mention that ends the text.
func unitsAfter(w []string, n string) []string {
	var out []string
	for i, x := range w {
		if x != n {
			continue
		}
		j := i
		for j+1 < len(w) && (isDigits(w[j+1]) || rangeJoins[w[j+1]]) {
			j++
		}
		if j+1 == len(w) {
			out = append(out, "")
		} else {
			out = append(out, unitName(w[j+1]))
		}
	}
	return out
}

// confirmRe: a question that asks to confirm what the user remembers or was
// told: a tag at its end ("¿no?", "¿cierto?", "right?"), or a report ("me
// dijeron que…"). choiceRe: "¿… o no?" asks a choice.
var (
	confirmRe = regexp.MustCompile(`(?:\bno|\bcierto|\bverdad|\bcorrecto|\bes asi|\bright|\bcorrect|\btrue)\s*\?|\b(?:me dijeron|me dijo|tengo entendido|lei|escuche|i was told|i heard)\s+(?:que|that)\b`)
	choiceRe  = regexp.MustCompile(`\bo no\s*\?`)
)

// confirming reports a question that asks to confirm what the user
// remembers or was told (confirmRe), on folded lower-case text.
func confirming(folded string) bool {
	return confirmRe.MatchString(folded) && !choiceRe.MatchString(folded)
}

// delayWords ask how long something takes.
var delayWords = setOf("tarda", "tardan", "demora", "demoran", "take", "takes")

// validityRe: how long a thing stays valid ("6 meses de vigencia", "válido
// por 1 año", "valid for 30 days").
var validityRe = regexp.MustCompile(`(?i)\b\d+\s+(?:días|dias|semanas|meses|años|anos|days|weeks|months|years)\s+de\s+vigencia\b|\b(?:vigencia|válid[oa]s?|valid[oa]s?|valid|vigente)\s+(?:de|por|for)\s+(?:al menos\s+)?\d+\s+\p{L}+`)

// hoursNounRe: a sentence that speaks of opening hours.
var hoursNounRe = regexp.MustCompile(`(?i)\b(?:horarios?|hours|schedule)\b`)

// proposedKind is what a question confirming a remembered value asks, read
// from the unit of the number it offers: "la clave era de 6 caracteres,
// ¿no?" asks how many characters, "el link dura 24 horas, ¿no?" how long,
// "costaba 20 lucas, ¿cierto?" how much.
func proposedKind(numbers []string, units map[string]string) (InfoKind, string) {
	for _, n := range numbers {
		switch name := unitName(units[n]); {
		case timeUnits[name]:
			return InfoTime, ""
		case kindWordsOf[InfoAmount][name]:
			return InfoAmount, ""
		case len([]rune(name)) >= 3 && !analysis.IsStopWord(name) && !kindWords[name]:
			return InfoNumber, name
		}
	}
	return InfoGeneral, ""
}

// statesOtherOfUnit reports whether text states a number other than n of
// the unit the question gives n.
func (k *Knowledge) statesOtherOfUnit(n, unit, text string) bool {
	if unit == "" {
		return false
	}
	want := k.an.Stem(unitName(unit))
	w := analysis.Words(text)
	for m := range numbersIn(text) {
		if m == n {
			continue
		}
		if slices.ContainsFunc(unitsAfter(w, m), func(u string) bool { return u != "" && k.an.Stem(u) == want }) {
			return true
		}
	}
	return false
}

// rangeJoins join the numbers of a range or a choice: "2 a 3", "3 o 4".
var rangeJoins = setOf("y", "o", "a", "and", "or", "to")

func numbersIn(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range numberAnyRe.FindAllString(text, -1) {
		out[numberSeparators.Replace(m)] = true
		// The whole part of a clock time or a decimal ("9:00", "4,5"), not
		// of a thousand ("5.000" does not state 5).
		if i := strings.LastIndexAny(m, ".,:"); i > 0 && (m[i] == ':' || len(m)-i-1 < 3) {
			out[strings.FieldsFunc(m, func(r rune) bool { return r == '.' || r == ',' || r == ':' })[0]] = true
		}
	}
	for _, w := range analysis.Words(text) {
		if n, ok := numberWords[w]; ok {
			out[n] = true
		}
	}
	for n := range andAHalf(text) {
		out[n+"5"] = true
	}
	return out
}

func isDigits(w string) bool { return w != "" && strings.Trim(w, "0123456789") == "" }

var (
	numberAnyRe      = regexp.MustCompile(`\d+(?:[.,:]\d+)*`)
	numberSeparators = strings.NewReplacer(".", "", ",", "", ":", "")
)

var numberWords = map[string]string{
	"dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9", "diez": "10",
	"once": "11", "doce": "12", "quince": "15", "veinte": "20", "treinta": "30", "cuarenta": "40", "cincuenta": "50", "cien": "100", "mil": "1000",
	"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
	"eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
}

var indefinites = setOf("un", "una", "unos", "unas", "a", "an")

// askingVerbs are what one does with an address or a number, not whose it
// is.
var askingVerbs = setOf("escribo", "escribir", "escribe", "escribimos", "mando", "mandar", "envio", "enviar", "envia", "contacto", "contactar",
	"llamo", "llamar", "comunico", "comunicarme", "comunicar", "pido", "pedir", "solicito", "solicitar", "consulto", "consultar", "reclamo", "reclamar",
	"write", "send", "contact", "call", "ask", "request", "reach")

// reachVerbs are what one does to reach a person.
var reachVerbs = union(askingVerbs, setOf("hablo", "hablar", "talk", "speak"))

// asksWhomToReach reports "¿a quién le escribo?", "¿con quién hablo?", "who
// should I contact?": a question for a contact, put as a person.
func asksWhomToReach(w []string) bool {
	for i, x := range w {
		if x != "quien" && x != "who" {
			continue
		}
		for j := i + 1; j < len(w) && j <= i+3; j++ {
			if reachVerbs[w[j]] {
				return true
			}
		}
	}
	return false
}

// codeNouns name an identifier by themselves: tax ids and bank codes.
// idNouns name one after "número de" or before "number": "número de
// seguimiento", "order number".
var (
	codeNouns = setOf("rut", "nit", "cuit", "cuil", "rfc", "ruc", "dni", "nif", "cif", "curp", "iban", "clabe", "cbu", "swift", "folio", "ein", "vat", "tin", "ssn")
	idNouns   = setOf("seguimiento", "pedido", "orden", "cuenta", "cliente", "socio", "afiliado", "contrato", "poliza", "referencia", "serie", "confirmacion", "reserva", "ticket", "caso", "guia",
		"tracking", "order", "account", "customer", "member", "contract", "policy", "reference", "serial", "confirmation", "booking", "case", "tax")
)

// codeOf returns the identifier a question asks for ("rut", "seguimiento"
// in "¿cuál es el número de seguimiento?", "tracking" in "what is the
// tracking number?"), or "". A passage that only tells the user to enter
// or look up such a number gives none.
func codeOf(w []string) string {
	for i, x := range w {
		switch {
		case codeNouns[x]:
			return x
		case (x == "numero" || x == "codigo") && i+2 < len(w) && (w[i+1] == "de" || w[i+1] == "del") && idNouns[w[i+2]]:
			return w[i+2]
		case (x == "number" || x == "id" || x == "code") && i > 0 && idNouns[w[i-1]]:
			return w[i-1]
		}
	}
	return ""
}

// isCode reports whether a word as written is an identifier: four digits
// or more with separators only ("76.123.456-7"), or capitals and digits
// mixed ("1Z999AA1"). Amounts and clock times are not.
func isCode(f string) bool {
	f = strings.Trim(f, ".,;:()[]\"'«»¿?¡!")
	if f == "" || strings.ContainsAny(f, "$€£%:") {
		return false
	}
	digits, letters, lower := 0, 0, 0
	for _, r := range f {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
			if unicode.IsLower(r) {
				lower++
			}
		case r == '.' || r == '-' || r == '/':
		default:
			return false
		}
	}
	return digits >= 4 && letters == 0 || digits >= 1 && letters >= 1 && lower == 0 && digits+letters >= 4
}

// givesOwnersValue reports whether a passage gives the email, phone, web
// address or name of owner: a value of the kind within ownerSpan words of
// a mention of it, or any when its title names the owner. A passage that
// never mentions the owner is judged by its coverage instead (the missing
// word costs); one that mentions it far from every address ("Su gerente
// general es Rodrigo Alarcón" a paragraph after "Reclamos: reclamos@…")
// gives someone else's.
func (k *Knowledge) givesOwnersValue(title, text, owner string, asked InfoKind) bool {
	if !holdsKind(asked, text) {
		return false
	}
	mentioned, near := k.ownersValue(title, text, owner, asked)
	if asked == InfoPerson || asked == InfoName || asked == InfoCode {
		// A name or an identifier is someone's or something's only next
		// to them: a passage that never mentions the manager names no
		// manager, whatever names it holds.
		return near
	}
	return near || !mentioned
}

// ownersValue reports whether a passage mentions owner, and whether it
// gives a value of the kind next to the mention (givesOwnersValue).
func (k *Knowledge) ownersValue(title, text, owner string, asked InfoKind) (mentioned, near bool) {
	if rest := strings.Fields(owner); len(rest) > 1 {
		// Every word of a two-word owner must be in the passage:
		// "recursos@…" is not the address of "recursos humanos".
		words := analysis.Words(title + "\n" + text)
		for _, ow := range rest[1:] {
			if !slices.ContainsFunc(words, k.matcher(ow)) {
				return true, false
			}
		}
		owner = rest[0]
	}
	if asked == InfoPerson {
		return k.nameNear(text, owner)
	}
	if asked == InfoName {
		mentioned, near = k.nameNear(text, owner)
		if !near {
			// Formats and systems are named in capitals: "PDF", "DOCX".
			fields := strings.Fields(text)
			_, near = valueNear(fields, k.matcher(owner), nameSpan, func(i int) bool { return isAcronym(fields[i]) })
		}
		return mentioned, near
	}
	is := k.matcher(owner)
	if asked == InfoCode {
		fields := strings.Fields(text)
		return valueNear(fields, is, ownerSpan, func(i int) bool { return isCode(fields[i]) })
	}
	re := map[InfoKind]*regexp.Regexp{InfoEmail: emailRe, InfoPhone: phoneRe, InfoURL: urlRe, InfoTime: timeRe, InfoHours: hoursRe}[asked]
	if !re.MatchString(text) {
		return false, false
	}
	if slices.ContainsFunc(analysis.Words(title), is) {
		// A heading that names the owner ("Contacto y soporte") makes the
		// passage's addresses its own.
		return true, true
	}
	for _, line := range strings.Split(text, "\n") {
		if isTableRow(line) && re.MatchString(line) && slices.ContainsFunc(analysis.Words(line), is) {
			// A table row is one record however long its cells: "La
			// Florida · Av. Vicuña Mackenna 7255, local 12 · +56 2 2946
			// 1183" gives La Florida's phone.
			return true, true
		}
	}
	// Near within one sentence: "Gerente general: Rodrigo Beltrán. Para
	// quejas escribe a calidad@…" gives the complaints address, not his.
	for _, unit := range answerUnits(text) {
		if asked == InfoHours && !isTableRow(unit) && !hoursNounRe.MatchString(unit) {
			// A branch's hours may be stated elsewhere than its address
			// line, or shared by every branch; a sentence that speaks of
			// its hours without giving them ("La oficina de Santa Inés
			// tiene un horario reducido"), or its table row, says they are
			// not those.
			continue
		}
		spans := re.FindAllStringIndex(unit, -1)
		fields := fieldRe.FindAllStringIndex(unit, -1)
		words := make([]string, len(fields))
		for i, f := range fields {
			words[i] = unit[f[0]:f[1]]
		}
		value := func(i int) bool {
			for _, s := range spans {
				if fields[i][0] < s[1] && s[0] < fields[i][1] {
					return true
				}
			}
			return false
		}
		m, n := valueNear(words, is, ownerSpan, value)
		mentioned = mentioned || m
		if n {
			return true, true
		}
	}
	return mentioned, false
}

// fieldRe is a word as written, between spaces.
var fieldRe = regexp.MustCompile(`\S+`)

// nameSpan is how far a person's name may be from the role it holds: "la
// directora clínica es la Dra. Camila Fuentes", "Nombre del CEO Julián
// Varas".
const nameSpan = 6

// nameNear reports whether text mentions role, and whether a proper name
// (a capitalised word that does not open a sentence) lies within nameSpan
// words of it. "El equipo incluye una endodoncista" names no endodontist.
func (k *Knowledge) nameNear(text, role string) (mentioned, near bool) {
	fields := strings.Fields(text)
	value := func(i int) bool {
		r := []rune(strings.TrimLeft(fields[i], "¿¡\"'(«*-•"))
		if len(r) < 2 || !unicode.IsUpper(r[0]) || !unicode.IsLower(r[1]) || i == 0 {
			return false
		}
		if analysis.IsStopWord(analysis.Fold(string(r))) {
			// "Los", "El": a sentence opening after a heading in
			// capitals ("VISITAS TÉCNICAS Los equipos…"), no name.
			return false
		}
		prev := fields[i-1]
		// After a full stop a capital opens a sentence, unless the stop
		// ends a title ("Dra.", "Sr.").
		return !strings.ContainsAny(prev[len(prev)-1:], ".:!?") || endsInAbbreviation(prev)
	}
	return valueNear(fields, k.matcher(role), nameSpan, value)
}

// isCount reports whether a word as written is a count or a measure:
// "8", "70%", "1.000", "(3)", "tres", "ilimitados".
func isCount(f string) bool {
	f = strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if f == "" {
		return false
	}
	if unicode.IsDigit(rune(f[0])) {
		return strings.TrimLeft(f, "0123456789.,") == ""
	}
	return countRe.MatchString(analysis.Fold(f))
}

// properNames returns the words of a message written as proper names:
// capitalised, not opening the message or a sentence ("¿tienen oficina en
// Lima?"), folded as the analyzer folds them. The case is the user's only
// sign that an unknown word is a name rather than a typo or slang.
func properNames(text string) map[string]bool {
	names := map[string]bool{}
	start := true
	shouting := strings.ToUpper(text) == text
	for _, f := range strings.Fields(text) {
		r := []rune(strings.TrimLeft(f, "¿¡\"'(«*-•"))
		if !shouting && isAcronym(f) {
			// "¿hacen el test de VIH?", "¿sirve para la franquicia
			// SENCE?": an acronym names a thing as a name does (a message
			// all in capitals names nothing by them).
			for _, w := range analysis.Words(f) {
				names[w] = true
			}
		}
		if len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1]) && !start {
			for _, w := range analysis.Words(f) {
				names[w] = true
			}
		}
		start = strings.ContainsAny(f[len(f)-1:], ".:!?¿¡")
	}
	return names
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

// coverageOf splits the analysed query's content words into those the
// text covers and those it does not.
//
// Question words ("cuántos", "quién") and the words that name the kind of
// information asked ("precio", "horario", "teléfono") are not content: the
// kind check answers for them, and a passage gives a price without saying
// "precio".
func (k *Knowledge) coverageOf(query []analysis.QueryTerm, text string, asked InfoKind) (covered, uncovered []string) {
	have := map[string]bool{}
	var words []string
	for _, t := range k.an.Terms(text) {
		if !have[t.Stem] {
			have[t.Stem] = true
			words = append(words, t.Word)
		}
	}
	reach := asked == InfoEmail || asked == InfoPhone || asked == InfoURL
	for _, q := range query {
		if reach && (askingVerbs[q.Word] || givingVerbs[q.Word]) {
			// "¿a qué correo escribo?": writing is what one does with it;
			// "regáleme el teléfono": giving is how it is asked for.
			continue
		}
		if q.Weight < 1 || len([]rune(q.Word)) < 3 || k.selfReference(q.Word) || questionWords[q.Word] || wordsOfKind(asked)[q.Word] || isDigits(q.Word) {
			// Numbers are checked as stated (statedNumbers).
			continue
		}
		if other := reachKindOf(q.Word); (reach || other == InfoURL) && other != "" && other != asked && holdsKind(other, text) {
			// "el teléfono de facturación y el correo de pagos": the other
			// contact asked is held as its kind, not named; so is the web,
			// by its address, whatever is asked ("¿se reserva en la web?").
			covered = append(covered, q.Word)
			continue
		}
		if day := weekdayOf(q.Word); day != "" && daysCover(analysis.Words(text), day) {
			// "¿abre el miércoles?" against "lunes a viernes": the range
			// takes the day in.
			covered = append(covered, q.Word)
			continue
		}
		ok := have[q.Stem]
		for _, a := range q.Alts {
			ok = ok || have[a.Stem]
		}
		if !ok && len([]rune(q.Word)) >= 5 {
			for _, w := range words {
				// A letter apart as words or as stems, as the search
				// matches typos ("subtitles" finds "subtítulos").
				if analysis.WithinOneEdit(q.Word, w) || analysis.WithinOneEdit(q.Stem, k.an.Stem(w)) {
					ok = true
					break
				}
			}
		}
		if ok {
			covered = append(covered, q.Word)
		} else {
			uncovered = append(uncovered, q.Word)
		}
	}
	return covered, uncovered
}

// reachKindOf returns the contact kind (email, phone, web address) a word
// names, or "".
func reachKindOf(w string) InfoKind {
	switch {
	case emailNouns[w]:
		return InfoEmail
	case phoneNouns[w]:
		return InfoPhone
	case urlNouns[w]:
		return InfoURL
	}
	return ""
}

// selfReference reports words that name the company itself ("la empresa",
// the company's name): the whole knowledge base is about it, so a passage
// need not repeat them.
func (k *Knowledge) selfReference(w string) bool {
	if selfWords[w] {
		return true
	}
	for _, n := range analysis.Words(k.p.Company.Name) {
		if n == w {
			return true
		}
	}
	return false
}

var questionWords = setOf("como", "cuanto", "cuanta", "cuantos", "cuantas", "cuando", "donde", "cual", "cuales", "quien", "quienes", "porque", "que",
	"how", "what", "when", "where", "which", "who", "whom", "why", "whats")

// kindWords name the kind of information asked.
var kindWords = union(phoneNouns, numberNouns, emailNouns, urlNouns, amountNouns, amountVerbs, timeNouns, placeNouns, placeVerbs, hoursWords,
	setOf("sale", "salen", "tiempo", "edad", "age", "old", "time", "take", "takes", "dias", "days", "nombre", "llama", "direccion", "address", "exacta", "exacto", "exact"))

// kindWordsOf are, for the kinds whose words are told apart, the words
// that name that kind: in "¿cuánto tiempo tengo para pagar?" the time is
// asked and "pagar" is what it is asked about.
var kindWordsOf = map[InfoKind]map[string]bool{
	// "¿desde cuántas lucas el despacho sale gratis?": the money's own
	// names, Chilean "lucas" (thousands of pesos) among them.
	InfoAmount: union(amountNouns, amountVerbs, setOf("sale", "salen", "plata", "dinero", "pesos", "lucas", "luca", "money", "dollars", "dolares")),
	InfoTime:   union(timeNouns, setOf("tiempo", "rato", "time", "take", "takes", "dias", "days")),
	InfoDate:   calendarWords,
	InfoDay:    calendarWords,
	// "¿cuántos caracteres mínimo?": the bound of a count is part of
	// asking it ("al menos 8 caracteres").
	InfoNumber: union(kindWords, countBounds),
	// "¿a qué hora atiende soporte?": attending is what the hours are of.
	InfoHours: union(timeNouns, hoursWords, setOf("atiende", "atienden", "atender", "atendiendo", "atencion", "abierto", "abierta", "abiertos", "abiertas", "fin", "fines", "finde", "weekend", "weekends")),
	// WhatsApp is a channel of its own: a passage giving a landline does
	// not say the company answers on WhatsApp.
	InfoPhone: union(setOf("telefono", "telefonos", "fono", "phone", "hotline", "celular"), numberNouns),
	// "¿cómo se llama la persona a cargo de…?": a person is what is asked.
	InfoPerson: union(kindWords, setOf("persona", "person", "nombre", "name")),
}

// calendarWords ask for a date or a day.
var calendarWords = union(timeNouns, dateNouns, dayNouns)

// wordsOfKind are the words a passage holding the asked kind need not
// repeat: none for a general question.
func wordsOfKind(asked InfoKind) map[string]bool {
	if asked == InfoGeneral {
		return nil
	}
	if w, ok := kindWordsOf[asked]; ok {
		return w
	}
	return kindWords
}

func union(sets ...map[string]bool) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for w := range s {
			m[w] = true
		}
	}
	return m
}

var selfWords = setOf("empresa", "compania", "negocio", "organizacion", "institucion", "ustedes", "vosotros",
	"company", "business", "organization", "organisation", "firm")

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

var (
	valueWords   = setOf("cual", "cuales", "que", "what", "which", "whats")
	phoneNouns   = setOf("telefono", "telefonos", "fono", "whatsapp", "phone", "hotline", "celular")
	numberNouns  = setOf("numero", "number")
	contactNouns = setOf("contacto", "soporte", "atencion", "asistencia", "ventas", "llamar", "llamo", "contact", "support", "assistance", "sales", "call", "emergencia", "emergencias", "ambulancia")
	emailNouns   = setOf("correo", "email", "mail", "e-mail", "emails", "correos")
	urlNouns     = setOf("web", "pagina", "sitio", "link", "enlace", "url", "website", "site", "portal")
	amountNouns  = setOf("precio", "precios", "costo", "costos", "coste", "tarifa", "tarifas", "valor", "cuota", "mensualidad", "arancel", "gratis", "gratuito", "gratuita", "gratuitos", "gratuitas", "sueldo", "sueldos", "salario", "salarios", "gana", "ganan",
		"price", "prices", "cost", "costs", "fee", "fees", "free", "charge", "pricing", "rate", "rates", "salary", "salaries", "earn", "earns")
	amountVerbs = setOf("cuesta", "cuestan", "vale", "valen", "cobran", "cobra", "cobrar", "cobrarme", "pago", "pagar", "cost", "costs", "charge", "pay")
	timeNouns   = setOf("horario", "horarios", "hora", "horas", "fecha", "fechas", "plazo", "plazos", "demora", "tarda", "tardan", "demoran", "dura", "duran", "duracion",
		"ano", "year", "mes", "month",
		"hours", "schedule", "date", "deadline", "long", "open", "opening")
	roleNouns = setOf("ceo", "cfo", "cto", "coo", "cmo", "gerente", "gerenta", "director", "directora", "presidente", "presidenta", "fundador", "fundadora", "fundadores", "dueno", "duena", "duenos",
		"jefe", "jefa", "encargado", "encargada", "responsable", "representante", "manager", "founder", "founders", "owner", "owners", "president", "head", "chief", "lider")
	placeVerbs  = setOf("queda", "quedan", "ubicado", "ubicada", "ubicados", "ubican", "ubica", "encuentra", "encuentran", "located", "located?")
	regionNouns = setOf("ciudad", "ciudades", "comuna", "comunas", "region", "regiones", "pais", "paises", "localidad", "localidades", "provincia", "provincias",
		"city", "cities", "country", "countries", "town", "towns", "region", "regions")
	placeNouns = setOf("direccion", "ubicacion", "oficina", "oficinas", "sucursal", "sucursales", "sede", "local", "address", "location", "office", "offices", "branch")
)

// asksWhetherCharged reports a question whether something costs or is
// charged for, without asking how much: "¿cuestan mucho las consultas?",
// "¿cobran por el despacho?". "Me cuesta entender" is a difficulty, and
// "¿cuándo me cobran?" asks a date.
func asksWhetherCharged(w []string) bool {
	if slices.ContainsFunc(w, func(y string) bool { return notChargeAskers[y] }) {
		return false
	}
	for i, x := range w {
		switch {
		case x == "cobran" || x == "cobra" || x == "cobrarian" || x == "cobraran":
			return true
		case (x == "cuesta" || x == "cuestan") && (i == 0 || !clitics[w[i-1]]):
			return true
		}
	}
	return false
}

var (
	reportingVerbs     = setOf("dijeron", "dijo", "dicen", "entendido", "escuche", "lei", "creo", "pienso", "parece")
	devicePrepositions = setOf("en", "desde")
	clitics            = setOf("me", "te", "le", "nos", "les", "se")
	notChargeAskers    = setOf("cuando", "como", "donde", "when", "how", "where")
)

// withoutSplitS drops the "s" that the English possessive and contractions
// split off ("the CEO's email" is "the ceo s email", "what's" is "what
// s"): it would push a noun away from the word asking for it.
func withoutSplitS(w []string) []string {
	return slices.DeleteFunc(slices.Clone(w), func(x string) bool { return x == "s" })
}

// askedKind reads the kind of information a question asks for from its
// folded words, in Spanish or English. It errs towards InfoGeneral: a
// kind it names must be in the passage, so naming one wrongly would hand
// off a question the passage answers.
func askedKind(w []string) InfoKind {
	w = withoutSplitS(w)
	for i := 0; i+1 < len(w); i++ {
		if (w[i] == "in" || w[i] == "a") && (w[i+1] == "charge" || w[i+1] == "cargo") {
			// "who's in charge at Bath?", "la persona a cargo": a role,
			// not a fee.
			w[i+1] = "encargado"
		}
	}
	for i, x := range w {
		switch {
		case hoursWords[x] && i > 0 && negations[w[i-1]]:
			// "la app no abre", "it won't open": a failure, not opening
			// hours.
			w[i] = ""
		case x == "que" && i > 0 && reportingVerbs[w[i-1]]:
			// "me dijeron que el link dura 24 horas": what was said
			// follows; "que" asks nothing.
			w[i] = ""
		case phoneNouns[x] && (i > 0 && w[i-1] == "del" || i > 1 && devicePrepositions[w[i-2]] && (determiners[w[i-1]] || possessives[w[i-1]])):
			// "las clases que descargo en el celular", "la app del
			// celular": the device, not its number.
			w[i] = ""
		}
	}
	has := func(set map[string]bool) bool {
		for _, x := range w {
			if set[x] {
				return true
			}
		}
		return false
	}
	near := func(set map[string]bool, pred func(string) bool, span int) bool {
		for i, x := range w {
			if !set[x] {
				continue
			}
			for j := max(0, i-span); j < len(w) && j <= i+span; j++ {
				if j != i && pred(w[j]) {
					return true
				}
			}
		}
		return false
	}
	// before is near with the asking word first: "¿a qué hora abren?",
	// not "la app se me cierra, ¿qué hago?".
	before := func(set map[string]bool, pred func(string) bool, span int) bool {
		for i, x := range w {
			if !set[x] {
				continue
			}
			for j := max(0, i-span); j < i; j++ {
				if pred(w[j]) {
					return true
				}
			}
		}
		return false
	}
	isIn := func(set map[string]bool) func(string) bool { return func(s string) bool { return set[s] } }
	how := has(setOf("como", "how"))
	// "correo para cuando no me aparecen las notas": a message that opens
	// with the noun of a value asks for it.
	opens := func(set map[string]bool) bool {
		if len(w) < 3 {
			// "correo" alone may name a topic.
			return false
		}
		for _, x := range w {
			if !determiners[x] && !indefinites[x] {
				return set[x]
			}
		}
		return false
	}
	// "¿cuánto tiempo quedan guardadas las clases que descargo en el
	// celular?" asks a duration, whatever device it names.
	duration := near(setOf("cuanto", "cuanta", "how"), isIn(setOf("tiempo", "rato", "plazo", "anticipacion", "antelacion", "time", "long")), 1) ||
		near(setOf("cuanto", "cuanta"), isIn(setOf("demora", "demoran", "tarda", "tardan", "dura", "duran")), 2) ||
		before(durationUnits, isIn(setOf("cuantos", "cuantas", "many")), 1)
	// A few words with no question word name what they want: "teléfono de
	// soporte", "correo pagos", "support email" (a noun alone, "correo", may
	// name a topic).
	terse := len(w) >= 2 && len(w) <= 4 && !has(questionWords) && !has(auxiliaries)
	// Asked for without a question word: "teléfono de facturación, …", "¿me
	// podrían dar el número de…?".
	asksForPhone := opens(phoneNouns) || givesValue(w, phoneValueNouns)
	switch {
	// An email, phone or web address is asked for when the question's
	// value word is close to the noun ("¿cuál es el correo…?", "what is the
	// support email?"); a question that only mentions mail ("can I flag a
	// mail as urgent?") asks for none.
	case (before(emailNouns, isIn(valueAskers), 5) || near(emailNouns, isIn(whichWords), 4) || opens(emailNouns) || near(addressNouns, isIn(valueAskers), 4) && near(addressNouns, isMailWord, 2) || terse && has(emailNouns) || givesValue(w, emailNouns)) && !how && !duration:
		return InfoEmail
	case (before(phoneNouns, isIn(phoneAskers), 4) || near(phoneNouns, isIn(whichWords), 4) || near(numberNouns, isIn(contactNouns), 3) || near(numberNouns, isIn(phoneNouns), 2) || terse && has(phoneNouns) || asksForPhone) &&
		(has(valueWords) || has(phoneAskers) || terse || asksForPhone) && !how && !duration &&
		!has(setOf("app", "aplicacion", "actualizar", "actualizo", "cambiar", "cambio", "perdi", "robaron")) &&
		// "what are your phone support hours?": an English compound is
		// named by its last noun.
		!before(setOf("hours", "schedule"), isIn(phoneNouns), 2) &&
		// "¿en qué horario responde el WhatsApp?": the only question word
		// asks the hours ("¿a qué hora atienden y cuál es el número?" asks
		// both).
		!asksOnlyHours(w):
		return InfoPhone
	case codeOf(w) != "" && has(valueAskers) && !how:
		return InfoCode
	case (near(urlNouns, isIn(valueAskers), 3) || terse && has(setOf("web", "website", "url", "link", "enlace", "sitio", "pagina"))) && !how && !duration:
		return InfoURL
	case near(setOf("quien", "quienes", "who"), isIn(roleNouns), 4) || (has(setOf("llama", "named", "name", "names", "nombre", "nombres")) && has(roleNouns)) || whoIs(w) != "" || whoDoes(w) != "" || nameOf(w) != "":
		return InfoPerson
	case near(setOf("cuanto", "cuanta", "how"), isIn(setOf("cuesta", "cuestan", "vale", "valen", "cobran", "sale", "salen", "much", "cost", "costs", "pago", "pagar", "hay", "es", "dinero", "plata", "money", "monto", "devuelven", "devuelve", "reembolsan", "reembolsa", "descuentan")), 2) && !has(setOf("tiempo", "tarda", "demora", "dura", "time")) && !duration &&
		// "how much storage", "¿cuánto espacio…?", "¿cuánto puede pesar
		// el archivo?" ask a measure.
		!before(storageWords, isIn(setOf("cuanto", "cuanta", "much")), 1) && !has(setOf("pesar", "pesa", "pesan", "weigh", "weighs")) &&
		// "¿de cuánto es el periodo de incubación?", "¿cuánto es la
		// temperatura…?": how much of a measure, not of money.
		!has(measuredNouns):
		return InfoAmount
	case (has(amountNouns) && !near(setOf("how"), isIn(setOf("many")), 1) && !has(setOf("donde", "where")) && !how) || (has(amountVerbs) && has(setOf("cuanto", "cuanta", "much")) && !duration) || asksWhetherCharged(w):
		// "how many interest-free installments…?" counts; "free" is no price.
		// "¿en cuánto tiempo se acredita el pago?" asks when, not how much.
		return InfoAmount
	case near(setOf("cuanto", "cuanta"), moneyVerb, 2) || has(setOf("how")) && near(setOf("much"), moneyVerb, 3) || priceOf(w) ||
		// "¿qué me cobran?"
		before(setOf("cobran", "cobra", "cobrarian", "cobraran"), isIn(setOf("que")), 2) ||
		// "¿cuántas lucas es…?" counts money.
		before(setOf("lucas", "luca", "pesos", "dolares", "dollars"), isIn(setOf("cuantas", "cuantos", "many")), 1):
		// "¿cuánto financió CORFO?", "how much did they invest?"
		return InfoAmount
	case near(setOf("cuanto", "cuanta", "how"), isIn(setOf("tiempo", "rato", "plazo", "tarda", "tardan", "demora", "demoran", "dura", "duran", "anticipacion", "antelacion", "long", "time")), 2) ||
		// "plazo para apelar", "deadline to apply": a message that opens
		// with the value's noun asks for it.
		opens(setOf("plazo", "plazos", "deadline", "deadlines")) ||
		// "¿cuántas horas demora el viaje?" asks a duration, not a count.
		before(durationUnits, isIn(setOf("cuantos", "cuantas", "many")), 1) ||
		near(setOf("how"), isIn(setOf("advance", "notice")), 3) ||
		near(setOf("cuanto"), isIn(setOf("esperar", "espera", "espero", "esperan")), 3):
		return InfoTime
	case asksAge(w) || before(setOf("old"), isIn(setOf("how")), 1):
		// "how old", not "how can I replace my old videos".
		return InfoAge
	case before(hoursWords, func(s string) bool {
		return valueWords[s] || s == "cuando" && askingCuando(w) || s == "when" && askingWhen(w)
	}, 4) || has(setOf("horario", "horarios", "schedule")) ||
		// "what time does the Grafton salon close on a Thursday?"
		asksClockTime(w) && has(hoursWords):
		// A time of day or opening hours: a year or a duration does not
		// say when the office opens.
		return InfoHours
	case near(dateNouns, isIn(valueWords), 3) && !duration:
		// "¿cuáles son las fechas de las jornadas?" asks for days of the
		// calendar: "con 15 días de anticipación" gives none.
		return InfoDate
	case asksDay(w) && !duration:
		// "¿qué día es la reunión?" wants a day: "en octubre" gives none.
		return InfoDay
	case askingCuando(w) || askingWhen(w) || near(timeNouns, isIn(valueWords), 3):
		return InfoTime
	case has(setOf("cuantos", "cuantas")) || near(setOf("how"), isIn(setOf("many")), 1) || near(measureNouns, isIn(valueWords), 3) ||
		// "nota mínima pa aprobar", "¿con cuánto se aprueba?": a bound
		// of a score, a quantity reached.
		before(boundWords, isIn(scoreNouns), 1) || before(setOf("cuanto", "cuanta"), isIn(setOf("con")), 1):
		return InfoNumber
	case before(brandNouns, isIn(valueWords), 2) || near(brandNouns, isIn(whichWords), 1) || whichAre(w, brandNouns):
		// "¿qué navegador recomiendan?" wants one named.
		return InfoName
	case has(addressNouns) && !near(addressNouns, isMailWord, 2) || near(streetNouns, isIn(valueAskers), 2):
		// "dirección de correo", "mailing address", "reply address" name an
		// email address, not a street.
		return InfoAddress
	case has(setOf("donde", "where")) && (has(placeVerbs) || has(placeNouns)) ||
		// "¿en qué comunas…?", "which cities…?" want places named.
		before(regionNouns, isIn(valueWords), 2):
		return InfoPlace
	}
	return InfoGeneral
}

// asksAge reports a word for age that asks one: "los menores de edad",
// "la tercera edad" name a group ("¿atienden a menores de edad?").
func asksAge(w []string) bool {
	for i, x := range w {
		if x != "edad" && x != "age" {
			continue
		}
		group := i > 1 && w[i-1] == "de" && (w[i-2] == "menor" || w[i-2] == "menores" || w[i-2] == "mayor" || w[i-2] == "mayores") ||
			i > 0 && w[i-1] == "tercera"
		if !group {
			return true
		}
	}
	return false
}

// measuredNouns are measures of things other than money: "¿cuánto es" one
// of them asks a figure of its own kind.
var measuredNouns = union(measureNouns, setOf("temperatura", "periodo", "periodos", "duracion", "distancia", "altura", "temperature", "period", "distance", "height"))

// asksOnlyHours reports a question whose every word that could ask for a
// phone asks the hours: "¿en qué horario…?", "¿a qué hora…?" ("¿tienen un
// teléfono donde llamar y a qué hora atienden?" asks both).
func asksOnlyHours(w []string) bool {
	hours, other := false, false
	for i, x := range w {
		if !phoneAskers[x] {
			continue
		}
		if i+1 < len(w) && hourNouns[w[i+1]] {
			hours = true
		} else {
			other = true
		}
	}
	return hours && !other
}

// hourNouns name a time of day or opening hours.
var hourNouns = setOf("hora", "horas", "horario", "horarios")

// asksClockTime reports "¿a qué hora…?", "what time…?": a time of the
// clock is asked, not the days something is open.
func asksClockTime(w []string) bool {
	for i := 0; i+1 < len(w); i++ {
		if (w[i] == "que" && w[i+1] == "hora") || (w[i] == "what" && w[i+1] == "time") {
			return true
		}
	}
	return false
}

// clockRe is a time of the clock, or a service open round it.
var clockRe = regexp.MustCompile(`(?i)\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?:am|pm|a\.\s?m\.|p\.\s?m\.|hrs?\b\.?|h\b)|\b(?:mediod[ií]a|medianoche|noon|midnight)\b|24/7|24 horas|24 hours|todo el d[ií]a|around the clock`)

// asksEnd reports a question for when something ends or closes.
func asksEnd(w []string) bool {
	return slices.ContainsFunc(w, func(x string) bool { return endVerbs[x] })
}

var endVerbs = setOf("termina", "terminan", "acaba", "acaban", "finaliza", "finalizan", "cierra", "cierran", "end", "ends", "finish", "finishes", "close", "closes")

// hoursRangeRe is a span of hours or an end time: "9:00 a 19:00",
// "10 a 14 h", "hasta las 18:00", "until 6 pm".
var hoursRangeRe = regexp.MustCompile(`(?i)\b\d{1,2}(?::\d{2})?\s*(?:h|hrs|am|pm)?\s*(?:a|-|–|y|to|hasta)\s*(?:las\s+)?\d{1,2}(?::\d{2})?\b|\b(?:hasta|until|till)\s+(?:las\s+)?\d{1,2}`)

// asksDay reports "¿qué día…?", "which day…?": a day of the week or of
// the month is asked.
func asksDay(w []string) bool {
	for i := 0; i+1 < len(w); i++ {
		if (w[i] == "que" || w[i] == "cual" || w[i] == "what" || w[i] == "which") && dayNouns[w[i+1]] {
			return true
		}
	}
	return false
}

var dayNouns = setOf("dia", "dias", "day", "days")

// priceOf reports "¿a cuánto?", "¿a cuánto está el metro cúbico?",
// "¿cuánto está…?": at how much a thing sells.
func priceOf(w []string) bool {
	for i := 0; i+1 < len(w); i++ {
		if (w[i] == "cuanto" || w[i] == "cuanta") && (w[i+1] == "esta" || w[i+1] == "estan") {
			// "¿cuánto está el Cusco Esencial por persona?"
			return true
		}
		if w[i] == "a" && (w[i+1] == "cuanto" || w[i+1] == "cuanta") && (i+2 == len(w) || !timeUnits[w[i+2]] && w[i+2] != "tiempo") {
			return true
		}
	}
	return false
}

var measureUnits = setOf("kb", "mb", "gb", "tb", "kbps", "mbps", "gbps", "megas", "gigas", "kg", "kilos", "g", "gr", "km", "m", "cm", "mm", "lt", "litros", "ml", "kwh", "mph")

var storageWords = setOf("espacio", "almacenamiento", "memoria", "datos", "peso", "storage", "space", "memory", "data", "weight")

var durationUnits = setOf("minutos", "horas", "dias", "semanas", "meses", "anos", "minutes", "hours", "days", "weeks", "months", "years")

// givingVerbs ask for a value when the value's noun follows: "¿me pasas
// el correo de…?", "give me the phone of…", "necesito saber el correo…".
var givingVerbs = setOf("pasas", "pasan", "pasa", "pasame", "pasarme", "das", "dan", "dame", "darme", "envias", "envian", "mandas", "mandan",
	"compartes", "comparten", "facilitas", "facilitan", "tienes", "tienen", "give", "send", "share", "have",
	// Or asks whether there is one: "¿Bárbara tiene algún teléfono?",
	// "¿hay algún correo para reclamos?".
	"tiene", "hay", "has", "there",
	// Or a question put as a statement: "necesito saber el correo de soporte".
	"saber", "conocer", "necesito", "busco", "know", "need",
	"dar", "pasar", "enviar", "mandar", "compartir", "facilitar", "indicar", "indicarme", "decir", "decirme", "tell",
	// Asked as a command, familiar or polite: "pásenme", "deme", and
	// "regáleme" where giving is how one asks ("regáleme el teléfono").
	"pasenme", "paseme", "deme", "denme", "mandame", "mandeme", "mandenme", "enviame", "envieme", "envienme",
	"compartime", "compartame", "facilitame", "faciliteme", "indicame", "indiqueme", "dime", "decime", "digame",
	"regalame", "regaleme", "regalenme", "regalas", "regalan")

var phoneValueNouns = union(phoneNouns, numberNouns)

// anyWords ask whether there is one: "¿hay *algún* correo…?".
var anyWords = setOf("algun", "alguna", "any", "some")

// givesValue: a giving verb, then within three words an article and one of
// nouns ("me pasas el correo", "do you have the phone number", "¿tiene
// algún teléfono?").
func givesValue(w []string, nouns map[string]bool) bool {
	for i, x := range w {
		if !givingVerbs[x] {
			continue
		}
		for j := i + 1; j+1 < len(w) && j <= i+3; j++ {
			if (determiners[w[j]] || indefinites[w[j]] || anyWords[w[j]]) && nouns[w[j+1]] {
				return true
			}
			if !objectPronouns[w[j]] && !fillers[w[j]] {
				// "has read the mail I sent": the mail is what was read,
				// not what the company has.
				break
			}
		}
	}
	return false
}

// whichAre reports "¿cuáles son los complementos…?", "what are the
// supported browsers?": the things of nouns asked for by their names.
func whichAre(w []string, nouns map[string]bool) bool {
	for i := 3; i < len(w); i++ {
		if nouns[w[i]] && (w[i-3] == "cuales" || w[i-3] == "what" || w[i-3] == "which") && (w[i-2] == "son" || w[i-2] == "are") && determiners[w[i-1]] {
			return true
		}
	}
	return false
}

// brandNouns name things whose instances have names: "¿qué navegador…?"
// asks for Chrome or Firefox, not for a word on browsers.
var brandNouns = setOf("navegador", "navegadores", "browser", "browsers", "marca", "marcas", "brand", "brands", "modelo", "modelos", "model", "models", "banco", "bancos", "bank", "banks",
	"formato", "formatos", "format", "formats", "extension", "extensiones", "extensions",
	"complemento", "complementos", "plugin", "plugins", "programa", "programas", "plataforma", "plataformas", "platform", "platforms")

// isAcronym reports a word written in capitals, as formats and systems
// are: "PDF", "MP4", "DOCX".
func isAcronym(f string) bool {
	f = strings.Trim(f, ".,;:()[]\"'«»¿?¡!/")
	letters := 0
	for _, r := range f {
		switch {
		case unicode.IsUpper(r):
			letters++
		case unicode.IsDigit(r):
		default:
			return false
		}
	}
	return letters >= 2 && len(f) <= 6
}

// moneyVerb reports a verb of giving or spending money ("financió",
// "invirtieron", "aportan", "donó", "recaudaron", "gastan", "invest").
func moneyVerb(x string) bool {
	for _, p := range []string{"financ", "invirt", "invier", "invert", "aport", "recaud", "gast", "dona", "dono", "fund", "invest", "rais", "spen", "donat"} {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}

// negations before a verb: "no abre", "doesn't open" ("doesn t").
var negations = setOf("no", "not", "nunca", "never", "t", "dont", "doesnt", "wont", "cant", "cannot")

// valueAskers ask for a value. The Spanish "¿a qué correo…?" is caught by
// its "qué": "a" alone is also the English article, no question word.
var valueAskers = union(valueWords, setOf("donde", "where", "adonde"))

// whichWords ask for a value after its noun too: "el teléfono de
// facturación, ¿cuál es?".
var whichWords = setOf("cual", "cuales", "which")

// phoneAskers ask for a number when shortly before its noun: "¿cuál es
// el teléfono?"; "las lecciones del celular que descargo" asks for none.
var phoneAskers = union(valueAskers, setOf("llamo", "llamar", "call"))

// mailWords qualify an address as an email or web one: "dirección de
// correo", "mailing address", "reply address", "IP address".
var (
	addressNouns = setOf("direccion", "address")
	// streetNouns ask for a street address after a value word: "¿en qué
	// calle queda?", "what street is it on?".
	streetNouns = setOf("calle", "avenida", "street", "avenue")
	mailWords   = setOf("gmail", "mailing", "reply", "sender", "ip", "outlook", "hotmail", "yahoo", "electronico", "electronica")
)

func isMailWord(s string) bool { return emailNouns[s] || urlNouns[s] || mailWords[s] }

// askingWhen reports an English question asking when: "when" opening the
// question (or a clause after "and"/"but") followed by an auxiliary, as
// in "when does it open?". "When sending a link, can I…?" and "…when I
// am logged in" use it as a conjunction and ask for no time.
func askingWhen(w []string) bool {
	for i, x := range w {
		if x != "when" {
			continue
		}
		if i+1 == len(w) {
			return true
		}
		if (i == 0 || w[i-1] == "and" || w[i-1] == "but" || w[i-1] == "so" || w[i-1] == "since" || w[i-1] == "until") && auxiliaries[w[i+1]] {
			return true
		}
	}
	return false
}

// askingCuando reports whether "cuando" asks when: not after another
// question word ("¿qué hago cuando no llega el correo?" asks what to do),
// nor in "cuando quiera", "cuando sea", which mean "whenever".
func askingCuando(w []string) bool {
	for i, x := range w {
		if x != "cuando" {
			continue
		}
		if i+1 < len(w) && whenever[w[i+1]] {
			return false
		}
		for _, y := range w[:i] {
			if questionWords[y] {
				return false
			}
		}
		if i > 0 {
			for j := i + 1; j < len(w); j++ {
				// "me tira error cuando subo la tarea, ¿qué puede ser?": the
				// question is the one after it; "lo que sobra" is a
				// relative, not a question.
				if questionWords[w[j]] && w[j] != "cuando" && !(w[j] == "que" && (w[j-1] == "lo" || determiners[w[j-1]])) {
					return false
				}
			}
		}
		return true
	}
	return false
}

var whenever = setOf("quiera", "quieras", "quieran", "quiero", "quieres", "sea", "pueda", "puedas", "puedan", "desee", "desees", "necesite", "necesites")

var auxiliaries = setOf("is", "are", "was", "were", "do", "does", "did", "will", "would", "can", "could", "should", "shall", "may", "might", "must", "has", "have", "had", "am")

// hoursWords ask for a time of day: "¿a qué hora abren?", "horario de
// atención", "what time do you open?".
var hoursWords = setOf("hora", "horario", "horarios", "abre", "abren", "cierra", "cierran", "hour", "hours", "schedule", "open", "opens", "close", "closes", "opening", "closing")

var (
	// hoursRe: a clock time ("9:00", "18 hrs", "9 am"), a weekday or a
	// round-the-clock service.
	hoursRe  = regexp.MustCompile(`(?i)\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?:am|pm|a\.\s?m\.|p\.\s?m\.|hrs?\b\.?|h\b)|\b(?:lunes|martes|miércoles|miercoles|jueves|viernes|sábados?|sabados?|domingos?|feriados?|festivos?|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekdays?|weekends?|fines? de semana)\b|24/7|24 horas|24 hours|todo el día|todo el dia|around the clock`)
	emailRe  = regexp.MustCompile(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}`)
	phoneRe  = regexp.MustCompile(`(?:\+?\d[\d\s().-]{5,}\d)|\*\d{3,}`)
	urlRe    = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|cl|es|mx|ar|co|pe|org|net|io|app|uy|ec|bo|py|ve|br)\b(?:/\S*)?`)
	amountRe = regexp.MustCompile(`(?i)[$€£]\s?\d|\d\s?[€£]|\b(?:usd|us\$|eur|clp|mxn|ars|cop|pen|uf|s/\.?)\s?\d|\d\s?(?:usd|eur|clp|mxn|ars|cop|pen|uf|pesos|euros|dólares|dolares|dollars|soles|%)|\b(?:gratis|gratuit[oa]s?|sin costo|sin cargo|no tiene costo|no tienen costo|free|no cost|no charge|sin valor)\b`)
	// includedRe: "el IVA está incluido", "envío incluido en el precio";
	// not "todos los días, incluidos los festivos".
	includedRe = regexp.MustCompile(`(?i)\b(?:incluid[oa]s?|included)(?:\s*[.,;:)!]|\s*$|\s+(?:en|in)\s)`)
	dateRe     = regexp.MustCompile(`(?i)\b(?:19|20)\d{2}\b|\b\d{1,2}\s*[/-]\s*\d{1,2}\b|\b(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|lunes|martes|miércoles|miercoles|jueves|viernes|sábados?|sabados?|domingos?|january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(?:primer|primera|primeros|primeras|último|ultimo|última|ultima|últimos|ultimos|first|last)\s+(?:\d+\s+)?(?:días?|dias?|semanas?|days?|weeks?)\b|\b(?:inicio|fin|principio|final|mitad|comienzo)s?\s+de(?:l)?\s+(?:cada\s+)?(?:mes|año|ano|semestre|trimestre)\b|\bd[ií]a\s+\d{1,2}\b|\b(?:beginning|end|start)\s+of\s+(?:the\s+)?(?:month|year)\b`)
	// dayRe is a day of the week or of the month: "los martes", "el día
	// 15", "el 5 de marzo", "15/03", "el primer día hábil".
	dayRe  = regexp.MustCompile(`(?i)\b\d{1,2}\s*[/-]\s*\d{1,2}\b|\b(?:lunes|martes|miércoles|miercoles|jueves|viernes|sábados?|sabados?|domingos?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b|\bd[ií]as?\s+\d{1,2}\b|\b\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{1,2}\b|\b(?:primer|primera|primeros|primeras|último|ultimo|última|ultima|first|last)\s+(?:\d+\s+)?(?:días?|dias?|days?)\b|\b(?:inicio|fin|principio|final|comienzo)s?\s+de(?:l)?\s+(?:cada\s+)?mes\b|\bmismo\s+d[ií]a\b|\bsame\s+day\b`)
	timeRe = regexp.MustCompile(`(?i)\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b|\d+\s*(?:(?:a|y|o|-)\s*\d+\s*)?-?(?:h|hrs?|horas?|minutos?|min|segundos?|días?|dias?|semanas?|mes(?:es)?|años?|anos?|hours?|minutes?|days?|weeks?|months?|years?)\b|\b(?:lunes|martes|miércoles|miercoles|jueves|viernes|sábados?|sabados?|domingos?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|inmediat[oa]|inmediatamente|al instante|al momento|apenas|mismo día|mismo dia|monday|tuesday|wednesday|thursday|friday|saturday|sunday|immediately|instantly|no vence[n]?|sin límite|sin limite)\b|\b(?:un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|catorce|quince|veinte|treinta|varios|varias|pocos|pocas|algunos|algunas)\s+(?:horas?|minutos?|días?|dias?|semanas?|meses|años?)\b`)
	ageRe  = regexp.MustCompile(`(?i)\d+\s*(?:años|anos|years)|mayor(?:es)? de edad|menor(?:es)? de edad|\bedad\b|years old|\baged?\b|mayores de \d+|menores de \d+`)
	// babyAgeRe is an age in months or weeks, which is one only where the
	// text speaks of babies or ages ("sala cuna desde los 6 meses"), not of
	// a period ("the minimum storage period is 2 weeks").
	babyAgeRe   = regexp.MustCompile(`(?i)\d+\s*(?:meses|months|semanas|weeks)`)
	babyWordsRe = regexp.MustCompile(`(?i)\b(?:beb[eé]s?|guaguas?|cachorr[oa]s?|gatit[oa]s?|mascotas?|perr[oa]s?|gat[oa]s?|pupp(?:y|ies)|kittens?|pets?|dogs?|cats?|lactantes?|sala cuna|ni[nñ][oa]s?|infant(?:e|es|s)?|bab(?:y|ies)|child(?:ren)?|kids?|nacid[oa]s?|born|edad|ages?|old)\b`)
	addressRe   = regexp.MustCompile(`(?i)\b(?:calle|avenida|av\.|pasaje|psje\.?|camino|street|avenue|road|st\.|ave\.?)\s+\p{Lu}[\p{L}.]*(?:\s+\p{Lu}[\p{L}.]*)*\s+#?\d+|\b\p{Lu}[\p{L}.]+(?:\s+\p{Lu}[\p{L}.]+)*\s+\d{2,5}\b,?\s*(?:piso|of\.|oficina|depto|local)|(?-i:\b\p{Lu}[\p{L}.]+(?:\s+(?:de|del|la|\p{Lu}[\p{L}.]+))*\s+\d{2,5}\s*[,)]\s*\p{Lu})`)
	numberRe    = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])\d|\b(?:un[oa]?|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa|cien|ciento|mil|mayores?|menores?|one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred|thousand|older|younger|under|over)\b`)
	placeRe     = regexp.MustCompile(`(?i)\d|\b(?:calle|avenida|av\.|pasaje|piso|oficina|sucursal|sede|local|edificio|centro|ciudad|comuna|región|region|barrio|street|avenue|floor|office|building|online|en línea|en linea|sitio|página|pagina|app|aplicación|aplicacion|web)\b`)
)

// holdsKind reports whether text holds information of the kind.
func holdsKind(kind InfoKind, text string) bool {
	switch kind {
	case InfoAmount:
		// The literal check spares the case-insensitive scan of every
		// passage that never says "incluido" or "included".
		return amountRe.MatchString(text) || (strings.Contains(text, "ncluid") || strings.Contains(text, "ncluded")) && includedRe.MatchString(text)
	case InfoNumber:
		// A phone number counts and measures nothing.
		return numberRe.MatchString(phoneRe.ReplaceAllString(text, " "))
	case InfoAge:
		return ageRe.MatchString(text) || babyAgeRe.MatchString(text) && babyWordsRe.MatchString(text)
	case InfoAddress:
		return addressRe.MatchString(text) || numberFirstAddressRe.MatchString(text)
	case InfoTime:
		// "disponible las 24 horas del día, los 7 días de la semana" is
		// when someone answers, not how long anything takes.
		return timeRe.MatchString(roundTheClockRe.ReplaceAllString(text, " "))
	case InfoDate:
		return dateRe.MatchString(text)
	case InfoDay:
		return dayRe.MatchString(text)
	case InfoHours:
		// "dentro de las 24 horas siguientes" is a delay, not a service
		// open round the clock.
		return hoursRe.MatchString(delayRe.ReplaceAllString(text, " "))
	case InfoEmail:
		return emailRe.MatchString(text)
	case InfoPhone:
		return phoneRe.MatchString(text)
	case InfoURL:
		// An email's domain ("soporte@example.com") is no web address.
		return urlRe.MatchString(emailRe.ReplaceAllString(text, " "))
	case InfoPerson:
		return hasProperName(text)
	case InfoPlace:
		return placeRe.MatchString(text) || hasProperName(text)
	case InfoName:
		return hasProperName(text) || slices.ContainsFunc(strings.Fields(text), isAcronym)
	case InfoCode:
		return slices.ContainsFunc(strings.Fields(text), isCode)
	}
	return true
}

// numberFirstAddressRe is an English street address, number first ("12
// Lower Bristol Road"), or a British postcode ("BA2 3EB").
var numberFirstAddressRe = regexp.MustCompile(`\b\d{1,5}\s+\p{Lu}[\p{L}.]*(?:\s+\p{Lu}[\p{L}.]*)*\s+(?i:street|st\.|road|rd\.?|avenue|ave\.?|way|lane|drive|close|place|boulevard|blvd\.?)\b|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b`)

// roundTheClockRe: a service open all day and every day, "las 24 horas del
// día", "los 7 días de la semana", "24/7", "24 hours a day".
var roundTheClockRe = regexp.MustCompile(`(?i)\b(?:las\s+)?24\s*(?:horas|hrs|h|hours)\s+(?:del\s+d[ií]a|al\s+d[ií]a|a\s+day)\b|\b(?:los\s+)?7\s*d[ií]as\s+(?:de\s+la|a\s+la|por)\s+semana\b|\b7\s*days\s+a\s+week\b|\b24\s*/\s*7\b`)

// delayRe: a number of hours counted from something, "dentro de las 24
// horas siguientes", "en las próximas 48 horas", "within 24 hours".
var delayRe = regexp.MustCompile(`(?i)\b(?:dentro de|en|antes de|despu[eé]s de|within|in)\s+(?:las?\s+|los\s+|the\s+)?(?:pr[oó]ximas?\s+|primeras?\s+|next\s+|first\s+)?\d+\s*(?:horas|hrs|h|hours)\b`)

// hasProperName reports a capitalised word that does not start a sentence
// or a line, such as a person's name ("La CEO es Ana Pérez").
func hasProperName(text string) bool {
	start := true
	for _, f := range strings.Fields(text) {
		r := []rune(strings.TrimLeft(f, "¿¡\"'(«*-•"))
		if len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1]) && !start {
			return true
		}
		start = strings.ContainsAny(f[len(f)-1:], ".:!?")
	}
	return false
}

func describeKind(k InfoKind) string {
	switch k {
	case InfoAmount:
		return "an amount or price"
	case InfoNumber:
		return "a number"
	case InfoTime:
		return "a date, time or duration"
	case InfoDate:
		return "a date"
	case InfoDay:
		return "a day of the week or of the month"
	case InfoHours:
		return "a time of day or opening hours"
	case InfoPerson:
		return "a person's name"
	case InfoEmail:
		return "an email address"
	case InfoPhone:
		return "a phone number"
	case InfoURL:
		return "a web address"
	case InfoPlace:
		return "a place"
	case InfoAddress:
		return "a street address"
	case InfoAge:
		return "an age"
	case InfoCode:
		return "an identifier or code"
	case InfoName:
		return "the name of one"
	}
	return string(k)
}

// unasked returns the content words of an entry's question that the user's
// question does not say, by stem, synonym, typo or abbreviation ("tele"
// for "televisor").
func (k *Knowledge) unasked(qw []string, question string) []string {
	var extra []string
	for _, t := range k.an.Query(question) {
		if t.Weight < 1 || len([]rune(t.Word)) < 3 || k.selfReference(t.Word) || questionWords[t.Word] || kindWords[t.Word] {
			continue
		}
		is := k.matcher(t.Word)
		said := slices.ContainsFunc(qw, func(w string) bool {
			return is(w) || len([]rune(w)) >= 4 && strings.HasPrefix(t.Word, w) || len([]rune(t.Word)) >= 4 && strings.HasPrefix(w, t.Word)
		})
		if !said {
			extra = append(extra, t.Word)
		}
	}
	return extra
}

// apartFromBranch returns a word of a yes-or-no question about a named
// branch ("la sucursal de Ñuñoa", "el terminal de Temuco") that the
// passage covers only in sentences that name another and not the branch,
// with the branch's name; "" when there is none. What the passage says of
// that word it says of another branch. Words of the title stand with
// every sentence; a name most passages hold is the company's, no branch.
func (k *Knowledge) apartFromBranch(q question, top knowledge.Result, covered []string, title, passage string) (string, string) {
	if q.asked != InfoGeneral || len(covered) < 2 {
		return "", ""
	}
	titleWords := analysis.Words(title)
	written := properNames(passage)
	var names []string
	for _, w := range covered {
		if (q.names[w] || written[w]) && top.Rarity[w] >= 0.5 && !slices.Contains(titleWords, w) && ofBranch(q.words, w) {
			names = append(names, w)
		}
	}
	if len(names) == 0 {
		return "", ""
	}
	units := answerUnits(passage)
	for _, x := range covered {
		if slices.Contains(names, x) || slices.Contains(titleWords, x) || top.Rarity[x] < apartRarity {
			continue
		}
		together, another := false, false
		covers := k.matcher(x)
		for _, u := range units {
			uw := analysis.Words(u)
			if !slices.ContainsFunc(uw, covers) {
				continue
			}
			for _, n := range names {
				together = together || slices.Contains(uw, n)
			}
			another = another || hasProperName(u)
		}
		if !together && another {
			return x, names[0]
		}
	}
	return "", ""
}

// apartRarity: a word most passages hold ("sucursal" in a base of
// branches) says nothing of whose it is.
const apartRarity = 0.3

// ofBranch reports w as the name of a branch the question asks about: it
// follows a place noun, as in "la sucursal de Ñuñoa", "el terminal de
// Temuco".
func ofBranch(words []string, w string) bool {
	for i, x := range words {
		if x != w {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-3; j-- {
			if placeNouns[words[j]] || branchNouns[words[j]] {
				return true
			}
		}
	}
	return false
}

var branchNouns = setOf("terminal", "tienda", "clinica", "centro", "store", "campus", "aeropuerto")

// featureOfBranch reports w, missing from the passage, as what a Spanish
// yes-or-no question asks a named branch to have ("¿la sede de Miraflores
// tiene estacionamiento?" against Miraflores' address and hours): a
// passage that describes the branch and never says w is silent on it.
func (k *Knowledge) featureOfBranch(q question, top knowledge.Result, covered []string, text, w string) bool {
	if q.asked != InfoGeneral || q.foreign || k.an.Language() != "es" || !slices.Contains(q.focus, w) {
		return false
	}
	had := false
	for i, x := range q.words {
		if x != w {
			continue
		}
		j := i - 1
		if j > 0 && determiners[q.words[j]] {
			j--
		}
		if j >= 0 && (featureVerbs[q.words[j]] || q.words[j] == "con" && j > 0 && (q.words[j-1] == "cuenta" || q.words[j-1] == "cuentan")) {
			had = true
		}
	}
	if !had {
		return false
	}
	written := properNames(text)
	return slices.ContainsFunc(covered, func(c string) bool {
		return top.Rarity[c] >= 0.5 && (ofBranch(q.words, c) || inPlace(q.words, c)) && (q.names[c] || written[c])
	})
}

// featureVerbs ask whether a place has something: "¿tiene
// estacionamiento?", "¿hay baños?", "¿hacen ecografías?"; so does "cuenta
// con".
var featureVerbs = setOf("tiene", "tienen", "hay", "ofrece", "ofrecen", "hacen", "venden")

// inPlace reports w as the place "en" introduces: "en San Borja", "en los
// Olivos".
func inPlace(words []string, w string) bool {
	for i, x := range words {
		if x == w && (i > 0 && words[i-1] == "en" || i > 1 && words[i-2] == "en" && determiners[words[i-1]]) {
			return true
		}
	}
	return false
}
