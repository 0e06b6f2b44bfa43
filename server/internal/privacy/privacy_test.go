package privacy

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const (
	scenarioQuestion = "Soy Juan Pérez, RUT 12.345.678-9, correo juan.perez@gmail.com: ¿puedo pagar desde Perú?"
	scenarioAnswer   = "Hola Juan, te escribí a juan.perez@gmail.com; la cuenta es BancoEstado 123456789. Sí, puedes pagar desde Perú con tarjeta internacional. Saludos, Carla"
	scenarioTakeover = "Hola, soy Carla de C1DO1: el envío a regiones tarda 3 a 5 días hábiles. Saludos!"
)

var juan = Contact{Name: "Juan Pérez", DisplayName: "Juanito 🎸", Phone: "56912345678"}

// --- check digits, computed here independently of the code under test ---

// rut formats body with its mod-11 verifier, dotted: 12345678 → "12.345.678-5".
func rut(body int) string {
	sum, w := 0, 2
	for n := body; n > 0; n /= 10 {
		sum += n % 10 * w
		if w++; w == 8 {
			w = 2
		}
	}
	dv := strconv.Itoa(11 - sum%11)
	switch dv {
	case "11":
		dv = "0"
	case "10":
		dv = "K"
	}
	s := strconv.Itoa(body)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String() + "-" + dv
}

// rutWrong is rut(body) with another verifier.
func rutWrong(body int) string {
	s := rut(body)
	if strings.HasSuffix(s, "-1") {
		return s[:len(s)-1] + "2"
	}
	return s[:len(s)-1] + "1"
}

func dni(n int) string { return fmt.Sprintf("%08d%c", n, "TRWAGMYFPDXBNJZSQVHLCKE"[n%23]) }

func nie(prefix byte, n int) string {
	full := int(prefix-'X')*10000000 + n
	return fmt.Sprintf("%c%07d%c", prefix, n, "TRWAGMYFPDXBNJZSQVHLCKE"[full%23])
}

// cpf completes 9 digits with both verifiers: "111444777" → "111.444.777-35".
func cpf(base string) string {
	d := base
	for _, n := range []int{9, 10} {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(d[i]-'0') * (n + 1 - i)
		}
		v := 11 - sum%11
		if v >= 10 {
			v = 0
		}
		d += strconv.Itoa(v)
	}
	return d[:3] + "." + d[3:6] + "." + d[6:9] + "-" + d[9:]
}

// cuit completes prefix and 8 digits: "20", "12345678" → "20-12345678-6".
func cuit(prefix, body string) string {
	d := prefix + body
	w := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := range w {
		sum += int(d[i]-'0') * w[i]
	}
	v := (11 - sum%11) % 11
	return prefix + "-" + body + "-" + strconv.Itoa(v)
}

// luhnComplete appends the Luhn check digit to a card number without it.
func luhnComplete(partial string) string {
	for c := '0'; c <= '9'; c++ {
		s := partial + string(c)
		sum := 0
		for i := range s {
			d := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		if sum%10 == 0 {
			return s
		}
	}
	panic("unreachable")
}

// iban computes the check digits for a country and BBAN.
func iban(country, bban string) string {
	s := bban + country + "00"
	mod := 0
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			mod = (mod*100 + int(c-'A'+10)) % 97
		} else {
			mod = (mod*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", country, 98-mod, bban)
}

func TestCheckDigitHelpersMatchPublishedExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{rut(12345678), "12.345.678-5"},
		{dni(12345678), "12345678Z"},
		{nie('X', 1234567), "X1234567L"},
		{cpf("111444777"), "111.444.777-35"},
		{cuit("20", "12345678"), "20-12345678-6"},
		{luhnComplete("411111111111111"), "4111111111111111"},
		{iban("GB", "WEST12345698765432"), "GB82WEST12345698765432"},
		{iban("ES", "21000418450200051332"), "ES9121000418450200051332"},
	} {
		if tc.got != tc.want {
			t.Errorf("helper gave %q, published example is %q", tc.got, tc.want)
		}
	}
}

// --- detection tables ---

type findCase struct {
	name string
	text string
	want string // the text of the finding of the kind under test, "" for none
}

