package llm

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
)

// A model told to answer only from the passages still, now and then, fills
// a gap from its own knowledge: a price, a date, a phone number, a person.
// Those are exactly the details a customer acts on, and the prompt alone
// cannot rule them out. So the code checks them: every fact-like item of an
// answer must appear in a passage the answer cites, or the question goes to
// a person. The same extractor keeps Triage, which may only greet, from
// stating facts at all.

// FactKind classifies a fact-like item.
type FactKind string

// Kinds of fact-like items.
const (
	FactAmount   FactKind = "amount"
	FactPercent  FactKind = "percent"
	FactDate     FactKind = "date"
	FactTime     FactKind = "time"
	FactDuration FactKind = "duration"
	FactNumber   FactKind = "number"
	FactPhone    FactKind = "phone"
	FactEmail    FactKind = "email"
	FactURL      FactKind = "url"
	FactCode     FactKind = "code" // letters and digits mixed: C1DO1, T-7F3K2Q
	FactName     FactKind = "name"
)

// Fact is a fact-like item of a text.
type Fact struct {
	Kind FactKind
	// Text is the item as written.
	Text string
	// key is the normalised form compared with a passage's.
	key string
}

func (f Fact) String() string { return string(f.Kind) + " " + f.Text }

const monthNames = `enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|` +
	`january|february|march|april|may|june|july|august|september|october|november|december`

var months = map[string]int{
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
	"septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
}

// num is a number as people write it: thousands separated by "." or ","
// (either way round), an optional decimal part.
const num = `\d+(?:[.,]\d+)*`

// The patterns run in this order over a working copy of the text, each
// match blanked before the next pattern runs, so that the digits of an
// email, a link, an amount or a date are not read again as bare numbers.
var factPatterns = []struct {
	kind FactKind
	re   *regexp.Regexp
}{
	{FactEmail, regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)},
	{FactURL, regexp.MustCompile(`(?i)(?:https?://|www\.)[^\s<>()\[\]"']+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|app|ai|co|cl|es|mx|ar|pe|uy|bo|ec|ve|py|br|us|uk|edu|gob|gov|info|dev)(?:/[^\s<>()\[\]"']*)?\b`)},
	{FactAmount, regexp.MustCompile(`(?i)(?:US\$|\$|€|£|\b(?:USD|EUR|CLP|MXN|ARS|COP|PEN|UF)\s?)\s?` + num + `|` + num + `\s?(?:€|£|\$|\b(?:USD|EUR|CLP|MXN|ARS|COP|PEN|UF|d[oó]lares|pesos|euros|dollars)\b)`)},
	{FactPercent, regexp.MustCompile(`(?i)` + num + `\s?(?:%|por\s?ciento\b|percent\b)`)},
	{FactDate, regexp.MustCompile(`(?i)\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}(?:\s+de)?\s+(?:` + monthNames + `)(?:\s+(?:de|del)?\s*\d{4})?\b|\b(?:` + monthNames + `)\s+\d{1,2}(?:,?\s+\d{4})?\b`)},
	{FactTime, regexp.MustCompile(`(?i)\b\d{1,2}:\d{2}(?:\s?(?:am|pm|a\.\s?m\.|p\.\s?m\.|hrs?\b|h\b))?|\b\d{1,2}\s?(?:am|pm|a\.\s?m\.|p\.\s?m\.)`)},
	{FactPhone, regexp.MustCompile(`\+?\(?\d[\d\s().-]{6,}\d`)},
	{FactDuration, regexp.MustCompile(`(?i)\b` + num + `\s?(?:minutos?|min|horas?|hrs?|h|d[ií]as?|semanas?|meses|mes|a[nñ]os?|minutes?|hours?|days?|weeks?|months?|years?)\b`)},
	{FactCode, regexp.MustCompile(`\b[\p{L}]+[\p{L}-]*\d[\p{L}\d-]*\b|\b\d+[\p{L}]+\d[\p{L}\d-]*\b`)},
	{FactNumber, regexp.MustCompile(`\b` + num + `\b`)},
}

