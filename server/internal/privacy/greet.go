package privacy

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// --- words ---

// token is a word: letters, joined across an apostrophe ("O'Higgins", "I'm").
type token struct {
	start, end int
	fold       string // lower case, without diacritics
	upper      bool   // starts with a capital
}

func tokenize(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) {
			i += w
			continue
		}
		start, upper := i, unicode.IsUpper(r) || unicode.IsTitle(r)
		i += w
		for i < len(s) {
			r, w = utf8.DecodeRuneInString(s[i:])
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
				i += w
				continue
			}
			if (r == '\'' || r == '’') && i+w < len(s) {
				if r2, _ := utf8.DecodeRuneInString(s[i+w:]); unicode.IsLetter(r2) {
					i += w
					continue
				}
			}
			break
		}
		toks = append(toks, token{start: start, end: i, fold: fold(s[start:i]), upper: upper})
	}
	return toks
}

// tokenAt returns the index of the token starting exactly at pos, or -1.
func tokenAt(toks []token, pos int) int {
	k := sort.Search(len(toks), func(k int) bool { return toks[k].start >= pos })
	if k < len(toks) && toks[k].start == pos {
		return k
	}
	return -1
}

// fold lower-cases and strips diacritics: people type names on phones
// without accents ("Perez" for "Pérez").
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		switch r {
		case 'á', 'à', 'ä', 'â', 'ã', 'å':
			r = 'a'
		case 'é', 'è', 'ë', 'ê':
			r = 'e'
		case 'í', 'ì', 'ï', 'î':
			r = 'i'
		case 'ó', 'ò', 'ö', 'ô', 'õ':
			r = 'o'
		case 'ú', 'ù', 'ü', 'û':
			r = 'u'
		case 'ñ':
			r = 'n'
		case 'ç':
			r = 'c'
		case '’':
			r = '\''
		}
		b.WriteRune(r)
	}
	return b.String()
}

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// stopWords are never names: function words, greetings, titles, words found
// in business display names ("Soporte Ventas", "Casa"), sentence openers
// that follow a greeting ("Hola Necesito..."), months, weekdays and the
// placeholders themselves.
var stopWords = wordSet(`
	a al algo alguien algun alguna alguno ahi ahora alla alli aqui asi aun bien bueno buena buenos buenas buen
	cada casi como con contra cual cuando cuanto de del desde donde dos el ella ellos en entre era es esa ese eso
	esta este esto estos estas estoy fue gran ha hay hasta la las le les lo los mas me mi mis mucho mucha muchas
	muchos muy nada ni no nos nosotros nuestro nuestra o otra otro para pero poco por porque pues que quien se
	sea segun ser si sin sobre solo son su sus tal tambien tan te ti toda todo todos todas tu tus un una uno unos
	unas usted ustedes vez y ya yo ok okay vale listo perfecto claro genial excelente
	hola holi hello hi hey gracias thanks thank saludos saludo cordiales cordial cordialmente atentamente atte
	abrazo abrazos besos beso chao chau adios dias dia tardes tarde noches noche estimado estimada estimados
	estimadas querido querida queridos dear regards best cheers sincerely bye welcome bienvenido bienvenida
	felicidades slds nuevo nueva nuevamente muchas
	senor senora senorita sr sra srta sres don dona dr dra mr mrs ms miss mister doctor doctora lic ing prof
	equipo soporte ventas venta casa cliente clientes servicio servicios atencion tienda oficina empresa negocio
	local bot admin administrador administracion info informacion ayuda contacto consulta consultas pagos pago
	cobranza tecnico usuario usuaria amigo amiga familia mama papa oficial official personal trabajo work movil
	celular telefono whatsapp business cuenta pedido pedidos delivery despacho envio envios store shop sales
	support team service customer help home office user online digital grupo group company compania sucursal
	central operador operadora agente asesor asesora ejecutivo ejecutiva especialista call center centro
	email phone card account address name url id
	the and you your for with not all any can our yes are was this that there here they them she his her him its
	from have has had will would could should please just also some more most other new good great morning
	afternoon evening night day everyone everybody folks guys world again sir madam mom dad friend there back
	necesito necesitaba quiero queria quisiera quisieramos tengo tenia tenemos puedo podria pueden podrian puede
	hice compre pague envie mande estaba tuve hago consulto escribo queriamos sabe saben saber tienen hacen
	venden disculpa disculpe perdon favor pregunta problema i we need want question sorry hope hoping wanted
	wondering got bought ordered paid
	enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
	lunes martes miercoles jueves viernes sabado domingo january february march april may june july august
	september october november december monday tuesday wednesday thursday friday saturday sunday
	espanol ingles english spanish portugues i'm im i've i'd i'll we're you're it's that's let's don't`)