// runKind checks, for each case, the findings of kind k.
func runKind(t *testing.T, k Kind, c Contact, cases []findCase) {
	t.Helper()
	for _, tc := range cases {
		var got []string
		for _, f := range Find(tc.text, c) {
			if f.Kind == k {
				got = append(got, f.Text)
			}
		}
		var want []string
		if tc.want != "" {
			want = []string{tc.want}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Find(%q) %s = %q, want %q (all: %+v)", tc.name, tc.text, k, got, want, Find(tc.text, c))
		}
	}
}

func TestFindEmail(t *testing.T) {
	t.Parallel()
	runKind(t, KindEmail, Contact{}, []findCase{
		{"plain", "mi correo es ana@gmail.com.", "ana@gmail.com"},
		{"plus tag", "escríbeme a juan.perez+compras@gmail.com", "juan.perez+compras@gmail.com"},
		{"subdomain", "ana.soto@mail.empresa.com.ar, gracias", "ana.soto@mail.empresa.com.ar"},
		{"accents", "josé@correo.es", "josé@correo.es"},
		{"mailto", "<a href=mailto:ana@x.cl?subject=hola>", "mailto:ana@x.cl?subject=hola"},
		{"handle", "sígueme en @c1do1", ""},
		{"no domain", "ana@ no sé", ""},
		{"company url", "entra a https://c1do1.cl/ayuda", ""},
	})
}

func TestFindURL(t *testing.T) {
	t.Parallel()
	runKind(t, KindURL, juan, []findCase{
		{"company link survives", "entra a https://c1do1.cl/ayuda/pagos.", ""},
		{"www link survives", "ver www.c1do1.cl/planes?id=4521&ref=87654321", ""},
		{"company whatsapp link", "escríbenos a https://wa.me/56987654321", ""},
		{"email in query", "baja en https://c1do1.cl/baja?e=juan@gmail.com ok", "https://c1do1.cl/baja?e=juan@gmail.com"},
		{"encoded email", "https://c1do1.cl/baja?email=juan%40gmail.com.", "https://c1do1.cl/baja?email=juan%40gmail.com"},
		{"contact phone", "https://wa.me/56912345678", "https://wa.me/56912345678"},
		{"contact name", "https://facebook.com/juan.perez", "https://facebook.com/juan.perez"},
		{"valid RUT", "https://c1do1.cl/estado?rut=" + rut(12345678), "https://c1do1.cl/estado?rut=" + rut(12345678)},
	})
}

func TestFindPhone(t *testing.T) {
	t.Parallel()
	runKind(t, KindPhone, Contact{}, []findCase{
		{"CL E.164", "llámame al +56 9 1234 5678 por favor", "+56 9 1234 5678"},
		{"CL local", "mi cel es 9 8765 4321", "9 8765 4321"},
		{"CL compact", "56987654321", "56987654321"},
		{"ES E.164", "+34 612 34 56 78", "+34 612 34 56 78"},
		{"ES local", "llama al 912 345 678.", "912 345 678"},
		{"ES dashes", "612-34-56-78", "612-34-56-78"},
		{"MX E.164", "+52 1 55 1234 5678", "+52 1 55 1234 5678"},
		{"BR E.164", "+55 11 91234-5678", "+55 11 91234-5678"},
		{"AR E.164", "+54 9 11 1234-5678", "+54 9 11 1234-5678"},
		{"AR local", "fijo (011) 4321-5678", "(011) 4321-5678"},
		{"CO E.164", "+57 300 1234567", "+57 300 1234567"},
		{"CO local", "cel 300 123 4567", "300 123 4567"},
		{"PE E.164", "+51 987 654 321", "+51 987 654 321"},
		{"UY E.164", "+598 94 123 456", "+598 94 123 456"},
		{"EC local", "0991234567", "0991234567"},
		{"US", "call +1 (415) 555-2671", "+1 (415) 555-2671"},
		{"dots", "9.8765.4321", "9.8765.4321"},
		{"price", "cuesta $12.990", ""},
		{"big price", "son $12.345.678 en total", ""},
		{"amount with currency after", "1.500 USD o 1.234.567 pesos", ""},
		{"dollars", "USD 1,500.00", ""},
		{"thousands without currency", "vendimos 1.234.567.890 unidades", ""},
		{"decimals", "pesa 12345678.50 kg", ""},
		{"date", "el 12/05/2024 llega", ""},
		{"date dashes", "el 12-05-2024 llega", ""},
		{"iso date and time", "desde 2024-05-12 10:30", ""},
		{"year range", "de 2019-2024", ""},
		{"year list", "en 2019 2020 2021", ""},
		{"hours", "24 horas", ""},
		{"code", "código 1234", ""},
		{"step", "paso 3", ""},
		{"version", "versión 2.1.0", ""},
		{"order", "pedido #4521", ""},
		{"plan", "plan 300", ""},
		{"article", "artículo 5", ""},
		{"service numbers", "marca *611 o 131", ""},
		{"percentage", "un 12,5% o 15 %", ""},
		{"short", "1234567", ""},
		{"too long", "1234567890123456", ""},
		{"glued to letters", "tracking CL123456789CL", ""},
	})
}

