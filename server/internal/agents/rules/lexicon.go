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
		"hi there", "hello there", "hey there", "estimados", "estimado", "estimada", "estimadas",
		// Regional greetings: Chilean "wena", Colombian "quiubo".
		"wena", "wenas", "quiubo", "quiubole", "que hubo", "epa",
	},
	talkPresence: {
		"estas ahi", "esta ahi", "estan ahi", "hay alguien", "hay alguien ahi", "alguien ahi", "me escuchas", "me lees",
		"me puedes ayudar", "me puede ayudar", "me pueden ayudar", "puedes ayudarme", "puede ayudarme", "pueden ayudarme",
		"me ayudas", "me ayuda", "necesito ayuda", "ayuda", "ayudame", "una consulta", "una pregunta", "tengo una consulta",
		"tengo una pregunta", "quiero hacer una consulta", "quisiera hacer una consulta", "puedo preguntar algo",
		"are you there", "anyone there", "is anyone there", "can you help me", "can you help", "i need help", "help",
		"help me", "i have a question",
		// Courtesy before a request: "hola, disculpa la molestia, ¿…?".
		"disculpa la molestia", "disculpe la molestia", "disculpa las molestias", "disculpe las molestias",
		"perdon la molestia", "perdon por la molestia", "perdona la molestia", "perdone la molestia",
		"siento molestar", "siento molestarte", "una duda", "tengo una duda", "una pregunta rapida",
		"sorry to bother you", "sorry for the trouble", "quick question", "excuse me",
		// Why one asks, not what: "por curiosidad, ¿quién es el CEO?".
		"por curiosidad", "de curiosidad", "out of curiosity", "just curious", "una consultita", "una preguntita",
	},
	talkThanks: {
		"gracias", "muchas gracias", "mil gracias", "muchisimas gracias", "te agradezco", "se agradece", "genial",
		"perfecto", "excelente", "listo", "entendido", "de acuerdo", "dale", "ok", "okay", "okey", "vale", "bien",
		"muy bien", "super", "si", "claro", "no gracias", "no thanks", "thanks", "thank you", "thank you so much", "thanks a lot", "thanks so much", "thank you very much", "many thanks", "great", "perfect", "got it",
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
	"che": true, "parce": true, "parcero": true, "parcera": true, "wey": true, "guey": true, "po": true,
	"antemano": true, "mira": true, "mire": true, "miren": true, "oiga": true, "oigan": true, "fijate": true, "fijense": true,
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
	// wantVerbs ask for something: wanting, asking and giving verbs
	// ("dame un asesor", "me podría dar un doctor").
	wantVerbs = words("quiero", "quisiera", "necesito", "necesitamos", "deseo", "prefiero", "pido", "solicito",
		"requiero", "preciso", "busco", "ocupo", "gustaria", "pedir", "solicitar", "conseguir", "dar", "dame",
		"deme", "denme", "den", "want", "need", "get", "give", "request")
	articles = words("un", "una", "a", "an", "el", "la", "con", "to", "with", "hablar", "someone")
	// humanNouns name a person, including the professionals a support
	// line puts people through to ("necesito un médico", "quiero un
	// técnico").
	humanNouns = words("persona", "personas", "humano", "humana", "humanos", "agente", "agentes", "asesor",
		"asesora", "asesores", "ejecutivo", "ejecutiva", "operador", "operadora", "representante", "encargado",
		"encargada", "especialista", "especialistas", "alguien", "profesional", "profesionales", "doctor",
		"doctora", "doctores", "medico", "medica", "medicos", "medicas", "enfermero", "enfermera", "psicologo",
		"psicologa", "abogado", "abogada", "tecnico", "tecnica", "tecnicos", "supervisor", "supervisora",
		"gerente", "vendedor", "vendedora", "soporte",
		"human", "person", "agent", "representative", "operator", "somebody", "someone", "people", "doctor",
		"nurse", "lawyer", "technician", "supervisor", "manager", "support")
	// vagueHumanNouns alone ask whether anyone is there, not for a person.
	vagueHumanNouns = words("alguien", "someone", "somebody", "people", "personas")
	humanFixed      = []string{
		"atencion humana", "atencion personalizada", "ser humano", "persona real", "live agent", "human agent",
		"real person",
		// The company calling the user back is a person's work: "necesito
		// que me llamen", "call me back".
		"que me llamen", "que me llame", "llamenme", "llameme", "me pueden llamar", "me podrian llamar", "me puede llamar",
		"call me", "call me back", "give me a call",
	}
	// A service only a person gives: "asistencia médica", "atención
	// presencial".
	serviceNouns      = words("atencion", "asistencia", "asesoria", "asesoramiento", "assistance")
	serviceQualifiers = words("humana", "personal", "personalizada", "medica", "medico", "tecnica", "profesional",
		"legal", "presencial", "telefonica", "medical", "technical", "legal")
)

