package rules

// smallTalk kinds, in the order a reply is chosen when a message mixes them
// ("gracias, hasta luego" says goodbye).
type talkKind int

const (
	talkNone talkKind = iota
	talkGreeting
	talkPresence
	talkThanks
	talkGoodbye
)

// phrases are folded word sequences (see analysis.Words) of small talk.
// Longer phrases are matched first.
var phrases = map[talkKind][]string{
	talkGreeting: {
		"hola", "holi", "holis", "ola", "buenas", "buenos dias", "buen dia", "buenas tardes", "buenas noches",
		"saludos", "que tal", "como estas", "como esta", "como te va", "como le va", "que onda", "hey", "alo", "aloha",
		"hi", "hello", "hiya", "good morning", "good afternoon", "good evening", "how are you", "greetings",
	},
	talkPresence: {
		"estas ahi", "esta ahi", "estan ahi", "hay alguien", "hay alguien ahi", "alguien ahi", "me escuchas", "me lees",
		"me puedes ayudar", "me puede ayudar", "me pueden ayudar", "puedes ayudarme", "puede ayudarme", "pueden ayudarme",
		"me ayudas", "me ayuda", "necesito ayuda", "ayuda", "ayudame", "una consulta", "una pregunta", "tengo una consulta",
		"tengo una pregunta", "quiero hacer una consulta", "quisiera hacer una consulta", "puedo preguntar algo",
		"are you there", "anyone there", "is anyone there", "can you help me", "can you help", "i need help", "help",
		"help me", "i have a question",
	},
	talkThanks: {
		"gracias", "muchas gracias", "mil gracias", "muchisimas gracias", "te agradezco", "se agradece", "genial",
		"perfecto", "excelente", "listo", "entendido", "de acuerdo", "dale", "ok", "okay", "okey", "vale", "bien",
		"muy bien", "super", "si", "claro", "no gracias", "no thanks", "thanks", "thank you", "thank you so much", "great", "perfect", "got it",
		"cool", "nice", "alright", "all right",
	},
	talkGoodbye: {
		"adios", "chao", "chau", "hasta luego", "hasta pronto", "hasta manana", "nos vemos", "que tengas buen dia",
		"que tenga buen dia", "buen fin de semana", "bye", "goodbye", "good bye", "see you", "see you later",
		"have a nice day",
	},
}

// fillers carry no request on their own: courtesy and addressing words.
var fillers = map[string]bool{
	"por": true, "favor": true, "please": true, "muchas": true, "mucho": true, "muy": true, "amigo": true,
	"amiga": true, "senor": true, "senora": true, "senorita": true, "bot": true, "asistente": true, "oye": true,
	"disculpa": true, "disculpe": true, "perdon": true, "hey": true, "jaja": true, "jajaja": true, "jeje": true,
	"y": true, "a": true, "e": true, "tu": true, "usted": true, "ustedes": true, "te": true, "le": true, "you": true,
	"too": true, "also": true, "tambien": true, "igualmente": true, "todo": true, "bueno": true, "pues": true,
	"o": true, "so": true, "the": true, "and": true, "que": true, "dia": true, "day": true, "no": true,
}

// A request for a person is a contact verb followed, within a few words, by
// a person word ("quiero hablar con una persona", "talk to a human"), a
// wanting verb followed directly by a person word ("necesito un asesor"),
// or a fixed expression ("atención humana").
var (
	contactVerbs = words("hablar", "hablo", "comunicarme", "comunicar", "contactar", "contactarme", "conversar",
		"chatear", "atienda", "atender", "atiende", "pasar", "pasame", "pasen", "pasenme", "comuniqueme",
		"comunicame", "transfiere", "transfiereme", "derivar", "derivame", "talk", "speak", "chat", "connect",
		"transfer")
	wantVerbs  = words("quiero", "quisiera", "necesito", "deseo", "prefiero", "pido", "solicito", "want", "need")
	articles   = words("un", "una", "a", "an", "el", "la", "con", "to", "with", "hablar", "someone")
	humanNouns = words("persona", "personas", "humano", "humana", "humanos", "agente", "agentes", "asesor",
		"asesora", "asesores", "ejecutivo", "ejecutiva", "operador", "operadora", "representante", "encargado",
		"encargada", "especialista", "alguien", "human", "person", "agent", "representative", "operator",
		"somebody", "someone", "people")
	humanFixed = []string{
		"atencion humana", "atencion personalizada", "ser humano", "persona real", "live agent", "human agent",
		"real person",
	}
)

func words(list ...string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, w := range list {
		m[w] = true
	}
	return m
}