// listMarker matches the numbers of a numbered list ("1. ", "2) "), which
// number the answer's steps rather than state anything.
var listMarker = regexp.MustCompile(`(?m)^[ \t]*\d{1,2}[.)][ \t]`)

// thousands is a number that only groups thousands (1.500.000): read as an
// amount of something, never as a phone number.
var thousands = regexp.MustCompile(`^\d{1,3}(?:[.,]\d{3})+$`)

// ExtractFacts returns the fact-like items of text, in the order of the
// patterns (emails, links, amounts, percentages, dates, times, phones,
// durations, codes, numbers), then names.
func ExtractFacts(text string) []Fact {
	work := []byte(listMarker.ReplaceAllStringFunc(text, blank))
	var facts []Fact
	for _, p := range factPatterns {
		for _, loc := range p.re.FindAllIndex(work, -1) {
			raw := strings.TrimRight(string(work[loc[0]:loc[1]]), ".,;:!?")
			kind := p.kind
			if kind == FactPhone {
				// A phone has at least 8 digits; anything shorter, or a
				// plain thousands grouping, is a number the last
				// pattern reads.
				raw = strings.TrimSpace(raw)
				if digitCount(raw) < 8 || thousands.MatchString(raw) {
					continue
				}
			}
			if raw == "" {
				continue
			}
			facts = append(facts, Fact{Kind: kind, Text: raw, key: factKey(kind, raw)})
			for i := loc[0]; i < loc[1]; i++ {
				work[i] = ' '
			}
		}
	}
	return append(facts, extractNames(string(work))...)
}

func blank(s string) string { return strings.Repeat(" ", len(s)) }

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// digits keeps the digits of s without leading zeros, so that "1.500",
// "1,500" and "1500" compare equal, and "09" equals "9".
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := strings.TrimLeft(b.String(), "0")
	if d == "" && b.Len() > 0 {
		return "0"
	}
	return d
}

var dateParts = regexp.MustCompile(`\d+|\p{L}+`)

// factKey normalises an item for comparison.
func factKey(kind FactKind, raw string) string {
	switch kind {
	case FactEmail:
		return strings.ToLower(raw)
	case FactURL:
		u := strings.ToLower(raw)
		u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		return strings.TrimSuffix(strings.TrimPrefix(u, "www."), "/")
	case FactCode, FactName:
		return analysis.Fold(raw)
	case FactTime:
		// "9:00", "09:00 h" and "9 am" name the same hour.
		h, m, _ := strings.Cut(raw, ":")
		hour := digits(h)
		if m = digits(m); m != "" && m != "0" {
			return hour + ":" + m
		}
		return hour
	case FactDate:
		return dateKey(raw)
	case FactNumber, FactAmount, FactPercent, FactDuration, FactPhone:
		return digits(raw)
	}
	return raw
}

// dateKey normalises a date to day-month[-year] ("15/03/2024", "15 de
// marzo de 2024" and "2024-03-15" are all "15-3-2024").
func dateKey(raw string) string {
	var nums []string
	month := ""
	for _, p := range dateParts.FindAllString(strings.ToLower(raw), -1) {
		if p[0] >= '0' && p[0] <= '9' {
			nums = append(nums, digits(p))
		} else if m, ok := months[analysis.Fold(p)]; ok {
			month = strconv.Itoa(m)
		}
	}
	var day, year string
	switch {
	case month != "":
		for _, n := range nums {
			if len(n) == 4 {
				year = n
			} else {
				day = n
			}
		}
	case len(nums) == 3 && len(nums[0]) == 4: // ISO
		year, month, day = nums[0], nums[1], nums[2]
	case len(nums) >= 2:
		day, month = nums[0], nums[1]
		if len(nums) == 3 {
			year = nums[2]
		}
	}
	if year != "" {
		return day + "-" + month + "-" + year
	}
	return day + "-" + month
}

// connectors may join the words of a name ("Universidad de Chile"). "y"
// and "and" are left out: they join two names more often than one.
var connectors = map[string]bool{"de": true, "del": true, "la": true, "las": true, "los": true, "van": true, "von": true, "da": true, "do": true, "of": true, "the": true}