// particles join the words of one name ("Juan de la Cruz").
var particles = wordSet(`de del la las los y van von da das do dos di du le`)

// titles precede a surname ("Sr. Pérez", "la señora Soto", "Mr. Smith").
var titles = wordSet(`senor senora senorita sr sra srta sres don dona dr dra mr mrs ms miss mister doctor
	doctora lic ing prof licenciado licenciada ingeniero ingeniera`)

// capitalTitles are also ordinary words ("un don", "miss the bus") unless
// written with a capital.
var capitalTitles = wordSet(`don dona miss mister`)

// --- phrases ---

// phraseSet holds folded word sequences, looked up by their first word.
type phraseSet map[string][][]string

func newPhraseSet(phrases string) phraseSet {
	ps := phraseSet{}
	for _, p := range strings.Split(phrases, ",") {
		words := strings.Fields(p)
		if len(words) > 0 {
			ps[words[0]] = append(ps[words[0]], words)
		}
	}
	for _, v := range ps {
		sort.SliceStable(v, func(i, j int) bool { return len(v[i]) > len(v[j]) })
	}
	return ps
}

// match returns how many tokens from i form the longest phrase of the set,
// 0 if none.
func (ps phraseSet) match(text string, toks []token, i int) int {
	if i < 0 || i >= len(toks) {
		return 0
	}
	for _, words := range ps[toks[i].fold] {
		if i+len(words) > len(toks) {
			continue
		}
		ok := true
		for k := 1; k < len(words); k++ {
			if toks[i+k].fold != words[k] || !spaceGap(text, toks[i+k-1].end, toks[i+k].start) {
				ok = false
				break
			}
		}
		if ok {
			return len(words)
		}
	}
	return 0
}

func spaceGap(text string, a, b int) bool {
	if b-a < 1 || b-a > 3 {
		return false
	}
	return strings.Trim(text[a:b], " \t") == ""
}

