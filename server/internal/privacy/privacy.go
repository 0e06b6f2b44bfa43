// Package privacy finds personal data in support messages and removes it
// before a question and its answer are learned.
//
// Learned answers are shown to other customers, so a ticket must not carry
// one customer's email, phone, national id, card, bank account, address or
// name into the knowledge base. Find locates such data, Redact replaces it
// with neutral placeholders ("[email]", "[phone]", ...), and General keeps
// only the part of a message that is useful to somebody else: greetings,
// sign-offs, pleasantries and self-introductions go, and so does every
// sentence that still carries personal data.
//
// Detection is pattern-based and errs towards removing too much: every
// email address counts, the company's too, and so does any phone-like
// number of 8 to 15 digits. Its limits:
//   - Names are found only when the Contact carries them, or when a greeting,
//     sign-off, title or self-introduction introduces them ("Hola Juan",
//     "Saludos, Carla", "Sr. Pérez", "soy Juan"); a third person mentioned in
//     passing ("le pregunté a Pedro") is not found. A contact's name is
//     found wherever the word appears, "San Juan" included.
//   - National ids without a keyword ("RUT", "DNI", "cédula"...) are found
//     only in their usual written form and when their check digit is right.
//   - Numbers written with dots as thousands separators ("912.345.678") read
//     as amounts and are kept; so do numbers shorter than 8 digits.
//   - Addresses need a street keyword and a capitalised street name
//     ("Av. Providencia 1234"); "vivo en los aromos 12" is not found.
//   - General decides by phrase lists and punctuation, not by meaning: a
//     greeting or courtesy it does not know stays, and a sentence that names
//     the customer goes even when the rest of it was useful.
package privacy

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Contact is what we know identifies the asking customer (any field may be empty).
type Contact struct {
	Name        string // e.g. "Juan Pérez"
	DisplayName string // WhatsApp profile name, e.g. "Juanito 🎸"
	Phone       string // address on the channel, e.g. "56912345678" or "+56 9 1234 5678"
}

// Kind of personal data found.
type Kind string

// The kinds of personal data Find reports.
const (
	KindEmail       Kind = "email"
	KindPhone       Kind = "phone"
	KindNationalID  Kind = "national_id"
	KindCard        Kind = "card"
	KindBankAccount Kind = "bank_account"
	KindAddress     Kind = "address"
	KindName        Kind = "name"
	// KindURL is a link that carries personal data (an email address, the
	// contact's phone or name, a valid id); other links are kept.
	KindURL Kind = "url"
)

// Finding is one span of personal data.
type Finding struct {
	Kind       Kind
	Start, End int // byte offsets into the text
	Text       string
}

// placeholder is the same for every language so that learned text stays
// comparable whatever the customer wrote in.
func placeholder(k Kind) string {
	switch k {
	case KindEmail:
		return "[email]"
	case KindPhone:
		return "[phone]"
	case KindNationalID:
		return "[id]"
	case KindCard:
		return "[card]"
	case KindBankAccount:
		return "[account]"
	case KindAddress:
		return "[address]"
	case KindName:
		return "[name]"
	case KindURL:
		return "[url]"
	}
	return "[redacted]"
}

// candidate is a possible finding before overlaps are resolved: where two
// overlap, the higher rank wins, so "cuenta RUT 12.345.678" is an account
// rather than an id, and a RUT is not also read as a phone.
type candidate struct {
	kind       Kind
	start, end int
	rank       int
	// strong candidates rest on a check digit, a pattern that cannot be
	// anything else, or the contact's own data: inside a link they make the
	// whole link personal. Weak ones (bare phone-like numbers, keyworded
	// numbers, addresses, names guessed from context) are ignored inside
	// links, which are mostly the company's own.
	strong bool
}

const (
	rankURL          = 100
	rankEmail        = 90
	rankCard         = 80
	rankIBAN         = 75
	rankAccount      = 70
	rankCheckedID    = 65
	rankKeywordID    = 60
	rankContactPhone = 55
	rankAddress      = 50
	rankPhone        = 40
	rankContactName  = 30
	rankNameCue      = 25
)

