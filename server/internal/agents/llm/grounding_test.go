package llm_test

import (
	"slices"
	"testing"

	"github.com/relevo/relevo/server/internal/agents/llm"
)

func facts(fs []llm.Fact) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestExtractFactsFindsWhatACustomerWouldActOn(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"amounts in pesos, dollars and with a percentage",
			"El plan cuesta $12.990 al mes y el anual 1.500 USD, con 15% de descuento.",
			[]string{"amount $12.990", "amount 1.500 USD", "percent 15%"}},
		{"an amount with the currency written out", "Son 20 dólares o 9.990 pesos.", []string{"amount 20 dólares", "amount 9.990 pesos"}},
		{"an email and links", "Escríbenos a soporte@c1do1.com o visita https://c1do1.com/ayuda o www.c1do1.cl.",
			[]string{"email soporte@c1do1.com", "url https://c1do1.com/ayuda", "url www.c1do1.cl"}},
		{"a bare domain", "Entra a campus.c1do1.com para verlo.", []string{"url campus.c1do1.com"}},
		{"a phone and office hours", "Llámanos al +56 2 2345 6789 de 9:00 a 18:00 hrs.",
			[]string{"time 9:00", "time 18:00 hrs", "phone +56 2 2345 6789"}},
		{"dates written three ways", "Empieza el 15 de marzo de 2024, el examen es el 03/04 y la entrega el 2024-05-10.",
			[]string{"date 15 de marzo de 2024", "date 03/04", "date 2024-05-10"}},
		{"durations with digits", "El reembolso tarda 10 días hábiles; tienes 24h y el curso dura 8 semanas.",
			[]string{"duration 10 días", "duration 24h", "duration 8 semanas"}},
		{"a bare number and a year", "Hay 6 cuotas desde 2019.", []string{"number 6", "number 2019"}},
		{"names inside a sentence", "Nuestro CEO es Julián Varas y la CFO es María José Pérez.",
			[]string{"name Julián Varas", "name María José Pérez"}},
		{"a name with a connector", "Hay convenio con la Universidad de Antofagasta.", []string{"name Universidad de Antofagasta"}},
		{"a codes of letters and digits", "Tu ticket es T-7F3K2Q en C1DO1.", []string{"code T-7F3K2Q", "code C1DO1"}},
		{"the first word of a sentence is not a name", "Puedes pagar con tarjeta. Entra a tu perfil.", nil},
		{"a greeting by first name is not a full name", "¡Hola Ana! ¿En qué te ayudo?", nil},
		{"the numbers of a numbered list", "1. Entra a tu perfil\n2. Pulsa el botón de contraseña", nil},
		{"plain small talk", "¡Con gusto! Que tengas un excelente día.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := facts(llm.ExtractFacts(tt.text)); !slices.Equal(got, tt.want) {
				t.Errorf("ExtractFacts(%q)\n got  %q\n want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestUngroundedComparesFactsWithThePassagesLoosely(t *testing.T) {
	passages := map[string]string{
		"P1": "Planes\nEl plan mensual cuesta $12.990 y el anual US$ 1,500. Hay 15 % de descuento para estudiantes.",
		"P2": "Contacto\nEscribe a Soporte@C1DO1.com, llama al (2) 2345-6789 o entra a https://www.c1do1.com/ayuda/. " +
			"Atendemos de 9 a 18 h. Nuestro CEO es Julián Varas. Inscripciones hasta el 15 de marzo de 2024.",
	}
	allowed := []string{"C1DO1", "Ana María"}
	tests := []struct {
		name   string
		answer string
		want   []string
	}{
		{"amounts with the other thousands separator", "El plan cuesta 12,990 y el anual 1.500 USD.", nil},
		{"a percentage without the space", "Tienes 15% de descuento.", nil},
		{"an email in other case", "Escribe a soporte@c1do1.com.", nil},
		{"a link without the scheme and slash", "Entra a c1do1.com/ayuda.", nil},
		{"a phone with the country code added", "Llama al +56 2 2345 6789.", nil},
		{"a name without accents", "El CEO es Julian Varas.", nil},
		{"an hour as a time", "Atendemos de 9:00 a 18:00.", nil},
		{"a date without its year", "Puedes inscribirte hasta el 15 de marzo.", nil},
		{"allowed names", "Hola Ana María, en C1DO1 te ayudamos.", nil},
		{"grounded, allowed and invented facts in one answer", "Hola Ana María: el plan cuesta $12.990 en C1DO1 y el CEO es Pedro Soto.",
			[]string{"name Pedro Soto"}},
		{"an invented amount", "El plan cuesta $15.000.", []string{"amount $15.000"}},
		{"an invented percentage", "Tienes 20% de descuento.", []string{"percent 20%"}},
		{"an invented phone", "Llama al +56 2 9999 0000.", []string{"phone +56 2 9999 0000"}},
		{"an invented name", "El CEO es Pedro Soto.", []string{"name Pedro Soto"}},
		{"an invented email", "Escribe a ventas@c1do1.com.", []string{"email ventas@c1do1.com"}},
		{"an invented link", "Entra a c1do1.com/precios.", []string{"url c1do1.com/precios"}},
		{"an invented date", "Puedes inscribirte hasta el 20 de marzo.", []string{"date 20 de marzo"}},
		{"an invented hour", "Atendemos hasta las 20:30.", []string{"time 20:30"}},
		{"a number that is only part of another", "Son 990 pesos.", []string{"amount 990 pesos"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := facts(llm.Ungrounded(tt.answer, passages, allowed)); !slices.Equal(got, tt.want) {
				t.Errorf("Ungrounded(%q) = %q, want %q", tt.answer, got, tt.want)
			}
		})
	}
}

func TestAFactMustBeInACitedPassageNotJustAnyPassage(t *testing.T) {
	only := map[string]string{"P1": "El plan mensual cuesta $12.990."}
	if got := facts(llm.Ungrounded("Llama al 600 123 4567.", only, nil)); !slices.Equal(got, []string{"phone 600 123 4567"}) {
		t.Errorf("got %q: a phone that is in no given passage must be reported", got)
	}
}

func TestUnsanctionedLetsTriageGreetButNotStateFacts(t *testing.T) {
	allowed := []string{"C1DO1", "Asistente Inicial", "Ana"}
	tests := []struct {
		text string
		want []string
	}{
		{"¡Hola Ana! Soy el Asistente Inicial de C1DO1, ¿en qué te ayudo?", nil},
		{"¡Gracias a ti! Que tengas un buen día.", nil},
		{"Hola! El plan cuesta $9.990 al mes", []string{"amount $9.990"}},
		{"Escríbenos a ayuda@c1do1.com", []string{"email ayuda@c1do1.com"}},
		{"Atendemos hasta las 18:00", []string{"time 18:00"}},
	}
	for _, tt := range tests {
		if got := facts(llm.Unsanctioned(tt.text, allowed)); !slices.Equal(got, tt.want) {
			t.Errorf("Unsanctioned(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