var (
	// openGreetings start a message and may run straight into a name
	// ("Hola Juan te cuento...").
	openGreetings = newPhraseSet(`hola, holi, hello, hi, hey, buenos dias, buenas tardes, buenas noches, buen dia,
		muy buenas, muy buenos dias, good morning, good afternoon, good evening, estimado, estimada, estimados,
		estimadas, querido, querida, queridos, dear, hola a todos, hola que tal, hi there, hello there,
		hi everyone, hello everyone, hi team, hola equipo, hola de nuevo`)
	// signOffs and other greetings are followed by a name only when the name
	// ends the clause ("Saludos, Carla", "Gracias, Juan!").
	signOffs = newPhraseSet(`buenas, saludos, un saludo, saludos cordiales, cordiales saludos, un abrazo, abrazos,
		un beso, besos, atentamente, atte, slds, cordialmente, gracias, muchas gracias, mil gracias, thanks,
		thank you, many thanks, best, best regards, kind regards, warm regards, regards, cheers, sincerely, bye,
		chao, chau, adios, bienvenido, bienvenida, welcome, felicidades, hasta luego, hasta pronto, nos vemos,
		take care, que tal`)
	// intros introduce the writer ("soy Juan Pérez", "my name is John").
	intros = newPhraseSet(`soy, me llamo, mi nombre es, my name is, i'm, i am, this is, te saluda, le saluda,
		les saluda, te habla, le habla, les habla, habla, te escribe, le escribe, les escribe, te atiende,
		le atiende, les atiende`)
	// lowerIntros are unambiguous enough to take a lower-case name
	// ("me llamo juan").
	lowerIntros = newPhraseSet(`me llamo, my name is`)

	// leadingCourtesies make the clause they start useless to anybody else
	// ("Gracias por escribirnos, ...").
	leadingCourtesies = newPhraseSet(`gracias por, muchas gracias por, mil gracias por, thanks for, thank you for,
		many thanks for, disculpa la demora, disculpe la demora, disculpa la espera, disculpe la espera,
		perdon por la demora, perdona la demora, lamentamos la demora, sorry for the delay, sorry for the wait,
		con gusto, un gusto, un placer, encantado, encantada, como estas, como esta, como estan, que tal,
		how are you, espero que estes bien, espero que este bien, espero que se encuentre bien,
		espero que te encuentres bien, hope you're well, i hope you're well, hope you are well,
		i hope you are well, feliz dia, que tengas, que tenga, have a great, have a nice, have a good,
		todo bien, bienvenido, bienvenida, welcome, un abrazo, abrazos, un beso, besos`)
	// closings make the whole sentence they start useless ("Quedo atento a
	// tus comentarios.", "Cualquier duda, me avisas.").
	closings = newPhraseSet(`quedo atento, quedo atenta, quedamos atentos, quedamos atentas, quedo a tu,
		quedo a su, quedo a disposicion, quedamos a tu, quedamos a su, quedamos a disposicion, quedo pendiente,
		quedamos pendientes, quedo al pendiente, espero que te sirva, espero que le sirva, espero que les sirva,
		espero te sirva, espero haberte ayudado, espero haberle ayudado, cualquier duda, cualquier consulta,
		cualquier otra duda, cualquier otra consulta, cualquier cosa, ante cualquier, si tienes alguna,
		si tienes cualquier, si tienes mas, si tienes otra, si tiene alguna, si tiene cualquier, no dudes en,
		no dude en, no duden en, estamos para ayudarte, estamos para servirte, estamos para lo que necesites,
		estamos a tu disposicion, estamos a su disposicion, fue un gusto, atentamente, atte, cordialmente,
		saludos cordiales, cordiales saludos, hope this helps, i hope this helps, hope that helps,
		let me know if, let us know if, feel free to, don't hesitate, do not hesitate, if you have any,
		happy to help, glad to help, best regards, kind regards, warm regards, sincerely, te deseo, les deseo`)
)

var (
	// signatures close a message; what follows them is the writer's name.
	signatures = newPhraseSet(`saludos, un saludo, saludos cordiales, cordiales saludos, un abrazo, abrazos,
		un beso, besos, atentamente, atte, slds, cordialmente, best, best regards, kind regards, warm regards,
		regards, cheers, sincerely, bye, chao, chau, adios, hasta luego, hasta pronto, nos vemos, take care`)
	// vocatives are always followed by whom they address ("Estimado cliente").
	vocatives = wordSet(`estimado estimada estimados estimadas querido querida queridos dear`)
	// addressees are the generic ones after "Hola" ("Hola a todos").
	addressees = wordSet(`a todos todas all everyone everybody equipo team cliente clientes customer customers
		usuario usuaria usuarios amigo amiga amigos amigas vecino vecina vecinos folks guys there de nuevo
		again`)
)

// --- names ---