// Find returns the personal data in text (non-overlapping, in order).
func Find(text string, c Contact) []Finding {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	toks := tokenize(text)
	var cs []candidate
	cs = append(cs, findEmails(text, windows(text, isAt, 0, 0))...)
	if nw := windows(text, isDigit, 100, 60); len(nw) > 0 {
		masked := maskNonPersonalNumbers(text, nw)
		cs = append(cs, findCheckedIDs(text, nw)...)
		cs = append(cs, findKeywordIDs(text, masked, toks, nw)...)
		cs = append(cs, findCards(text)...)
		cs = append(cs, findIBANs(text, nw)...)
		cs = append(cs, findAccounts(text, masked, toks, nw)...)
		cs = append(cs, findAddresses(text, nw)...)
		cs = append(cs, findPhones(masked)...)
		cs = append(cs, findContactPhone(text, c.Phone)...)
	}
	cs = append(cs, findContactNames(toks, c)...)
	cs = append(cs, findNameCues(text, toks)...)
	cs = applyURLs(text, cs)
	return resolve(text, cs)
}

// windows returns the stretches of text from before bytes ahead of each
// byte for which at holds to after bytes past it, widened to whitespace so
// that word boundaries at their edges are those of the whole text. The
// regexps that need such a byte (a digit, an "@") run on these stretches
// only, so long prose costs little.
func windows(text string, at func(byte) bool, before, after int) []span {
	var ws []span
	for i := 0; i < len(text); i++ {
		if !at(text[i]) {
			continue
		}
		lo, hi := max(i-before, 0), min(i+1+after, len(text))
		n := len(ws)
		if n > 0 && hi <= ws[n-1].end {
			continue
		}
		if n > 0 && lo <= ws[n-1].end {
			lo = ws[n-1].start
			ws = ws[:n-1]
		} else {
			for lo > 0 && !isSpaceByte(text[lo-1]) {
				lo--
			}
		}
		for hi < len(text) && !isSpaceByte(text[hi]) {
			hi++
		}
		ws = append(ws, span{lo, hi})
	}
	return ws
}

// allIn runs re over the windows and returns its matches (with submatches)
// as offsets into text.
func allIn(re *regexp.Regexp, text string, ws []span) [][]int {
	var out [][]int
	for _, w := range ws {
		for _, m := range re.FindAllStringSubmatchIndex(text[w.start:w.end], -1) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += w.start
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func isAt(c byte) bool { return c == '@' }

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// maxRedactPasses bounds Redact. Removing one finding can expose another
// (a long run of digits that was no phone splits into one that is), so
// Redact repeats until nothing is left; each pass replaces real text, so a
// couple of passes is the norm.
const maxRedactPasses = 32

// Redact replaces each finding with a placeholder ("[email]", "[phone]",
// "[id]", "[card]", "[account]", "[address]", "[name]", "[url]") and returns
// the text and the kinds found, each once, in order of first appearance.
func Redact(text string, c Contact) (string, []Kind) {
	var kinds []Kind
	for pass := 0; pass < maxRedactPasses; pass++ {
		fs := Find(text, c)
		if len(fs) == 0 {
			break
		}
		var b strings.Builder
		b.Grow(len(text))
		last := 0
		for _, f := range fs {
			b.WriteString(text[last:f.Start])
			b.WriteString(placeholder(f.Kind))
			last = f.End
			if !containsKind(kinds, f.Kind) {
				kinds = append(kinds, f.Kind)
			}
		}
		b.WriteString(text[last:])
		text = b.String()
	}
	return text, kinds
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// resolve keeps the best candidate wherever candidates overlap and returns
// the survivors in text order, adjacent name words merged.
func resolve(text string, cs []candidate) []Finding {
	if len(cs) == 0 {
		return nil
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.rank != b.rank {
			return a.rank > b.rank
		}
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return la > lb
		}
		return a.start < b.start
	})
	taken := make([]bool, len(text))
	var kept []candidate
next:
	for _, c := range cs {
		if c.start < 0 || c.end > len(text) || c.start >= c.end {
			continue
		}
		for k := c.start; k < c.end; k++ {
			if taken[k] {
				continue next
			}
		}
		for k := c.start; k < c.end; k++ {
			taken[k] = true
		}
		kept = append(kept, c)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].start < kept[j].start })
	out := make([]Finding, 0, len(kept))
	for _, c := range kept {
		if n := len(out); n > 0 && c.kind == KindName && out[n-1].Kind == KindName && nameJoin(text[out[n-1].End:c.start]) {
			out[n-1].End = c.end
			out[n-1].Text = text[out[n-1].Start:c.end]
			continue
		}
		out = append(out, Finding{Kind: c.kind, Start: c.start, End: c.end, Text: text[c.start:c.end]})
	}
	return out
}