// extractNames finds runs of two or more capitalised words ("Julián
// Varas", "Banco de Chile"). A sentence's first word is capitalised by
// grammar, so it does not count; a name that starts a sentence with three
// or more words is still found from its second word.
func extractNames(text string) []Fact {
	type word struct {
		text       string
		start, end int
		cap        bool
		sentence   bool // first word of a sentence
	}
	var words []word
	sentence := true
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			if strings.ContainsRune(".!?¡¿:;\n•*-\"«(", r) {
				sentence = true
			} else if !unicode.IsSpace(r) {
				sentence = false
			}
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r2) && r2 != '\'' && r2 != '’' {
				break
			}
			j += s2
		}
		w := text[i:j]
		first, _ := utf8.DecodeRuneInString(w)
		words = append(words, word{text: w, start: i, end: j, cap: unicode.IsUpper(first) && utf8.RuneCountInString(w) > 1, sentence: sentence})
		sentence = false
		i = j
	}
	var facts []Fact
	for k := 0; k < len(words); {
		if !words[k].cap {
			k++
			continue
		}
		// Extend over capitalised words and connectors between them, as
		// long as only spaces separate the words.
		end := k
		for n := k + 1; n < len(words); n++ {
			if strings.TrimSpace(text[words[n-1].end:words[n].start]) != "" {
				break
			}
			if words[n].cap {
				end = n
				continue
			}
			if !connectors[strings.ToLower(words[n].text)] {
				break
			}
		}
		start := k
		if words[start].sentence {
			start++
			for start <= end && !words[start].cap {
				start++
			}
		}
		caps := 0
		for n := start; n <= end; n++ {
			if words[n].cap {
				caps++
			}
		}
		if caps >= 2 {
			raw := text[words[start].start:words[end].end]
			facts = append(facts, Fact{Kind: FactName, Text: raw, key: analysis.Fold(raw)})
		}
		k = end + 1
	}
	return facts
}

// evidence is one passage prepared for the comparisons.
type evidence struct {
	id      string
	folded  string          // lower case, accents folded, spaces collapsed
	keys    map[string]bool // the keys of the passage's own facts and of every number in it
	digitRs []string        // runs of digits with separators between them removed, for phones
	dates   []string        // date keys
}

var numberToken = regexp.MustCompile(num)

func newEvidence(id, text string) evidence {
	e := evidence{id: id, folded: " " + strings.Join(strings.Fields(analysis.Fold(text)), " ") + " ", keys: map[string]bool{}}
	for _, f := range ExtractFacts(text) {
		e.keys[string(f.Kind)+":"+f.key] = true
		if f.Kind == FactDate {
			e.dates = append(e.dates, f.key)
		}
	}
	// Every number of the passage, whatever the pattern made of it: an
	// answer may turn "15 días" into "15" or "$12.990" into "12.990".
	for _, n := range numberToken.FindAllString(text, -1) {
		e.keys["n:"+digits(n)] = true
	}
	// Phones are compared as runs of digits: "+56 2 2345 6789" and
	// "(2) 2345-6789" differ only in separators and a country code.
	var run strings.Builder
	flush := func() {
		if run.Len() >= 8 {
			e.digitRs = append(e.digitRs, run.String())
		}
		run.Reset()
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			run.WriteByte(c)
		case run.Len() > 0 && strings.IndexByte(phoneSeparators, c) >= 0:
			// A separator continues the run only when digits follow it.
			j := i
			for j < len(text) && strings.IndexByte(phoneSeparators, text[j]) >= 0 {
				j++
			}
			if j == len(text) || text[j] < '0' || text[j] > '9' {
				flush()
			}
			i = j - 1
		default:
			flush()
		}
	}
	flush()
	return e
}

const phoneSeparators = " ().-+/"

