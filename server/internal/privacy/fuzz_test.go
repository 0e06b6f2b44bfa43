package privacy

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	scenarioQuestion,
	scenarioAnswer,
	scenarioTakeover,
	"Mi dirección es Av. Providencia 1234, depto 56. Llámame al +56 9 8765 4321 o al (011) 4321-5678.",
	"Tarjeta 4111 1111 1111 1111 12/26, IBAN ES91 2100 0418 4502 0005 1332, CBU 0110599520000001234567",
	"DNI 12345678Z, NIE X1234567L, CPF 111.444.777-35, CUIT 20-12345678-6, CURP BADD110313HCMLNS09",
	"El plan cuesta $12.990 y 1.500 USD desde el 12/05/2024 a las 10:30; paso 3, versión 2.1.0, pedido #4521",
	"Escríbenos a https://c1do1.cl/ayuda?email=juan%40gmail.com o mailto:soporte@c1do1.cl",
	"Atentamente,\nCarla Soto — Equipo C1DO1",
	"Hi Mary,\nyou can pay with any card.\nBest,\nJohn",
	"RUT 11111111-1 22222222 33333333",
	"¿¡...:;,,, [email] [phone] [name]",
	"Calle Mayor 5, 3º B; Carrera 7 # 45-10; 221B Baker Street",
	"\xff\xfe invalid \xc3",
}

// placeholders counts the placeholders Redact may have written.
func placeholders(s string) int {
	n := 0
	for _, k := range []Kind{KindEmail, KindPhone, KindNationalID, KindCard, KindBankAccount, KindAddress, KindName, KindURL} {
		n += strings.Count(s, placeholder(k))
	}
	return n
}

// checkFindings verifies what every Find result must satisfy.
func checkFindings(t *testing.T, text string, fs []Finding) {
	t.Helper()
	prev := 0
	for _, f := range fs {
		if f.Start < prev || f.End <= f.Start || f.End > len(text) {
			t.Fatalf("Find(%q): bad or overlapping span %+v", text, f)
		}
		if f.Text != text[f.Start:f.End] {
			t.Fatalf("Find(%q): Text %q does not match span %+v", text, f.Text, f)
		}
		if placeholder(f.Kind) == "[redacted]" {
			t.Fatalf("Find(%q): unknown kind %q", text, f.Kind)
		}
		if utf8.ValidString(text) && !utf8.ValidString(f.Text) {
			t.Fatalf("Find(%q): span %+v splits a character", text, f)
		}
		prev = f.End
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "Juan Pérez", "Juanito 🎸", "+56 9 1234 5678")
		f.Add(s, "", "", "")
	}
	f.Fuzz(func(t *testing.T, text, name, display, phone string) {
		c := Contact{Name: name, DisplayName: display, Phone: phone}
		checkFindings(t, text, Find(text, c))
		out, kinds := Redact(text, c)
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("Redact(%q) = %q: invalid UTF-8", text, out)
		}
		if fs := Find(out, c); len(fs) > 0 {
			t.Fatalf("Redact(%q) = %q still holds %+v", text, out, fs)
		}
		if len(out) > len(text)+8*placeholders(out) {
			t.Fatalf("Redact(%q) = %q grew too much", text, out)
		}
		if (len(kinds) == 0) != (out == text) {
			t.Fatalf("Redact(%q) = %q, %v: kinds disagree with the change", text, out, kinds)
		}
	})
}

func FuzzGeneral(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "Juan Pérez", "Juanito 🎸", "+56 9 1234 5678")
		f.Add(s, "", "", "")
	}
	f.Fuzz(func(t *testing.T, text, name, display, phone string) {
		c := Contact{Name: name, DisplayName: display, Phone: phone}
		out := General(text, c)
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("General(%q) = %q: invalid UTF-8", text, out)
		}
		if fs := Find(out, c); len(fs) > 0 {
			t.Fatalf("General(%q) = %q still holds %+v", text, out, fs)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("General(%q) = %q: not trimmed", text, out)
		}
	})
}

// fragments are the pieces messages are built from in
// TestPropertiesOnGeneratedMessages: byte-level fuzzing seldom assembles a
// keyword, a name and a number next to each other, so this does it on
// purpose.
var fragments = []string{
	"Hola", "hola", "Hi", "Saludos", "Atte.", "Best", "Gracias", "soy", "me llamo", "mi nombre es", "I'm",
	"Sr.", "Sra.", "Don", "Juan", "Pérez", "juan", "Carla", "Soto", "Mary", "de", "del", "y", "C1DO1",
	"RUT", "DNI", "cédula", "CC", "C.I.", "pasaporte", "cuenta", "cta.", "corriente", "BancoEstado", "CBU",
	"IBAN", "Calle", "Av.", "Mayor", "Providencia", "depto", "piso", "3º", "B", "#", "Nº", "No.",
	"12.345.678-5", "12.345.678-9", "12345678", "912345678", "9 1234 5678", "+56", "56912345678", "1234",
	"5", "45-10", "2024", "12/05/2024", "10:30", "$12.990", "USD", "1,500.00", "%", "4111 1111 1111 1111",
	"ES91 2100 0418 4502 0005 1332", "12345678Z", "111.444.777-35", "20-12345678-6", "BADD110313HCMLNS09",
	"juan.perez@gmail.com", "https://c1do1.cl/ayuda", "www.x.cl/?e=a@b.cl", "mailto:", "[name]", "[phone]",
	",", ".", ":", ";", "!", "?", "¿", "¡", "—", "-", "(", ")", "\n", "\r\n", " ", "  ", "😊", "'", "’",
	"quedo atento", "cualquier duda", "gracias por escribirnos", "el envío tarda 3 días", "puedes pagar",
}

func TestPropertiesOnGeneratedMessages(t *testing.T) {
	t.Parallel()
	n := 1000
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewPCG(1, 2))
	contacts := []Contact{{}, juan, {Name: "Carla", DisplayName: "Soporte Ventas", Phone: "+34 612 34 56 78"}}
	for i := 0; i < n; i++ {
		var b strings.Builder
		for k := rng.IntN(14) + 1; k > 0; k-- {
			b.WriteString(fragments[rng.IntN(len(fragments))])
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		text := b.String()
		c := contacts[i%len(contacts)]
		checkFindings(t, text, Find(text, c))
		out, _ := Redact(text, c)
		if fs := Find(out, c); len(fs) > 0 {
			t.Fatalf("Redact(%q) = %q still holds %+v", text, out, fs)
		}
		if len(out) > len(text)+8*placeholders(out) {
			t.Fatalf("Redact(%q) = %q grew too much", text, out)
		}
		g := General(text, c)
		if fs := Find(g, c); len(fs) > 0 {
			t.Fatalf("General(%q) = %q still holds %+v", text, g, fs)
		}
		if !utf8.ValidString(out) || !utf8.ValidString(g) {
			t.Fatalf("%q: invalid UTF-8 out", text)
		}
	}
}