func TestFindContactPhoneInAnyFormat(t *testing.T) {
	t.Parallel()
	runKind(t, KindPhone, juan, []findCase{
		{"local", "mi número es 9 1234 5678", "9 1234 5678"},
		{"dashes", "+56-9-1234-5678", "+56-9-1234-5678"},
		{"compact", "912345678", "912345678"},
		{"slashes", "56/9/1234/5678", "56/9/1234/5678"},
		{"glued", "wsp:56912345678ok", "56912345678"},
		{"other number", "9 8765 4321", "9 8765 4321"},
		{"inside a longer number", "tracking 1Z999AA10123456784", ""},
	})
}

func TestFindNationalID(t *testing.T) {
	t.Parallel()
	runKind(t, KindNationalID, Contact{}, []findCase{
		// Chile
		{"CL RUT dotted", "mi rut " + rut(12345678), rut(12345678)},
		{"CL RUT bare", "titular " + strings.ReplaceAll(rut(12345678), ".", ""), strings.ReplaceAll(rut(12345678), ".", "")},
		{"CL RUT K", "es " + rut(10000013), rut(10000013)},
		{"CL RUT 7 digits", "es " + rut(7654321), rut(7654321)},
		{"CL RUT typo with keyword", "RUT " + rutWrong(12345678), rutWrong(12345678)},
		{"CL RUT typo without keyword", "titular " + rutWrong(12345678), ""},
		{"CL RUN keyword", "RUN 12345678-5", "12345678-5"},
		{"CL rut lower", "mi rut es el " + strings.ToLower(rut(10000013)), strings.ToLower(rut(10000013))},
		// Spain
		{"ES DNI", "DNI: " + dni(12345678), dni(12345678)},
		{"ES DNI bare", "el titular es " + dni(87654321), dni(87654321)},
		{"ES DNI dashed", "con " + dni(23456789)[:8] + "-" + dni(23456789)[8:], dni(23456789)[:8] + "-" + dni(23456789)[8:]},
		{"ES DNI wrong letter", "con 12345678A", ""},
		{"ES NIE X", "NIE " + nie('X', 1234567), nie('X', 1234567)},
		{"ES NIE Y", "tengo " + nie('Y', 7654321), nie('Y', 7654321)},
		{"ES NIE Z", "tengo " + nie('Z', 1111111), nie('Z', 1111111)},
		// Brazil
		{"BR CPF", "CPF " + cpf("529982247"), cpf("529982247")},
		{"BR CPF bare", "o meu é " + cpf("111444777"), cpf("111444777")},
		{"BR CPF wrong", "o meu é 111.444.777-36", ""},
		{"BR CPF repeated", "o meu é 111.111.111-11", ""},
		// Mexico
		{"MX CURP", "mi CURP es BADD110313HCMLNS09", "BADD110313HCMLNS09"},
		{"MX CURP bare", "BADD110313HCMLNS09 es el mío", "BADD110313HCMLNS09"},
		{"MX RFC persona", "RFC GODE561231GR8", "GODE561231GR8"},
		{"MX RFC empresa", "factura a ABC680524P76", "ABC680524P76"},
		{"MX not a date", "modelo ABCD991399XYZ", ""},
		// Argentina
		{"AR CUIT", "CUIT " + cuit("20", "12345678"), cuit("20", "12345678")},
		{"AR CUIL bare", "mi cuil es " + cuit("27", "23456789"), cuit("27", "23456789")},
		{"AR CUIT bare", "factura a " + cuit("30", "71234567"), cuit("30", "71234567")},
		{"AR DNI", "DNI 43.123.456", "43.123.456"},
		// Colombia, Ecuador, Perú, Uruguay, Venezuela
		{"CO CC", "CC 1.020.304.050", "1.020.304.050"},
		{"CO cédula", "cédula de ciudadanía número 1020304050", "1020304050"},
		{"CO NIT", "NIT 900.123.456-7", "900.123.456-7"},
		{"EC cédula", "cédula 0912345678", "0912345678"},
		{"PE DNI", "mi DNI es 45678912", "45678912"},
		{"UY CI", "C.I. 1.234.567-8", "1.234.567-8"},
		{"UY CI plain", "CI: 12345678", "12345678"},
		{"VE cédula", "cédula V-12.345.678", "V-12.345.678"},
		{"VE bare", "titular V-12345678", "V-12345678"},
		// Others
		{"passport", "pasaporte AB1234567", "AB1234567"},
		{"ID number", "my ID number is 123456789", "123456789"},
		{"SSN", "SSN 123-45-6789", "123-45-6789"},
		{"documento", "documento 12345678", "12345678"},
		// Not ids
		{"short after keyword", "documento 12 de 2023", ""},
		{"date after keyword", "documento del 12/05/2024", ""},
		{"word after keyword", "el DNI está vencido", ""},
		{"keyword inside word", "la rutina 2024", ""},
		{"price", "$12.990", ""},
		{"order", "pedido #4521", ""},
		{"version", "versión 2.1.0", ""},
		{"cc in email", "cc: ana@x.cl", ""},
	})
}