// grounds reports whether the passage contains f.
func (e evidence) grounds(f Fact) bool {
	switch f.Kind {
	case FactEmail, FactURL:
		return strings.Contains(e.folded, analysis.Fold(f.key))
	case FactCode, FactName:
		return containsWords(e.folded, f.key)
	case FactPhone:
		for _, r := range e.digitRs {
			// A country code added or left out still names the same line.
			if strings.Contains(r, f.key) || (len(r) >= 8 && strings.HasSuffix(f.key, r)) {
				return true
			}
		}
		return false
	case FactDate:
		for _, d := range e.dates {
			// "15 de marzo" is grounded by "15 de marzo de 2024".
			if d == f.key || strings.HasPrefix(d, f.key+"-") {
				return true
			}
		}
		return false
	case FactTime:
		return e.keys["time:"+f.key] || (!strings.Contains(f.key, ":") && e.keys["n:"+f.key])
	default:
		return e.keys["n:"+f.key]
	}
}

// containsWords reports whether folded text holds the folded phrase as
// whole words.
func containsWords(folded, phrase string) bool {
	phrase = strings.Join(strings.Fields(phrase), " ")
	for at := 0; ; {
		i := strings.Index(folded[at:], phrase)
		if i < 0 {
			return false
		}
		i += at
		before, _ := utf8.DecodeLastRuneInString(folded[:i])
		after, _ := utf8.DecodeRuneInString(folded[i+len(phrase):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		at = i + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Ungrounded returns the facts of answer that none of the passages holds.
// allowed are texts whose facts need no passage (the company's and the
// agents' names, the contact's name): naming them invents nothing.
func Ungrounded(answer string, passages map[string]string, allowed []string) []Fact {
	return ungrounded(answer, passages, allowed, newEvidence)
}

// ungrounded is Ungrounded with the passages' evidence from evidenceOf.
func ungrounded(answer string, passages map[string]string, allowed []string, evidenceOf func(id, text string) evidence) []Fact {
	ev := make([]evidence, 0, len(passages))
	for _, id := range slices.Sorted(maps.Keys(passages)) {
		ev = append(ev, evidenceOf(id, passages[id]))
	}
	// The allowed texts are the same long profile texts in every answer;
	// their evidence is prepared only for a fact no passage holds, which a
	// grounded answer does not have.
	var allow *evidence
	var missing []Fact
	for _, f := range ExtractFacts(answer) {
		if slices.ContainsFunc(ev, func(e evidence) bool { return e.grounds(f) }) {
			continue
		}
		if allow == nil {
			a := newEvidence("", strings.Join(allowed, "\n"))
			allow = &a
		}
		if !allow.grounds(f) {
			missing = append(missing, f)
		}
	}
	return missing
}

// evidenceCache keeps the evidence of the passages met, by text: the same
// passages ground answer after answer, and reading a passage's facts runs
// a dozen regular expressions over it (a tenth of a run's CPU in the
// ingest benchmark). Evidence is only read once made, so it is shared.
type evidenceCache struct {
	mu     sync.Mutex
	byText map[string]evidence
}

// maxCachedEvidence bounds the cache; when it is full it starts over.
const maxCachedEvidence = 1024

func newEvidenceCache() *evidenceCache {
	return &evidenceCache{byText: map[string]evidence{}}
}

// of returns the evidence of the passage text, named id.
func (c *evidenceCache) of(id, text string) evidence {
	c.mu.Lock()
	e, ok := c.byText[text]
	c.mu.Unlock()
	if !ok {
		e = newEvidence("", text)
		c.mu.Lock()
		if len(c.byText) >= maxCachedEvidence {
			clear(c.byText)
		}
		c.byText[text] = e
		c.mu.Unlock()
	}
	e.id = id
	return e
}

// Unsanctioned returns the facts of a text that the allowed texts do not
// hold: what Triage may not say.
func Unsanctioned(text string, allowed []string) []Fact {
	return Ungrounded(text, nil, allowed)
}

// describeFacts lists facts for a trace: "amount $15.000, name Pedro Soto".
func describeFacts(facts []Fact) string {
	parts := make([]string, len(facts))
	for i, f := range facts {
		parts[i] = f.String()
	}
	return strings.Join(parts, ", ")
}

// groundingReason is the hand-off reason when facts are missing.
func groundingReason(missing []Fact, cited []string) string {
	return fmt.Sprintf("grounding: %s not in cited passages %s", describeFacts(missing), strings.Join(cited, ", "))
}