// findContactNames finds each word of the contact's name or display name,
// whole-word and accent-insensitive ("perez" finds "Pérez").
func findContactNames(toks []token, c Contact) []candidate {
	keys := map[string]bool{}
	for _, s := range []string{c.Name, c.DisplayName} {
		for _, t := range tokenize(s) {
			if utf8.RuneCountInString(t.fold) >= 3 && !stopWords[t.fold] {
				keys[t.fold] = true
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var cs []candidate
	for _, t := range toks {
		if keys[t.fold] {
			cs = append(cs, candidate{KindName, t.start, t.end, rankContactName, true})
		}
	}
	return cs
}

// findNameCues finds names introduced by a greeting or sign-off ("Hola Juan",
// "Saludos, Carla"), a title ("Sr. Pérez") or a self-introduction ("soy
// Juan Pérez", "me llamo juan").
func findNameCues(text string, toks []token) []candidate {
	var cs []candidate
	add := func(from, to int) {
		cs = append(cs, candidate{KindName, from, to, rankNameCue, false})
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		// "Sr. Pérez", "la señora Soto"
		if titles[t.fold] && (t.upper || !capitalTitles[t.fold]) && i+1 < len(toks) {
			gap := text[t.end:toks[i+1].start]
			if len(gap) <= 3 && strings.Trim(gap, ". ") == "" && gap != "" {
				if end, n := nameRun(text, toks, i+1, 3, false); n > 0 {
					add(toks[i+1].start, end)
				}
			}
		}
		// "soy Juan", "me llamo juan"
		if n := intros.match(text, toks, i); n > 0 && i+n < len(toks) && spaceGap(text, toks[i+n-1].end, toks[i+n].start) {
			end, k := nameRun(text, toks, i+n, 3, false)
			if k == 0 && lowerIntros.match(text, toks, i) > 0 {
				end, k = nameRun(text, toks, i+n, 2, true)
			}
			if k > 0 {
				add(toks[i+n].start, end)
			}
		}
		// "Hola Juan", "Saludos,\nCarla Soto"
		open := openGreetings.match(text, toks, i)
		n := open
		if sign := signOffs.match(text, toks, i); sign > n {
			n, open = sign, 0
		}
		if n == 0 || i+n >= len(toks) || !atClauseStart(text, t.start) {
			continue
		}
		j := i + n
		last := toks[j-1]
		ok, spacesOnly := greetGap(text[last.end:toks[j].start], last.fold == "atte" || last.fold == "slds")
		if !ok {
			continue
		}
		end, k := nameRun(text, toks, j, 3, false)
		if k == 0 {
			continue
		}
		// After "Hola " a capitalised word is a name; after "Hola,\n" it may
		// be the first word of the message, and in "HOLA DESPUÉS DE PAGAR"
		// any word, so then it must end its clause.
		shouting := strings.ToUpper(text[toks[j].start:toks[j].end]) == text[toks[j].start:toks[j].end]
		if (open > 0 && spacesOnly && !shouting) || clauseEndAfter(text, toks, end) {
			add(toks[j].start, end)
			i = j + k - 1
		}
	}
	return cs
}

// nameRun reads up to max name words from toks[j], joined by spaces or
// particles, and returns the end byte and how many words it read.
func nameRun(text string, toks []token, j, max int, allowLower bool) (int, int) {
	end, n, k := -1, 0, j
	for n < max && k < len(toks) {
		if n > 0 {
			p := k
			for p < len(toks) && p < k+2 && particles[toks[p].fold] && nameGap(text, toks[p-1].end, toks[p].start) {
				p++
			}
			if p >= len(toks) || !nameGap(text, toks[p-1].end, toks[p].start) {
				break
			}
			k = p
		}
		if !isNameWord(text, toks[k], allowLower) {
			break
		}
		end = toks[k].end
		n++
		k++
	}
	return end, n
}

func nameGap(text string, a, b int) bool {
	return spaceGap(text, a, b) || text[a:b] == "-"
}

func isNameWord(text string, t token, allowLower bool) bool {
	if !t.upper && !allowLower {
		return false
	}
	if utf8.RuneCountInString(t.fold) < 2 || stopWords[t.fold] || particles[t.fold] || titles[t.fold] {
		return false
	}
	// "C1DO1", "juan_92", "juan@": part of a code or handle.
	if t.start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:t.start]); unicode.IsDigit(r) || r == '_' || r == '@' {
			return false
		}
	}
	if t.end < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[t.end:]); unicode.IsDigit(r) || r == '_' || r == '@' {
			return false
		}
	}
	return true
}

// greetGap accepts what may separate a greeting from a name: spaces, a
// comma, one line break, and a dot after an abbreviation ("Atte. Carla").
func greetGap(gap string, abbrev bool) (ok, spacesOnly bool) {
	lines := 0
	spacesOnly = true
	for _, r := range gap {
		switch r {
		case ' ', '\t':
		case ',', '\r':
			spacesOnly = false
		case '\n':
			lines++
			spacesOnly = false
		case '.':
			if !abbrev {
				return false, false
			}
			spacesOnly = false
		default:
			return false, false
		}
	}
	return gap != "" && lines <= 1, spacesOnly
}