// nameJoin reports whether two name findings separated by gap are one name
// ("Juan Pérez", "Juan de la Cruz"), so they become one placeholder.
func nameJoin(gap string) bool {
	if gap == "" || strings.ContainsAny(gap, "\n\r") {
		return false
	}
	if gap == "-" {
		return true
	}
	if strings.TrimLeft(gap, " \t") == "" {
		return true
	}
	if gap[0] != ' ' || gap[len(gap)-1] != ' ' {
		return false
	}
	for _, w := range strings.Fields(gap) {
		if !particles[fold(w)] {
			return false
		}
	}
	return true
}

// --- links and emails ---

var (
	emailRe  = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@(?:[\p{L}\p{N}][\p{L}\p{N}\-]*\.)+\p{L}{2,}`)
	mailtoRe = regexp.MustCompile(`(?i)\bmailto:[^\s<>"'\[\]()]+`)
	urlRe    = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'\[\]{}|\\^` + "`" + `]+`)
)

func findEmails(text string, ws []span) []candidate {
	var cs []candidate
	for _, m := range allIn(emailRe, text, ws) {
		cs = append(cs, candidate{KindEmail, m[0], m[1], rankEmail, true})
	}
	for _, m := range allIn(mailtoRe, text, ws) {
		if emailRe.MatchString(text[m[0]:m[1]]) {
			cs = append(cs, candidate{KindEmail, m[0], m[1], rankEmail, true})
		}
	}
	return cs
}

// applyURLs drops weak candidates inside links and turns a link holding a
// strong one into a single URL finding: a company link must survive, a link
// that carries an email address must not survive in pieces.
func applyURLs(text string, cs []candidate) []candidate {
	lower := strings.ToLower(text)
	if !strings.Contains(lower, "http") && !strings.Contains(lower, "www.") {
		return cs
	}
	locs := urlRe.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return cs
	}
	owner := make([]int32, len(text))
	for i := range owner {
		owner[i] = -1
	}
	personal := make([]bool, len(locs))
	for u, m := range locs {
		end := m[1]
		for end > m[0] && strings.IndexByte(".,;:!?)'\"", text[end-1]) >= 0 {
			end--
		}
		locs[u][1] = end
		for k := m[0]; k < end; k++ {
			owner[k] = int32(u)
		}
		// An address percent-encoded in a query string is still an address.
		if s := text[m[0]:end]; strings.Contains(s, "%40") {
			if emailRe.MatchString(strings.ReplaceAll(s, "%40", "@")) {
				personal[u] = true
			}
		}
	}
	out := make([]candidate, 0, len(cs))
	for _, c := range cs {
		u := int32(-1)
		for k := c.start; k < c.end && k < len(text); k++ {
			if owner[k] >= 0 {
				u = owner[k]
				break
			}
		}
		if u < 0 {
			out = append(out, c)
			continue
		}
		if c.strong {
			personal[u] = true
			locs[u][0] = min(locs[u][0], c.start)
			locs[u][1] = max(locs[u][1], c.end)
		}
	}
	for u, m := range locs {
		if personal[u] {
			out = append(out, candidate{KindURL, m[0], m[1], rankURL, true})
		}
	}
	return out
}

// --- numbers that are not personal ---