// Appointments: booking verbs, and nouns of an appointment asked for with a
// wanting verb ("quiero una cita", "quisiera una consulta").
var (
	bookingVerbs = words("agendar", "agenda", "agendame", "agendeme", "agendo", "reservar", "reservame", "reserveme",
		"reagendar", "reprogramar", "book", "schedule", "reschedule")
	appointmentNouns = words("cita", "citas", "turno", "turnos", "consulta", "reserva", "reservacion", "visita",
		"appointment", "booking")
)

// Questions about the user's own records (an order, a payment, the
// account) or asking for money back need someone who can look them up.
var (
	possessives = words("mi", "mis", "my")
	recordNouns = words("pedido", "pedidos", "orden", "ordenes", "compra", "compras", "envio", "envios", "paquete",
		"pago", "pagos", "cobro", "cobros", "cargo", "cargos", "saldo", "cuenta", "suscripcion", "membresia",
		"reembolso", "devolucion", "reclamo", "caso", "ticket", "transferencia", "deposito",
		"solicitud", "solicitudes", "postulacion", "tramite", "request", "application",
		"reserva", "reservas", "cita", "citas", "turno", "agendada", "agendado", "booking", "appointment", "reservation",
		"order", "orders", "purchase", "shipment", "package", "payment", "charge", "balance", "account",
		"subscription", "refund", "claim", "case")
	refundWords = words("reembolso", "reembolsos", "reembolsar", "reembolsen", "reembolsame", "reintegro",
		"devuelvan", "devuelvanme", "devuelven", "devolverme", "devuelva", "refund", "refunds", "chargeback")
)

// interrogatives open a question about how things work ("¿cómo pido una
// cita?"), which the knowledge base may answer, rather than a request.
// abilityVerbs after "no", and cannotWords alone, say the user could not
// do something.
var (
	abilityVerbs = words("puedo", "puede", "podemos", "logro", "logra", "consigo", "deja", "dejan", "permite", "funciona", "carga", "cargan", "abre")
	cannotWords  = words("olvide", "olvido", "cant", "cannot", "unable", "forgot")
)

var interrogatives = words("como", "cuanto", "cuanta", "cuantos", "cuantas", "cuando", "donde", "cual", "cuales",
	"how", "what", "when", "where", "which")

// Questions about the assistant itself ("¿eres un robot?", "¿quién te
// creó?") are small talk: second-person words with identity words.
var (
	secondPerson  = words("eres", "estas", "te", "tu", "ti", "usted", "you", "your", "are")
	identityWords = words("robot", "bot", "ia", "ai", "inteligencia", "artificial", "humano", "humana", "real",
		"maquina", "programa", "programo", "programaron", "creo", "crearon", "creaste", "creador", "creadores",
		"hizo", "hicieron", "hecha", "hecho", "llamas", "nombre", "human", "machine", "created", "made", "name")
)

func words(list ...string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, w := range list {
		m[w] = true
	}
	return m
}