// atClauseStart: nothing but spaces between pos and the start of the text,
// a punctuation mark or an emoji.
func atClauseStart(text string, pos int) bool {
	i := pos
	for i > 0 {
		r, w := utf8.DecodeLastRuneInString(text[:i])
		if r != ' ' && r != '\t' {
			break
		}
		i -= w
	}
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return strings.ContainsRune(".!?¡¿,;:\n\r\"'«“(-—–*_>", r) || isEmojiLike(r)
}

// clauseEndAfter: the name at pos ends its clause, or goes on with the
// company ("Carla de C1DO1", "Mary from Acme").
func clauseEndAfter(text string, toks []token, pos int) bool {
	i := pos
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i >= len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	if strings.ContainsRune(",.!?;:\n\r)(—–-|/\"'«»“”", r) || isEmojiLike(r) {
		return true
	}
	if ti := tokenAt(toks, i); ti >= 0 {
		switch toks[ti].fold {
		case "de", "del", "from", "of", "at", "desde":
			return true
		}
	}
	return false
}

func isEmojiLike(r rune) bool {
	return unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || (r >= 0x1F000 && r <= 0x1FAFF)
}

// --- General ---

// General returns the part of a message that is useful to another customer:
// greetings and sign-offs addressed to a person ("Hola Juan,", "Saludos,
// Carla"), pleasantries ("gracias por escribirnos", "quedo atento") and
// self-introductions ("Soy Juan Pérez, RUT ...") are removed; every
// sentence or clause that still contains personal data is removed whole,
// because "te escribí a [email]" is useless to the next customer. What
// remains is trimmed and capitalised. Returns "" when nothing general
// remains.
func General(text string, c Contact) string {
	out := text
	// Reassembled text is checked again: dropping a clause can put a name
	// right after a greeting. The last resort is to learn nothing.
	for pass := 0; pass < 4; pass++ {
		out = generalOnce(out, c)
		if out == "" || len(Find(out, c)) == 0 {
			return out
		}
	}
	return ""
}

type span struct{ start, end int }

// unit is a sentence, or a part of one closed by ";" or ":": text[start:end]
// is its content and text[end:termEnd] its closing punctuation.
type unit struct{ start, end, termEnd int }

type generalizer struct {
	text  string
	toks  []token
	fs    []Finding
	owner []int32 // index into fs of the finding covering each byte, or -1
}