var (
	dateRe        = regexp.MustCompile(`\b(\d{1,2})[./-](\d{1,2})[./-](?:\d{4}|\d{2})\b|\b(?:19|20)\d{2}[./-](\d{1,2})[./-](\d{1,2})\b`)
	timeRe        = regexp.MustCompile(`\b\d{1,2}:\d{2}(?::\d{2})?\b`)
	yearRangeRe   = regexp.MustCompile(`\b(?:19|20)\d{2}\s?[-–/]\s?(?:19|20)\d{2}\b`)
	percentRe     = regexp.MustCompile(`\d[\d.,]*\s?%`)
	moneyBeforeRe = regexp.MustCompile(`(?:\$|€|£|(?i:\b(?:us\$|r\$|s/\.?|usd|clp|ars|mxn|cop|pen|uyu|bob|pyg|brl|eur|gbp|uf|bs\.?)))\s?\d[\d.,]*`)
	moneyAfterRe  = regexp.MustCompile(`\d[\d.,]*\s?(?:€|(?i:(?:pesos|d[oó]lares|dollars|euros|soles|reales|bol[ií]vares|usd|clp|ars|mxn|cop|pen|uyu|eur|brl|lucas|mil|millones)\b))`)
	numberMasks   = []*regexp.Regexp{timeRe, yearRangeRe, percentRe, moneyBeforeRe, moneyAfterRe}
)

// maskNonPersonalNumbers blanks the digits of dates, times, percentages and
// amounts, keeping every offset, so that "12/05/2024" or "$12.990.000" is
// never read as a phone or an account number.
func maskNonPersonalNumbers(s string, ws []span) string {
	b := []byte(s)
	mask := func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if isDigit(b[k]) {
				b[k] = 0
			}
		}
	}
	for _, m := range allIn(dateRe, s, ws) {
		if validDate(s, m) {
			mask(m[0], m[1])
		}
	}
	for _, re := range numberMasks {
		for _, m := range allIn(re, s, ws) {
			mask(m[0], m[1])
		}
	}
	return string(b)
}

func validDate(s string, m []int) bool {
	num := func(k int) int {
		if m[2*k] < 0 {
			return -1
		}
		n, _ := strconv.Atoi(s[m[2*k]:m[2*k+1]])
		return n
	}
	if m[2] >= 0 {
		a, b := num(1), num(2)
		return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31))
	}
	mo, d := num(3), num(4)
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31
}

// --- phones and cards ---

// numRun is a run of digit groups joined by phone-style separators:
// "+56 9 1234 5678", "(011) 4321-5678", "4111-1111-1111-1111".
type numRun struct {
	start, end int // bytes, including a leading "+" or "("
	digits     string
	groups     []int // digits per group
	gstart     []int // byte offset where each group starts
	seps       []string
	plus       bool
}

func numberRuns(s string) []numRun {
	var runs []numRun
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			i++
			continue
		}
		r := numRun{start: i}
		if i > 0 && s[i-1] == '(' {
			r.start = i - 1
			if i > 1 && s[i-2] == '+' {
				r.start, r.plus = i-2, true
			}
		} else if i > 0 && s[i-1] == '+' {
			r.start, r.plus = i-1, true
		}
		var digits []byte
		j := i
		for {
			g := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			digits = append(digits, s[g:j]...)
			r.groups = append(r.groups, j-g)
			r.gstart = append(r.gstart, g)
			r.end = j
			k := j
			for k < len(s) && k-j < 3 && isSepByte(s[k]) {
				k++
			}
			if k == j || k >= len(s) || !isDigit(s[k]) || !sepOK(s[j:k], j-g) {
				break
			}
			r.seps = append(r.seps, s[j:k])
			j = k
		}
		r.digits = string(digits)
		runs = append(runs, r)
		i = r.end
	}
	return runs
}

func isSepByte(c byte) bool {
	return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')'
}

// sepOK rejects joins that read as two numbers: a sentence end ("... 123. 456"),
// or a space after a long group ("912345678 2 veces"; cards group by 4 to 6).
func sepOK(sep string, prevGroup int) bool {
	if strings.Contains(sep, ".") && len(sep) > 1 {
		return false
	}
	spaces := strings.Count(sep, " ")
	if spaces > 0 && prevGroup > 6 {
		return false
	}
	return spaces <= 2
}

func findPhones(masked string) []candidate {
	var cs []candidate
	for _, r := range numberRuns(masked) {
		if isPhone(masked, r) {
			cs = append(cs, candidate{KindPhone, r.start, r.end, rankPhone, false})
		}
	}
	return cs
}

// isPhone: 8 to 15 digits, standing on their own. Service numbers ("*611",
// "131") and order or plan numbers are shorter; amounts, dates and years are
// masked or recognised by their shape.
func isPhone(s string, r numRun) bool {
	n := len(r.digits)
	if n < 8 || n > 15 {
		return false
	}
	if gluedBefore(s, r.start) || gluedAfter(s, r.end) {
		return false
	}
	return !yearList(r) && !amountShaped(r)
}