func TestFindCard(t *testing.T) {
	t.Parallel()
	visa := luhnComplete("453201511283036")
	runKind(t, KindCard, Contact{}, []findCase{
		{"visa spaced", "tarjeta 4111 1111 1111 1111", "4111 1111 1111 1111"},
		{"visa compact", "n " + visa, visa},
		{"mastercard dashed", "5555-5555-5555-4444", "5555-5555-5555-4444"},
		{"amex", "amex 3782 822463 10005", "3782 822463 10005"},
		{"with expiry after", "4111 1111 1111 1111 12 26", "4111 1111 1111 1111"},
		{"luhn invalid", "4111 1111 1111 1112", ""},
		{"not an issuer", luhnComplete("911111111111111"), ""},
		{"phone", "+56 9 1234 5678 1234", ""},
	})
}

func TestFindBankAccount(t *testing.T) {
	t.Parallel()
	runKind(t, KindBankAccount, Contact{}, []findCase{
		{"IBAN ES spaced", "IBAN ES91 2100 0418 4502 0005 1332.", "ES91 2100 0418 4502 0005 1332"},
		{"IBAN GB compact", "transfer to GB82WEST12345698765432 please", "GB82WEST12345698765432"},
		{"IBAN built", "a " + iban("DE", "370400440532013000"), iban("DE", "370400440532013000")},
		{"IBAN followed by word", "ES91 2100 0418 4502 0005 1332 GRACIAS", "ES91 2100 0418 4502 0005 1332"},
		{"IBAN wrong check", "ES00 2100 0418 4502 0005 1332", ""},
		{"CL bank name between", "la cuenta es BancoEstado 123456789", "123456789"},
		{"CL cuenta corriente", "cuenta corriente 00-123-45678-90", "00-123-45678-90"},
		{"CL cta cte", "Cta. Cte. 123456789", "123456789"},
		{"CL cuenta RUT", "cuenta RUT 12.345.678", "12.345.678"},
		{"CL cuenta vista long", "cuenta vista Banco de Chile Nº 1234567890", "1234567890"},
		{"AR CBU", "CBU 0110599520000001234567", "0110599520000001234567"},
		{"AR CVU", "mi CVU: 0000003100010000000001", "0000003100010000000001"},
		{"MX CLABE", "CLABE 002180700123456789", "002180700123456789"},
		{"number of account", "Nº de cuenta: 1234567890", "1234567890"},
		{"EN account", "account 12345678", "12345678"},
		{"EN acct", "acct #: 987654321", "987654321"},
		{"short", "la cuenta 12345", ""},
		{"date", "tu cuenta está bloqueada desde el 12-05-2024", ""},
		{"idiom", "ten en cuenta que el plan 123456 cuesta $12.990", ""},
		{"amount", "la cuenta es de $1.234.567", ""},
		{"amount without sign", "la cuenta suma 1.234.567", ""},
		{"words only", "la cuenta fue creada ayer", ""},
		{"plural", "tus cuentas 123456789", ""},
	})
}

