package privacy

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// National ids. Without a keyword an id is recognised only in its usual
// written form and with a valid check digit, because the bare digits would
// otherwise match prices, order numbers and phones. After a keyword ("RUT",
// "DNI", "cédula", ...) any id-like token counts: a wrong check digit there
// is a typo, still somebody's id.

var (
	// Chile RUT/RUN: 12.345.678-5, 12345678-5, 7.654.321-K.
	rutRe = regexp.MustCompile(`\b(?:\d{1,2}\.\d{3}\.\d{3}|\d{7,8})-[\dkK]\b`)
	// Spain DNI: 12345678Z, 12345678-Z, 12.345.678-Z.
	dniRe = regexp.MustCompile(`\b(?:\d{8}|\d{2}\.\d{3}\.\d{3})-?[A-Za-z]\b`)
	// Spain NIE: X1234567L, Y-1234567-X.
	nieRe = regexp.MustCompile(`\b[XYZxyz]-?\d{7}-?[A-Za-z]\b`)
	// Brazil CPF: 111.444.777-35.
	cpfRe = regexp.MustCompile(`\b\d{3}\.\d{3}\.\d{3}-\d{2}\b`)
	// Argentina CUIT/CUIL: 20-12345678-6.
	cuitRe = regexp.MustCompile(`\b\d{2}-\d{8}-\d\b`)
	// Mexico CURP: 4 letters, birth date, sex, state, 3 consonants, 2 more.
	curpRe = regexp.MustCompile(`\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d\b`)
	// Mexico RFC: 3 (companies) or 4 (people) letters, date, 3 characters.
	rfcRe = regexp.MustCompile(`[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}`)
	// Venezuela cédula with its nationality letter: V-12.345.678.
	venRe = regexp.MustCompile(`\b[VEve]-\d{1,2}\.?\d{3}\.?\d{3}\b`)
)

type idPattern struct {
	re    *regexp.Regexp
	valid func(string) bool
}

var checkedIDs = []idPattern{
	{rutRe, rutValid},
	{dniRe, dniValid},
	{nieRe, nieValid},
	{cpfRe, cpfValid},
	{cuitRe, cuitValid},
	{curpRe, func(s string) bool { return dateOK(s[4:10]) }},
	{rfcRe, rfcValid},
	{venRe, func(string) bool { return true }},
}

func findCheckedIDs(text string, ws []span) []candidate {
	var cs []candidate
	for _, p := range checkedIDs {
		for _, m := range allIn(p.re, text, ws) {
			if standsAlone(text, m[0], m[1]) && p.valid(text[m[0]:m[1]]) {
				cs = append(cs, candidate{KindNationalID, m[0], m[1], rankCheckedID, true})
			}
		}
	}
	return cs
}

// standsAlone: no letter or digit touches the span (Go's \b is ASCII-only).
func standsAlone(s string, lo, hi int) bool {
	if lo > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:lo]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if hi < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[hi:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// rutValid checks the Chilean mod-11 verifier: weights 2..7 from the right,
// 11 - sum%11, where 11 is "0" and 10 is "K".
func rutValid(s string) bool {
	dash := strings.LastIndexByte(s, '-')
	if dash < 0 || dash+1 >= len(s) {
		return false
	}
	body := digitsOf(s[:dash])
	dv := s[dash+1] &^ 0x20 // upper-case the K; digits keep their value below
	if s[dash+1] >= '0' && s[dash+1] <= '9' {
		dv = s[dash+1]
	}
	return rutDV(body) == dv
}

func rutDV(body string) byte {
	sum, mul := 0, 2
	for i := len(body) - 1; i >= 0; i-- {
		sum += int(body[i]-'0') * mul
		mul++
		if mul > 7 {
			mul = 2
		}
	}
	switch r := 11 - sum%11; r {
	case 11:
		return '0'
	case 10:
		return 'K'
	default:
		return byte('0' + r)
	}
}

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// dniValid checks the Spanish control letter: the number mod 23 indexes
// dniLetters.
func dniValid(s string) bool {
	d := digitsOf(s)
	if len(d) != 8 {
		return false
	}
	return dniLetter(d) == s[len(s)-1]&^0x20
}

func dniLetter(d string) byte {
	n := 0
	for i := 0; i < len(d); i++ {
		n = (n*10 + int(d[i]-'0')) % 23
	}
	return dniLetters[n]
}

// nieValid: the leading X, Y or Z stands for 0, 1 or 2, then as a DNI.
func nieValid(s string) bool {
	prefix := strings.IndexByte("XYZ", s[0]&^0x20)
	d := digitsOf(s)
	if prefix < 0 || len(d) != 7 {
		return false
	}
	return dniLetter(string(byte('0'+prefix))+d) == s[len(s)-1]&^0x20
}

// cpfValid checks both Brazilian mod-11 digits; repeated digits
// (111.111.111-11) pass the arithmetic but are not issued.
func cpfValid(s string) bool {
	d := digitsOf(s)
	if len(d) != 11 || strings.Count(d, d[:1]) == 11 {
		return false
	}
	for _, n := range []int{9, 10} {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(d[i]-'0') * (n + 1 - i)
		}
		r := sum * 10 % 11
		if r == 10 {
			r = 0
		}
		if r != int(d[n]-'0') {
			return false
		}
	}
	return true
}