// yearList: "2019 2020 2021" is years, not a number.
func yearList(r numRun) bool {
	if len(r.groups) < 2 {
		return false
	}
	p := 0
	for _, g := range r.groups {
		y := r.digits[p : p+g]
		p += g
		if g != 4 || (y[:2] != "19" && y[:2] != "20") {
			return false
		}
	}
	return true
}

// amountShaped: "1.234.567.890" (thousands) or "12345678.50" (decimals).
func amountShaped(r numRun) bool {
	if len(r.seps) == 0 {
		return false
	}
	allDots := true
	for _, sp := range r.seps {
		if sp != "." {
			allDots = false
		}
	}
	if allDots && r.groups[0] <= 3 {
		thousands := true
		for _, g := range r.groups[1:] {
			if g != 3 {
				thousands = false
			}
		}
		if thousands {
			return true
		}
	}
	return r.seps[len(r.seps)-1] == "." && r.groups[len(r.groups)-1] <= 2
}

// gluedBefore and gluedAfter: digits stuck to letters are a code
// ("CL123456789", "pedido_12345678"), not a phone.
func gluedBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '@'
}

func gluedAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '@'
}

// findCards looks for Luhn-valid 13–19 digit numbers with an issuer prefix,
// also inside a longer run ("4111 1111 1111 1111 12 26").
func findCards(text string) []candidate {
	var cs []candidate
	for _, r := range numberRuns(text) {
		if len(r.digits) < 13 || r.plus {
			continue
		}
		pos := make([]int, len(r.groups)+1) // digit index where each group starts
		for g, n := range r.groups {
			pos[g+1] = pos[g] + n
		}
		for gs := 0; gs < len(r.groups); gs++ {
			best := -1
			for ge := gs; ge < len(r.groups); ge++ {
				n := pos[ge+1] - pos[gs]
				if n > 19 {
					break
				}
				if ge > gs && r.seps[ge-1] != " " && r.seps[ge-1] != "-" {
					break
				}
				if n >= 13 && strings.IndexByte("23456", r.digits[pos[gs]]) >= 0 && luhn(r.digits[pos[gs]:pos[ge+1]]) {
					best = ge
				}
			}
			if best < 0 {
				continue
			}
			lo := r.gstart[gs]
			hi := r.gstart[best] + r.groups[best]
			if !gluedBefore(text, lo) && !gluedAfter(text, hi) {
				cs = append(cs, candidate{KindCard, lo, hi, rankCard, true})
			}
			gs = best
		}
	}
	return cs
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// findContactPhone finds the contact's own number however it is written:
// its last 8 digits, separators of any kind in between.
func findContactPhone(text, phone string) []candidate {
	full := digitsOf(phone)
	if len(full) < 6 {
		return nil
	}
	key := full
	if len(key) > 8 {
		key = key[len(key)-8:]
	}
	var cs []candidate
	i := 0
	for i < len(text) {
		if !isDigit(text[i]) {
			i++
			continue
		}
		// A loose run: digits separated by at most 3 non-letter characters.
		var digits []byte
		var at []int
		j := i
		for j < len(text) {
			if isDigit(text[j]) {
				digits = append(digits, text[j])
				at = append(at, j)
				j++
				continue
			}
			k := j
			for k < len(text) && k-j < 3 && strings.IndexByte(" .-()/+", text[k]) >= 0 {
				k++
			}
			if k == j || k >= len(text) || !isDigit(text[k]) {
				break
			}
			j = k
		}
		ds := string(digits)
		for off := 0; off+len(key) <= len(ds); {
			idx := strings.Index(ds[off:], key)
			if idx < 0 {
				break
			}
			idx += off
			off = idx + 1
			// Take in the country and area code when they are written too.
			prefix := full[:len(full)-len(key)]
			k := 0
			for k < idx && k < len(prefix) && ds[idx-1-k] == prefix[len(prefix)-1-k] {
				k++
			}
			first, last := idx-k, idx+len(key)-1
			// Digits stuck to either end make it part of a longer number
			// ("1Z999AA10123456784").
			if (first > 0 && at[first-1] == at[first]-1) || (last+1 < len(at) && at[last+1] == at[last]+1) {
				continue
			}
			lo, hi := at[first], at[last]+1
			if lo > 0 && (text[lo-1] == '+' || text[lo-1] == '(') {
				lo--
			}
			cs = append(cs, candidate{KindPhone, lo, hi, rankContactPhone, true})
			off = last + 1
		}
		i = j
	}
	return cs
}

func digitsOf(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// --- IBAN and bank accounts ---

var ibanRe = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}`)

func findIBANs(text string, ws []span) []candidate {
	var cs []candidate
	for _, m := range allIn(ibanRe, text, ws) {
		s := text[m[0]:m[1]]
		for end := len(s); end >= 15; end-- {
			if s[end-1] == ' ' || (m[0]+end < len(text) && isAlnumByte(text[m[0]+end])) {
				continue
			}
			compact := strings.ReplaceAll(s[:end], " ", "")
			want, known := ibanLengths[compact[:2]]
			if (known && len(compact) != want) || len(compact) < 15 || len(compact) > 34 {
				continue
			}
			if ibanValid(compact) {
				cs = append(cs, candidate{KindBankAccount, m[0], m[0] + end, rankIBAN, true})
				break
			}
		}
	}
	return cs
}

// ibanLengths is the IBAN length per country: mod-97 alone would also
// accept a following word one time in 97.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// ibanValid applies the ISO 13616 mod-97 check.
func ibanValid(s string) bool {
	if len(s) < 5 {
		return false
	}
	r := s[4:] + s[:4]
	mod := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= '0' && c <= '9':
			mod = (mod*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			mod = (mod*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return mod == 1
}

var accountKeywordRe = regexp.MustCompile(`(?i)\b(?:(?:n[º°]\.?|no\.|nro\.?|n[uú]mero)\s*(?:de\s+)?(?:cuenta|cta)|cuenta|cta|cbu|cvu|clabe|iban|account|acct|a/c|conta)`)

// acctFillers may sit between an account keyword and its number ("la cuenta
// corriente del Banco de Chile es Nº 123"). Capitalised words (bank names)
// are fillers too.
var acctFillers = wordSet(`es de del en el la mi tu su n no nro num numero number is my your the at
	corriente vista rut ahorro ahorros cte bancaria bancario banco bank tipo a nombre electronica
	digital sueldo chequera cuenta cta clabe cbu cvu interbancaria iban`)

// findAccounts finds numbers introduced by an account keyword, through a
// few filler words and a bank name: "la cuenta es BancoEstado 123456789".
func findAccounts(text, masked string, toks []token, ws []span) []candidate {
	var cs []candidate
	for _, m := range allIn(accountKeywordRe, text, ws) {
		if letterAt(text, m[1]) {
			continue // "cuentas", "contable", "accounting"
		}
		rut := false
		pos := m[1]
		for step := 0; step < 7; step++ {
			pos = skipFillerPunct(text, pos)
			if end, digits, letters := scanNumberToken(masked, pos); digits >= 6 && digits <= 30 && letters <= 4 {
				tok := text[pos:end]
				if rut || !thousandsRe.MatchString(tok) {
					cs = append(cs, candidate{KindBankAccount, pos, end, rankAccount, false})
				}
				break
			}
			ti := tokenAt(toks, pos)
			if ti < 0 {
				break
			}
			t := toks[ti]
			if !acctFillers[t.fold] && !t.upper && !strings.Contains(t.fold, "banco") && !strings.Contains(t.fold, "bank") {
				break
			}
			if t.fold == "rut" {
				rut = true // a CuentaRUT number is the holder's RUT, often with dots
			}
			pos = t.end
		}
	}
	return cs
}

var thousandsRe = regexp.MustCompile(`^\d{1,3}(?:[.,]\d{3})+$`)

// skipFillerPunct skips spaces and the punctuation found between a keyword
// and its number ("Nº:", "#", "cta. cte."), never a line break.
func skipFillerPunct(s string, pos int) int {
	for pos < len(s) {
		r, w := utf8.DecodeRuneInString(s[pos:])
		switch r {
		case ' ', '\t', ':', '#', 'º', '°', '=', ',', '-', '.', '(', ')':
			pos += w
		default:
			return pos
		}
	}
	return pos
}

// scanNumberToken reads an id-like token at pos: letters and digits joined
// by ".", "-", "/", or by spaces between short digit groups.
// It returns the end and the counts; digits is 0 when there is no token.
func scanNumberToken(s string, pos int) (end, digits, letters int) {
	if pos >= len(s) || !isAlnumByte(s[pos]) {
		return pos, 0, 0
	}
	i, group := pos, 0
	// Spaces group digits only in a token that has no other separator:
	// "123 45 6789" is one id, "11.111.111-1 22222222" is an id and a phone.
	punct, spaced := false, false
scan:
	for i < len(s) && i-pos < 48 {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
			group++
			i++
		case isLetterByte(c):
			letters++
			group = 0
			i++
		case (c == '.' || c == '-' || c == '/') && !spaced && i+1 < len(s) && isAlnumByte(s[i+1]):
			group = 0
			punct = true
			i++
		case c == ' ' && !punct && isDigit(s[i-1]) && i+1 < len(s) && isDigit(s[i+1]) && group <= 4:
			group = 0
			spaced = true
			i++
		default:
			break scan
		}
	}
	if i < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return pos, 0, 0
		}
	}
	return i, digits, letters
}

// --- addresses ---

const (
	addrName  = `(?:\p{Lu}[\p{L}'’.]*|\d{1,3}(?:[ºª°]|bis)?|(?:de|del|la|las|los|el|y|san|santa)\b)`
	addrHouse = `(?:(?:#|[Nn][º°o]\.?|[Nn]ro\.?|[Nn][uú]m(?:ero)?\.?)\s*)?\d{1,5}[A-Za-z]?(?:\s*-\s*\d{1,4})?\b`
	addrTail  = `(?:\s*,?\s*(?:(?i:depto|dpto|dto|departamento|piso|apto|apt|apartamento|of|ofic|oficina|casa|block|torre|int|interior|local|suite|unit|puerta|pta|bloque|portal|esc|escalera)\.?\s*(?:[Nn][º°o]\.?\s*|#\s*)?(?:\d[A-Za-z0-9-]{0,5}|[A-Za-z])\b|\d{1,2}\s*[º°ª](?:\s*(?:(?i:izq(?:uierda|da)?|dcha|der(?:echa)?)\.?|[A-Za-z]\b))?))*`
)

var (
	// Spanish order: keyword, street name, house number ("Av. Providencia
	// 1234, depto 56", "Calle Mayor 5, 3º B", "Carrera 7 # 45-10").
	esAddrRe = regexp.MustCompile(`(?:(?i:\b(?:calle|avenida|avda|av|pasaje|psje|pje|jir[oó]n|jr|carrera|cra|kra|cll|cl|diagonal|diag|transversal|camino|paseo|ronda|traves[ií]a|carretera|ctra|callej[oó]n|bulevar|boulevard|blvd|alameda|r[uú]a)\b\.?)|\b[Cc]/)\s*` +
		`(?:` + addrName + `\s+){0,5}` + addrName + `\s+` + addrHouse + addrTail)
	// English order: house number, street name, keyword ("221B Baker Street").
	enAddrRe = regexp.MustCompile(`\b\d{1,5}[A-Za-z]?\s+(?:(?:\p{Lu}[\p{L}'’]*|\d{1,3}(?:st|nd|rd|th))\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Highway|Hwy|Parkway|Pkwy)\b\.?(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*#?\s*[A-Za-z0-9-]{1,6}\b)?`)
)

func findAddresses(text string, ws []span) []candidate {
	var cs []candidate
	for _, re := range []*regexp.Regexp{esAddrRe, enAddrRe} {
		for _, m := range allIn(re, text, ws) {
			if m[0] > 0 {
				// "tienda.cl 12": a domain, not a street keyword.
				if r, _ := utf8.DecodeLastRuneInString(text[:m[0]]); r == '.' || r == '/' || r == '@' || unicode.IsLetter(r) {
					continue
				}
			}
			cs = append(cs, candidate{KindAddress, m[0], m[1], rankAddress, false})
		}
	}
	return cs
}

// --- byte helpers ---

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetterByte(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnumByte(c byte) bool  { return isDigit(c) || isLetterByte(c) }

// letterAt reports whether a letter starts at byte i.
func letterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}