func TestFindAddress(t *testing.T) {
	t.Parallel()
	runKind(t, KindAddress, Contact{}, []findCase{
		{"CL avenida depto", "vivo en Av. Providencia 1234, depto 56, Santiago", "Av. Providencia 1234, depto 56"},
		{"CL pasaje", "Pasaje Los Aromos 456", "Pasaje Los Aromos 456"},
		{"ES calle piso", "en Calle Mayor 5, 3º B, Madrid", "Calle Mayor 5, 3º B"},
		{"ES c/", "C/ Gran Vía 28, 2º izq.", "C/ Gran Vía 28, 2º izq."},
		{"CO carrera", "Carrera 7 # 45-10", "Carrera 7 # 45-10"},
		{"CO calle", "Calle 50 #12-34 apto 301", "Calle 50 #12-34 apto 301"},
		{"PE jirón", "Jr. Huallaga 123", "Jr. Huallaga 123"},
		{"AR avenida piso", "Av. Corrientes 1234, piso 5", "Av. Corrientes 1234, piso 5"},
		{"AR nueve de julio", "Avenida 9 de Julio 1234", "Avenida 9 de Julio 1234"},
		{"MX número", "Calle Reforma No. 222", "Calle Reforma No. 222"},
		{"UK", "221B Baker Street", "221B Baker Street"},
		{"US", "at 123 Main St., Apt 4B", "123 Main St., Apt 4B"},
		{"street closed", "la calle está cerrada", ""},
		{"street word", "Calle cerrada por obras", ""},
		{"avenue without number", "la avenida Providencia", ""},
		{"domain", "tienda.cl 1234", ""},
		{"road to", "camino al éxito 2024", ""},
	})
}

func TestFindName(t *testing.T) {
	t.Parallel()
	runKind(t, KindName, juan, []findCase{
		{"contact without accents", "sí, juan perez", "juan perez"},
		{"contact surname", "Estimado Sr. PÉREZ", "PÉREZ"},
		{"display name", "gracias Juanito!", "Juanito"},
		{"not inside words", "juana y perezoso", ""},
	})
	runKind(t, KindName, Contact{DisplayName: "Soporte Ventas Casa"}, []findCase{
		{"business display name", "el soporte de ventas está en casa", ""},
	})
	runKind(t, KindName, Contact{}, []findCase{
		{"hola", "Hola Juan, ¿cómo estás?", "Juan"},
		{"hola no comma", "Hola Pedro te cuento que sí", "Pedro"},
		{"estimada", "Estimada María:", "María"},
		{"title", "Buenos días, Sr. Pérez", "Pérez"},
		{"lowercase title", "hablé con la señora Soto", "Soto"},
		{"saludos", "Saludos, Carla", "Carla"},
		{"abrazo", "Un abrazo, Carla", "Carla"},
		{"atentamente", "Atentamente, Carla Soto — Equipo C1DO1", "Carla Soto"},
		{"atte", "Atte. Carla de C1DO1", "Carla"},
		{"sign-off on its own line", "Saludos,\nCarla Soto\nEquipo C1DO1", "Carla Soto"},
		{"hi", "Hi John", "John"},
		{"best", "Best, Mary", "Mary"},
		{"thanks", "Thanks, John!", "John"},
		{"soy", "Soy Juan Pérez, RUT", "Juan Pérez"},
		{"soy de", "hola, soy Carla de C1DO1:", "Carla"},
		{"me llamo lower", "me llamo juan perez y quiero", "juan perez"},
		{"mi nombre es", "mi nombre es Ana María López", "Ana María López"},
		{"particles", "soy María de los Ángeles", "María de los Ángeles"},
		{"my name is", "my name is John Smith", "John Smith"},
		{"I'm", "Hi, I'm Mary from Acme", "Mary"},
		{"greeting only", "Hola, ¿cómo están?", ""},
		{"capital after greeting line", "Hola,\nQuería saber el precio", ""},
		{"capital after greeting comma", "Hola, Necesito ayuda", ""},
		{"cordial", "Saludos cordiales", ""},
		{"team", "Hola equipo", ""},
		{"greeting pair", "Hola Buenos días", ""},
		{"cheers", "Cheers", ""},
		{"soy de", "Soy de Perú", ""},
		{"soy cliente", "soy cliente hace años", ""},
		{"mi nombre lower", "mi nombre es incorrecto en la boleta", ""},
		{"gracias a", "Gracias a la app pude pagar", ""},
		{"company", "Hola, soy de C1DO1", ""},
		{"mid-sentence capital", "compré un Samsung Galaxy", ""},
		{"shouting", "HOLA DESPUÉS DE PAGAR NO LLEGÓ NADA", ""},
		{"shouting name", "HOLA JUAN, ¿CÓMO ESTÁS?", "JUAN"},
		{"welcome back", "Welcome back!", ""},
	})
}