// cuitValid checks the Argentine mod-11 digit with weights 5432765432.
func cuitValid(s string) bool {
	d := digitsOf(s)
	if len(d) != 11 {
		return false
	}
	switch d[:2] {
	case "20", "23", "24", "27", "30", "33", "34":
	default:
		return false
	}
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(d[i]-'0') * w
	}
	r := 11 - sum%11
	if r == 11 {
		r = 0
	}
	return r < 10 && r == int(d[10]-'0')
}

func rfcValid(s string) bool {
	i := 0
	for i < len(s) && !isDigit(s[i]) {
		i++
	}
	// Ñ is two bytes, so a 4-letter prefix may be 5 bytes long.
	return i+6 <= len(s) && utf8.RuneCountInString(s[:i]) <= 4 && dateOK(s[i:i+6])
}

// dateOK validates the YYMMDD inside CURP and RFC.
func dateOK(yymmdd string) bool {
	if len(yymmdd) != 6 {
		return false
	}
	mm := int(yymmdd[2]-'0')*10 + int(yymmdd[3]-'0')
	dd := int(yymmdd[4]-'0')*10 + int(yymmdd[5]-'0')
	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31
}

// idKeywordRe introduces an id of any country. Short uppercase keywords
// ("CC", "CI", "ID") are case-sensitive: "cc" in an email and "id" in a
// link are not ids.
var idKeywordRe = regexp.MustCompile(`(?i:\b(?:c[eé]dula(?:\s+de\s+(?:identidad|ciudadan[ií]a|extranjer[ií]a))?|documento(?:\s+(?:de\s+identidad|nacional\s+de\s+identidad|de\s+identificaci[oó]n))?|pasaporte|passport(?:\s+(?:number|no\.?))?|dni|nie|nif|rut|curp|rfc|cuit|cuil|cpf|nit|ruc|ssn|social\s+security(?:\s+number)?|id\s+(?:number|no\.?|#)|carn[eé]t?\s+de\s+identidad|n[uú]mero\s+de\s+(?:identificaci[oó]n|documento|identidad)|identificaci[oó]n))|\b(?:C\.C\.|C\.I\.|CC|CI|ID|RUN|RG|DUI)`)

var idFillers = wordSet(`es is was era n no nro num numero number de del mi my su your el la the tu
	identidad identificacion nacional chileno chilena peruano peruana colombiano colombiana argentino
	argentina venezolano venezolana uruguayo uruguaya ecuatoriano ecuatoriana mexicano mexicana
	espanol espanola brasileno brasilena`)

// findKeywordIDs finds the token after an id keyword and a few fillers:
// "RUT 12.345.678-9", "mi DNI es el 43.123.456", "C.I. 1.234.567-8",
// "pasaporte AB123456", "SSN 123-45-6789".
func findKeywordIDs(text, masked string, toks []token, ws []span) []candidate {
	var cs []candidate
	for _, m := range allIn(idKeywordRe, text, ws) {
		if text[m[1]-1] != '.' && (letterAt(text, m[1]) || (m[1] < len(text) && isDigit(text[m[1]]))) {
			continue // "rutina", "nieve", "IDs"
		}
		pos := m[1]
		for step := 0; step < 5; step++ {
			pos = skipFillerPunct(text, pos)
			if end, digits, letters := scanNumberToken(masked, pos); digits >= 6 && digits <= 20 && letters <= 12 {
				cs = append(cs, candidate{KindNationalID, pos, end, rankKeywordID, false})
				break
			}
			ti := tokenAt(toks, pos)
			if ti < 0 || !idFillers[toks[ti].fold] {
				break
			}
			pos = toks[ti].end
		}
	}
	return cs
}