func generalOnce(text string, c Contact) string {
	g := &generalizer{text: text, toks: tokenize(text), fs: Find(text, c)}
	g.owner = make([]int32, len(text))
	for i := range g.owner {
		g.owner[i] = -1
	}
	for k, f := range g.fs {
		for b := f.Start; b < f.End; b++ {
			g.owner[b] = int32(k)
		}
	}
	units := g.units()
	type piece struct {
		unit  int
		text  string
		moved bool // lost a leading clause, so it starts a sentence now
	}
	var ps []piece
	signed := false
	for i, u := range units {
		s, moved, v := g.keep(u)
		switch {
		case v == verdictSignOff:
			signed = true
		case signed && g.signatureLine(u):
			// Lines after a sign-off are the signature ("Carla | C1DO1").
		case v == verdictKeep:
			ps = append(ps, piece{i, s, moved})
			signed = false
		}
	}
	// A unit that introduced what was dropped ("Los datos son: [account]")
	// goes with it.
	for k := len(ps) - 1; k >= 0; k-- {
		if strings.HasSuffix(ps[k].text, ":") && (k == len(ps)-1 || ps[k+1].unit != ps[k].unit+1) {
			ps = append(ps[:k], ps[k+1:]...)
		}
	}
	var b strings.Builder
	prevEnds := true
	for k, p := range ps {
		s := p.text
		if k == len(ps)-1 || ps[k+1].unit != p.unit+1 {
			// What came after ";" or "," is gone: close the sentence.
			if t := strings.TrimRight(s, ":;,"); t != s {
				s = t + "."
			}
		}
		newline := false
		if k > 0 {
			newline = strings.ContainsAny(text[units[ps[k-1].unit].termEnd:units[p.unit].start], "\n\r")
			if newline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		if prevEnds || p.moved || newline {
			s = capitalise(s)
		}
		b.WriteString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		prevEnds = strings.ContainsRune(".!?…", last)
	}
	return strings.TrimSpace(b.String())
}

// abbreviations end with a dot that does not end the sentence ("Sr. Pérez",
// "Av. Providencia", "Atte. Carla").
var abbreviations = wordSet(`sr sra srta sres dr dra av avda atte nro no n nº num st mr mrs ms depto dpto cta cte
	ej aprox lic ing prof tel ud uds vs jr psje pje of ofic dto int pta sto sta ee uu approx cel fono pag`)

func (g *generalizer) units() []unit {
	text := g.text
	var us []unit
	start := 0
	add := func(end, termEnd int) {
		s := start
		for s < end && (text[s] == ' ' || text[s] == '\t') {
			s++
		}
		if s < termEnd {
			us = append(us, unit{s, end, termEnd})
		}
	}
	i := 0
	for i < len(text) {
		r, w := utf8.DecodeRuneInString(text[i:])
		if g.owner[i] >= 0 {
			i += w
			continue // never split inside a finding
		}
		switch {
		case r == '\n' || r == '\r':
			add(i, i)
			start = i + w
		case r == '¿' || r == '¡':
			if strings.TrimSpace(text[start:i]) != "" {
				add(i, i)
				start = i
			}
		case isTerminator(r):
			j := i + w
			for j < len(text) {
				r2, w2 := utf8.DecodeRuneInString(text[j:])
				if !isTerminator(r2) {
					break
				}
				j += w2
			}
			if j < len(text) {
				if r2, _ := utf8.DecodeRuneInString(text[j:]); !unicode.IsSpace(r2) && r2 != '¿' && r2 != '¡' {
					i = j
					continue
				}
			}
			if r == '.' && j == i+w && g.abbreviationBefore(i) {
				i = j
				continue
			}
			add(i, j)
			start, i = j, j
			continue
		}
		i += w
	}
	add(len(text), len(text))
	return us
}

func isTerminator(r rune) bool {
	return r == '.' || r == '!' || r == '?' || r == '…' || r == ';' || r == ':'
}

func (g *generalizer) abbreviationBefore(i int) bool {
	k := sort.Search(len(g.toks), func(k int) bool { return g.toks[k].end >= i })
	if k >= len(g.toks) || g.toks[k].end != i {
		return false
	}
	t := g.toks[k]
	return abbreviations[t.fold] || utf8.RuneCountInString(t.fold) == 1
}

// clauses splits a unit at commas, except inside findings and numbers ("1,5").
func (g *generalizer) clauses(u unit) []span {
	var cl []span
	s := u.start
	for i := u.start; i < u.end; i++ {
		if g.text[i] != ',' || g.owner[i] >= 0 {
			continue
		}
		if i > 0 && i+1 < len(g.text) && isDigit(g.text[i-1]) && isDigit(g.text[i+1]) {
			continue
		}
		cl = append(cl, span{s, i})
		s = i + 1
	}
	return append(cl, span{s, u.end})
}

type verdict int

const (
	verdictDrop    verdict = iota
	verdictKeep            // something general remains
	verdictSignOff         // a closing or a sign-off: what follows may be a signature
)

// keep returns what is general in a unit and whether it lost its beginning.
func (g *generalizer) keep(u unit) (string, bool, verdict) {
	cls := g.clauses(u)
	if g.startsWith(closings, cls[0]) || g.signedBy(u) {
		return "", false, verdictSignOff
	}
	first, moved := 0, false
	for first < len(cls) {
		cl := cls[first]
		rest := span{g.stripOpening(cl), cl.end}
		if g.droppable(cl) || g.droppable(rest) {
			first++
			moved = true
			continue
		}
		if rest.start != cl.start {
			moved = true
			cls[first] = rest
		}
		break
	}
	if first == len(cls) {
		return "", false, verdictDrop
	}
	if g.startsWith(closings, cls[first]) {
		return "", false, verdictSignOff
	}
	last, cut := len(cls)-1, false
	for last > first && (g.droppable(cls[last]) || g.startsWith(closings, cls[last])) {
		last--
		cut = true
	}
	lo, hi := cls[first].start, cls[last].end
	if g.hasFinding(lo, hi) || g.blank(span{lo, hi}) {
		return "", false, verdictDrop
	}
	s := strings.TrimLeft(strings.TrimSpace(g.text[lo:hi]), ",;:—–- ")
	if s == "" {
		return "", false, verdictDrop
	}
	term := g.text[u.end:u.termEnd]
	if cut && strings.ContainsAny(term, ":;") {
		term = "."
	}
	return s + term, moved, verdictKeep
}

// signedBy: the unit is a sign-off and a signature, "Saludos, Carla Soto —
// Equipo C1DO1", as opposed to "Saludos, quería consultar...".
func (g *generalizer) signedBy(u unit) bool {
	ti := g.firstToken(span{u.start, u.end})
	n := signatures.match(g.text, g.toks, ti)
	if n == 0 {
		return false
	}
	for k := ti + n; k < len(g.toks) && g.toks[k].start < u.end; k++ {
		if t := g.toks[k]; !t.upper && !particles[t.fold] && g.owner[t.start] < 0 {
			return false
		}
	}
	return true
}

// signatureLine: a short line without a sentence end, like a name, a team
// or a web address under a sign-off.
func (g *generalizer) signatureLine(u unit) bool {
	return g.words(span{u.start, u.end}) <= 6 && !strings.ContainsAny(g.text[u.end:u.termEnd], ".?!…:;")
}

func (g *generalizer) words(sp span) int {
	lo := sort.Search(len(g.toks), func(k int) bool { return g.toks[k].start >= sp.start })
	hi := sort.Search(len(g.toks), func(k int) bool { return g.toks[k].start >= sp.end })
	return hi - lo
}

// droppable: nothing general in the clause — only punctuation, a bare
// greeting or sign-off with a name, a courtesy, or a name alone ("Juan").
func (g *generalizer) droppable(sp span) bool {
	if g.blank(sp) {
		return true
	}
	ti := g.firstToken(sp)
	if ti < 0 {
		return false
	}
	for _, ps := range []phraseSet{openGreetings, signOffs} {
		if n := ps.match(g.text, g.toks, ti); n > 0 && g.onlyNames(g.toks[ti+n-1].end, sp.end, false) {
			return true
		}
	}
	// "Estimado cliente", "Hola a todos", "Dear customer", "Sr. cliente".
	n := openGreetings.match(g.text, g.toks, ti)
	if n == 0 && titles[g.toks[ti].fold] {
		n = 1
	}
	if n > 0 {
		rest := span{g.toks[ti+n-1].end, sp.end}
		if w := g.words(rest); w <= 3 && (vocatives[g.toks[ti].fold] || g.allIn(rest, addressees)) && !g.hasDigit(rest) {
			return true
		}
	}
	return leadingCourtesies.match(g.text, g.toks, ti) > 0 || g.onlyNames(sp.start, sp.end, true)
}

// startsWith: the clause opens with a phrase of ps (after punctuation like "¿").
func (g *generalizer) startsWith(ps phraseSet, sp span) bool {
	ti := g.firstToken(sp)
	return ti >= 0 && ps.match(g.text, g.toks, ti) > 0
}

// firstToken is the clause's first word, if only punctuation precedes it.
func (g *generalizer) firstToken(sp span) int {
	k := sort.Search(len(g.toks), func(k int) bool { return g.toks[k].start >= sp.start })
	if k >= len(g.toks) || g.toks[k].start >= sp.end || !g.blank(span{sp.start, g.toks[k].start}) {
		return -1
	}
	return k
}

// onlyNames: every word in [lo, hi) belongs to a name finding, a title or a
// particle, and no digit stands outside a finding; needName asks for at
// least one name.
func (g *generalizer) onlyNames(lo, hi int, needName bool) bool {
	names := 0
	for i := lo; i < hi; {
		if k := g.owner[i]; k >= 0 {
			if g.fs[k].Kind != KindName {
				return false
			}
			names++
			i = g.fs[k].End
			continue
		}
		r, w := utf8.DecodeRuneInString(g.text[i:])
		if unicode.IsDigit(r) {
			return false
		}
		if unicode.IsLetter(r) {
			ti := tokenAt(g.toks, i)
			if ti < 0 {
				return false
			}
			t := g.toks[ti]
			if !titles[t.fold] && !particles[t.fold] {
				return false
			}
			i = t.end
			continue
		}
		i += w
	}
	return names > 0 || !needName
}

// stripOpening removes a greeting, the name it addresses and a
// self-introduction from the start of a clause: "Hola Juan te cuento" →
// "te cuento", "soy Carla de C1DO1 y te cuento" → "te cuento".
func (g *generalizer) stripOpening(cl span) int {
	pos := cl.start
	ti := g.firstToken(cl)
	if ti < 0 {
		return pos
	}
	if n := openGreetings.match(g.text, g.toks, ti); n > 0 {
		pos = g.skipAddressee(g.toks[ti+n-1].end, cl.end)
	}
	pos = g.skipPunct(pos, cl.end)
	ti = tokenAt(g.toks, pos)
	if n := intros.match(g.text, g.toks, ti); n > 0 {
		after := g.skipPunct(g.toks[ti+n-1].end, cl.end)
		if after >= cl.end {
			return pos
		}
		if k := g.owner[after]; k >= 0 && g.fs[k].Kind == KindName {
			// The introduction runs to the end of the clause or to "y"/"and".
			for j := ti + n; j < len(g.toks) && g.toks[j].start < cl.end; j++ {
				if g.toks[j].start >= g.fs[k].End && (g.toks[j].fold == "y" || g.toks[j].fold == "and" || g.toks[j].fold == "e") {
					return g.skipPunct(g.toks[j].end, cl.end)
				}
			}
			return cl.end
		}
	}
	return pos
}

// skipAddressee skips what follows a greeting: punctuation, titles and name
// findings ("Hola, Sr. Pérez, ...").
func (g *generalizer) skipAddressee(pos, end int) int {
	for {
		p := g.skipPunct(pos, end)
		if ti := tokenAt(g.toks, p); ti >= 0 && titles[g.toks[ti].fold] && g.toks[ti].end <= end {
			p = g.toks[ti].end
			if p < end && g.text[p] == '.' {
				p++
			}
		}
		p = g.skipPunct(p, end)
		if p < end {
			if k := g.owner[p]; k >= 0 && g.fs[k].Kind == KindName && g.fs[k].Start == p {
				p = min(g.fs[k].End, end)
			}
		}
		if p == pos {
			return pos
		}
		pos = p
	}
}

func (g *generalizer) skipPunct(pos, end int) int {
	for pos < end {
		r, w := utf8.DecodeRuneInString(g.text[pos:])
		if !unicode.IsSpace(r) && r != ',' && r != '!' && r != ':' && r != '¡' {
			break
		}
		pos += w
	}
	return pos
}

// allIn: every word in sp is in set.
func (g *generalizer) allIn(sp span, set map[string]bool) bool {
	lo := sort.Search(len(g.toks), func(k int) bool { return g.toks[k].start >= sp.start })
	for k := lo; k < len(g.toks) && g.toks[k].start < sp.end; k++ {
		if !set[g.toks[k].fold] {
			return false
		}
	}
	return true
}

func (g *generalizer) hasDigit(sp span) bool {
	for i := sp.start; i < sp.end; i++ {
		if isDigit(g.text[i]) {
			return true
		}
	}
	return false
}

func (g *generalizer) hasFinding(lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if g.owner[i] >= 0 {
			return true
		}
	}
	return false
}

// blank: no letter or digit, only spaces, punctuation and emoji.
func (g *generalizer) blank(sp span) bool {
	if sp.start >= sp.end {
		return true
	}
	for _, r := range g.text[sp.start:sp.end] {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// capitalise upper-cases the first letter, past "¿", "¡", quotes or brackets.
func capitalise(s string) string {
	for i, r := range s {
		if unicode.IsDigit(r) {
			return s
		}
		if unicode.IsLetter(r) {
			if !unicode.IsLower(r) {
				return s
			}
			u := unicode.ToUpper(r)
			return s[:i] + string(u) + s[i+utf8.RuneLen(r):]
		}
	}
	return s
}