// --- Redact ---

func TestRedactScenario(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text, want string
		kinds      []Kind
	}{
		{scenarioQuestion, "Soy [name], RUT [id], correo [email]: ¿puedo pagar desde Perú?",
			[]Kind{KindName, KindNationalID, KindEmail}},
		{scenarioAnswer, "Hola [name], te escribí a [email]; la cuenta es BancoEstado [account]. Sí, puedes pagar desde Perú con tarjeta internacional. Saludos, [name]",
			[]Kind{KindName, KindEmail, KindBankAccount}},
		{"Llámame al +56 9 1234 5678 o escríbeme a juan@gmail.com", "Llámame al [phone] o escríbeme a [email]",
			[]Kind{KindPhone, KindEmail}},
		{"Tarjeta 4111 1111 1111 1111, vivo en Av. Providencia 1234, depto 56", "Tarjeta [card], vivo en [address]",
			[]Kind{KindCard, KindAddress}},
		{"Entra a https://c1do1.cl/ayuda y elige el plan 300 por $12.990.", "Entra a https://c1do1.cl/ayuda y elige el plan 300 por $12.990.", nil},
		{"https://c1do1.cl/baja?e=juan@gmail.com", "[url]", []Kind{KindURL}},
	} {
		got, kinds := Redact(tc.text, juan)
		if got != tc.want || !reflect.DeepEqual(kinds, tc.kinds) {
			t.Errorf("Redact(%q)\n = %q, %v\nwant %q, %v", tc.text, got, kinds, tc.want, tc.kinds)
		}
	}
}

// Some personal data shows only once other data is gone: the phone after
// an id is one long run of digits until the id is replaced.
func TestRedactRepeatsUntilClean(t *testing.T) {
	t.Parallel()
	text := "RUT " + rutWrong(11111111) + " 22222222"
	got, _ := Redact(text, Contact{})
	if got != "RUT [id] [phone]" {
		t.Errorf("Redact(%q) = %q", text, got)
	}
	for _, s := range fuzzSeeds {
		out, _ := Redact(s, juan)
		if fs := Find(out, juan); len(fs) > 0 {
			t.Errorf("Redact(%q) = %q still holds %+v", s, out, fs)
		}
	}
}

// --- General ---

func TestGeneral(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		c    Contact
		text string
		want string
	}{
		{"question", juan, scenarioQuestion, "¿Puedo pagar desde Perú?"},
		{"answer", juan, scenarioAnswer, "Sí, puedes pagar desde Perú con tarjeta internacional."},
		{"takeover", Contact{}, scenarioTakeover, "El envío a regiones tarda 3 a 5 días hábiles."},
		{"pleasantries", juan,
			"Hola Juan, gracias por escribirnos. El envío a regiones tarda 3 a 5 días hábiles. Quedo atento. Saludos, Carla",
			"El envío a regiones tarda 3 a 5 días hábiles."},
		{"english", Contact{Name: "Mary Jones"},
			"Hi Mary, thanks for reaching out! You can pay with any international card. Hope this helps. Best, John",
			"You can pay with any international card."},
		{"title and atte", Contact{},
			"Buenas tardes Sr. Pérez. Para cambiar la clave entra a Mi cuenta > Seguridad. Espero que te sirva. Atte. Carla de C1DO1",
			"Para cambiar la clave entra a Mi cuenta > Seguridad."},
		{"greeting runs into the text", Contact{}, "Hola Pedro te cuento que el retiro en tienda es gratis",
			"Te cuento que el retiro en tienda es gratis"},
		{"courtesy clause", Contact{}, "Gracias por escribirnos, el envío tarda 3 días.", "El envío tarda 3 días."},
		{"trailing vocative", juan, "Puedes pagar en cuotas, Juan.", "Puedes pagar en cuotas."},
		{"intro then content", Contact{}, "Hola, soy Carla de C1DO1 y te cuento que el envío es gratis.",
			"Te cuento que el envío es gratis."},
		{"personal clause drops the sentence", juan,
			"Sí, puedes pagar con tarjeta, te envié el detalle a juan@gmail.com. El plan cuesta $12.990 al mes.",
			"El plan cuesta $12.990 al mes."},
		{"phone sentence", Contact{},
			"Te llamo al +56 9 8765 4321 mañana. El horario de atención es de 9 a 18 horas.",
			"El horario de atención es de 9 a 18 horas."},
		{"closing with comma", Contact{}, "Cualquier duda, me escribes. Saludos", ""},
		{"greeting only", Contact{}, "Hola!", ""},
		{"nothing personal", Contact{}, "¿Hacen envíos a Arica?", "¿Hacen envíos a Arica?"},
		{"colon list kept", Contact{}, "Los pasos son: entra a la app, elige el plan y paga.",
			"Los pasos son: entra a la app, elige el plan y paga."},
		{"lines", Contact{Name: "María"}, "Hola María,\n\nPuedes pagar con transferencia.\nTambién con tarjeta.\n\nSaludos,\nCarla",
			"Puedes pagar con transferencia.\nTambién con tarjeta."},
		{"lowercase question", Contact{}, "hola buenas tardes, quería saber si hacen envíos a regiones",
			"Quería saber si hacen envíos a regiones"},
		{"how are you", Contact{}, "Hola! ¿Cómo estás? ¿El plan incluye roaming?", "¿El plan incluye roaming?"},
		{"company url kept", Contact{}, "Puedes ver los planes en https://c1do1.cl/planes.", "Puedes ver los planes en https://c1do1.cl/planes."},
		{"address sentence", Contact{}, "Retira en Av. Providencia 1234. Abrimos a las 9:00.", "Abrimos a las 9:00."},
		{"dangling colon", juan, "Los datos son: cuenta 123456789, RUT " + rut(12345678) + ".", ""},
		{"colon then personal", Contact{}, "Para pagar: transfiere a la cuenta 123456789. Luego envía el comprobante.",
			"Luego envía el comprobante."},
		{"signature lines", Contact{}, "Puedes pagar con transferencia.\nSaludos,\nCarla Soto\nEquipo C1DO1\nwww.c1do1.cl",
			"Puedes pagar con transferencia."},
		{"signature after closing", Contact{}, "El cambio se hace desde la app.\n\nCualquier duda me avisas 😊\nCarla | C1DO1",
			"El cambio se hace desde la app."},
		{"sign-off with company", Contact{}, "El pago se refleja en 24 horas. Atentamente, Equipo C1DO1",
			"El pago se refleja en 24 horas."},
		{"saludos as opening", Contact{}, "Saludos, quería consultar el precio del plan", "Quería consultar el precio del plan"},
		{"generic addressee", Contact{}, "Estimado cliente: el pago se refleja en 24 horas.", "El pago se refleja en 24 horas."},
		{"title and addressee", Contact{}, "Sr. cliente, el despacho a Punta Arenas demora 5 días.",
			"El despacho a Punta Arenas demora 5 días."},
		{"hello team", Contact{}, "Hola equipo, ¿tienen stock del modelo X?", "¿Tienen stock del modelo X?"},
		{"farewell", Contact{}, "Un abrazo y que tengas buen día", ""},
		{"crlf", Contact{}, "Hola Ana,\r\nSí, hacemos envíos.\r\nSaludos", "Sí, hacemos envíos."},
		{"empty", Contact{}, "", ""},
	} {
		if got := General(tc.text, tc.c); got != tc.want {
			t.Errorf("%s: General(%q)\n = %q\nwant %q", tc.name, tc.text, got, tc.want)
		}
	}
}

// A few KB of chat must stay cheap: Redact and General run on every
// learned ticket.
func BenchmarkRedact(b *testing.B) {
	text := strings.Repeat(scenarioAnswer+"\n", 25)
	for b.Loop() {
		Redact(text, juan)
	}
}

func BenchmarkGeneral(b *testing.B) {
	text := strings.Repeat(scenarioAnswer+"\n", 25)
	for b.Loop() {
		General(text, juan)
	}
}
