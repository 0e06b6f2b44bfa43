package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

// abbreviations maps what people type on WhatsApp (already folded) to the
// words they mean. Single letters are expanded only where the chat meaning
// is far more common than the letter itself.
var abbreviations = map[string][]string{
	"q": {"que"}, "k": {"que"}, "ke": {"que"}, "qe": {"que"},
	"xq": {"porque"}, "pq": {"porque"}, "porq": {"porque"}, "xk": {"porque"}, "pk": {"porque"}, "xke": {"porque"},
	"kien": {"quien"}, "kienes": {"quienes"},
	"tb": {"tambien"}, "tmb": {"tambien"}, "tbn": {"tambien"}, "tbm": {"tambien"},
	"x": {"por"}, "d": {"de"}, "cn": {"con"}, "dl": {"del"}, "pa": {"para"}, "pal": {"para", "el"},
	"dnd": {"donde"}, "dnde": {"donde"},
	// Not "cmo": the executive role's acronym, which the analysis writes
	// for "head of marketing", would read back as "como".
	"cm": {"como"}, "komo": {"como"},
	"kiero": {"quiero"}, "qiero": {"quiero"}, "kisiera": {"quisiera"},
	"kuando": {"cuando"}, "qndo": {"cuando"}, "cdo": {"cuando"},
	"xfa": {"por", "favor"}, "xfavor": {"por", "favor"}, "porfa": {"por", "favor"}, "porfavor": {"por", "favor"},
	"pls": {"please"}, "plz": {"please"}, "plis": {"por", "favor"},
	"msj": {"mensaje"}, "msg": {"mensaje"}, "mje": {"mensaje"},
	"ud": {"usted"}, "uds": {"ustedes"}, "bn": {"bien"}, "aki": {"aqui"}, "aca": {"aqui"},
	"nd": {"nada"}, "tngo": {"tengo"}, "tng": {"tengo"}, "toy": {"estoy"}, "tas": {"estas"},
	"cel": {"celular"}, "compu": {"computador"}, "pc": {"computador"},
	"info": {"informacion"}, "tlf": {"telefono"}, "tel": {"telefono"}, "wsp": {"whatsapp"}, "wa": {"whatsapp"},
	"mail": {"correo"}, "email": {"correo"},
	"u": {"you"}, "ur": {"your"}, "r": {"are"}, "wat": {"what"}, "wot": {"what"}, "wats": {"whats"}, "fone": {"phone"}, "pwd": {"password"}, "thx": {"thanks"}, "ty": {"thanks"},
	"hr": {"hora"}, "hrs": {"horas"}, "min": {"minutos"}, "mins": {"minutos"},
	// Chat spellings of greetings, thanks and frame words, and clipped
	// nouns.
	"wena": {"buenas"}, "wenas": {"buenas"}, "weno": {"bueno"}, "olle": {"oye"}, "oie": {"oye"},
	"grax": {"gracias"}, "grasias": {"gracias"}, "grcs": {"gracias"}, "grs": {"gracias"},
	"nesesito": {"necesito"}, "nesecito": {"necesito"}, "nececito": {"necesito"}, "ago": {"hago"}, "ablar": {"hablar"},
	"fono": {"telefono"}, "celu": {"celular"}, "profe": {"profesor"}, "profes": {"profesores"}, "depto": {"departamento"}, "depa": {"departamento"}, "dpto": {"departamento"},
}

// extraStopWords completes the Snowball lists with the accent-less forms
// people type and with chat fillers.
var extraStopWords = map[string]bool{
	"mas": true, "si": true, "mio": true, "mia": true, "mios": true, "mias": true,
	"estan": true, "este": true, "estes": true, "esten": true, "estara": true, "estaria": true,
	"sera": true, "seria": true, "seran": true, "habia": true, "habra": true, "habria": true,
	"tendra": true, "tendria": true, "tenia": true, "fueramos": true, "eramos": true,
	"cual": true, "cuales": true, "donde": true, "adonde": true, "quien": true, "quienes": true,
	"como": true, "cuando": true, "usted": true, "ustedes": true, "vos": true,
	"pues": true, "entonces": true, "oye": true, "ah": true, "eh": true, "aja": true, "ok": true,
	// Regional forms of address: "che", "parce", "wey", "po".
	"che": true, "parce": true, "parcero": true, "parcera": true, "wey": true, "guey": true, "po": true,
	"antemano": true, "mira": true, "mire": true, "oiga": true, "fijate": true, "cuento": true,
	// Chat discourse markers, intensifiers and the day the user writes
	// ("hoy", "ayer"): context of a message, never what a passage is
	// about.
	"digo": true, "osea": true, "cachai": true, "cacho": true, "cachas": true, "onda": true, "nomas": true,
	"harto": true, "harta": true, "hartos": true, "hartas": true, "caleta": true, "igual": true, "super": true, "demasiado": true, "demasiada": true, "bastante": true,
	"hoy": true, "ayer": true, "anoche": true, "anteayer": true, "antier": true, "monton": true, "recien": true, "altiro": true,
	"wn": true, "weon": true, "tiro": true, "tira": true, "tiran": true,
	"jaja": true, "jajaja": true, "xd": true, "pucha": true, "chuta": true, "uf": true, "uy": true, "ay": true,
	"okay": true, "okey": true, "vale": true, "bueno": true, "tal": true, "asi": true, "aqui": true,
	"alla": true, "ahi": true, "alli": true, "tambien": true, "luego": true, "solo": true,
	// Quantifiers, indefinites and the forms of the commonest verbs that
	// Snowball's lists leave out: "¿tienen *alguna* iniciativa…?", "*voy* a
	// viajar", "*sigue* igual". They frame a question in any trade.
	"algun": true, "alguna": true, "alguno": true, "casi": true, "varios": true, "varias": true, "unas": true,
	"ambos": true, "ambas": true, "cualquier": true, "cualquiera": true, "ningun": true, "ninguna": true, "ninguno": true,
	"apenas": true, "incluso": true, "quizas": true, "quiza": true, "tampoco": true, "demas": true, "tan": true, "pocos": true, "pocas": true, "toda": true, "todas": true,
	"voy": true, "vas": true, "vamos": true, "iba": true, "iban": true, "doy": true, "dio": true, "pude": true, "pudo": true, "pudiera": true, "pueda": true, "puedan": true,
	"sigo": true, "sigue": true, "siguen": true, "veo": true, "ves": true,
	"aren": true, "isn": true, "doesn": true, "didn": true, "wasn": true, "weren": true, "wouldn": true, "couldn": true, "shouldn": true, "won": true, "also": true, "really": true, "lot": true, "lots": true,
	"could": true, "would": true, "may": true, "might": true, "shall": true, "im": true,
	"ive": true, "dont": true, "cant": true, "whats": true, "hows": true, "hey": true,
	// English aspect and framing words: "the app *keeps* crashing", "can I
	// *still* get a refund *instead*?".
	"keep": true, "keeps": true, "kept": true, "keeping": true, "instead": true, "anyway": true, "already": true, "still": true, "going": true, "gonna": true,
	// English fillers, light verbs and the day the user writes, as the
	// Spanish ones above: "can I get my money back", "how long does it take",
	// "I'm visiting tomorrow lol".
	"like": true, "lol": true, "guys": true, "yet": true, "anything": true, "something": true, "pretty": true, "around": true,
	"per": true, "today": true, "tomorrow": true, "yesterday": true, "tonight": true,
	"get": true, "gets": true, "got": true, "getting": true, "take": true, "takes": true,
	// English hedges and chat fillers: "honestly a bit annoyed", "yeah so
	// I was wondering…", "how long is it actually supposed to take?".
	"honestly": true, "actually": true, "yeah": true, "um": true, "uh": true, "wondering": true, "supposed": true,
	"basically": true, "literally": true, "kinda": true, "sorta": true, "tbh": true, "btw": true, "bit": true,
	"haven": true, "hasn": true, "hadn": true,
}

// servedFrames are frame words that name what a company serves when the
// article is definite: "una consulta" asks, "la consulta" (the
// appointment) is what the question is about ("¿cuánto cuesta la
// consulta?").
var servedFrames = map[string]bool{"consulta": true, "consultas": true}

var definiteArticles = map[string]bool{"la": true, "las": true, "el": true, "los": true}

// lowInfoWords frame a question without naming its topic: courtesy,
// light verbs and "how do I" words. They are matched with LowInfoWeight.
var lowInfoWords = []string{
	"puedo", "puede", "pueden", "poder", "podria", "podrian", "podemos", "puedes",
	"hacer", "hago", "hace", "hacen", "haces", "hizo", "debo", "debe", "deben", "deberia", "dan", "dar",
	"necesito", "necesita", "necesitan", "necesitar", "quiero", "quiere", "quisiera", "querer", "queria",
	"saber", "sabe", "sabes", "gustaria", "ayuda", "ayudar", "ayudame", "ayudarme", "favor",
	"hola", "gracias", "buenas", "buenos", "dias", "tardes", "noches", "saludos",
	"informacion", "pregunta", "duda", "dar", "dame", "dudas", "consulta", "llama", "llamo", "llamar", "nombre",
	"ahora", "bien", "tener", "decir", "dime", "explicar", "cosa", "algo", "alguien", "existe", "existen", "sale", "salir", "aparece", "tipo", "forma", "manera", "hay", "tengo", "tiene", "tienen",
	// "¿Es cierto que…?", "creo que…", "¿qué pasa si…?", "¿aún…?": the
	// question is what follows.
	"cierto", "verdad", "creo", "crees", "ser", "estar", "pasa", "pasar", "aun", "todavia",
	"pienso", "parece", "parecer", "muestrame", "mostrar", "explicame", "cuentame", "significa", "significado", "tendre", "tendria", "metodo", "metodos",
	"true", "think", "still", "happen", "happens",
	// "me dijeron que…", "tengo entendido que…", "no me acuerdo si…": what
	// the user was told or remembers frames what is asked.
	"dijeron", "dijo", "dicen", "entendido", "escuche", "lei", "acuerdo", "recuerdo", "told", "heard", "remember",
	"can", "please", "help", "need", "want", "know", "tell", "hi", "hello", "thanks", "thank",
	"question", "information", "get", "make", "way", "name", "called", "much", "many",
	// Asking to compare or to choose frames the things compared: "¿qué
	// diferencia hay entre el plan mensual y el anual?", "¿no tienen la
	// opción de pagar con Amex?", "what payment methods…?".
	"diferencia", "diferencias", "ventaja", "ventajas", "conviene", "difference", "differences", "advantage", "advantages",
	"opcion", "opciones", "option", "options", "method", "methods",
	// Trying and checking frame a failure or a how-to: "no logro entrar",
	// "ya probé", "¿qué reviso?" ask what to do; "¿funciona de noche?"
	// asks about the night.
	"probe", "probar", "probado", "logro", "lograr", "reviso", "revise", "revisar",
	"funciona", "funcionan", "funcionar", "try", "tried", "trying", "work", "works",
	// "el correo del área de facturación": the department is what follows.
	"area", "areas",
	// The company speaking of itself: every passage is about it.
	"empresa", "compania", "negocio", "ustedes", "company", "business",
}

// synonymGroups are words of general support vocabulary that users and
// documents use interchangeably. A query word also matches the other words
// of its group, at SynonymFactor.
var synonymGroups = [][]string{
	// Languages by their Spanish and English names.
	{"espanol", "castellano", "spanish"}, {"ingles", "english"}, {"frances", "french"}, {"portugues", "portuguese"},
	{"aleman", "german"}, {"italiano", "italian"}, {"chino", "mandarin", "chinese"}, {"japones", "japanese"},
	{"app", "aplicacion", "aplicaciones", "aplicativo", "application"},
	{"celular", "movil", "moviles", "telefono", "smartphone", "mobile", "phone"},
	{"contrasena", "clave", "password"},
	{"recuperar", "recupero", "restablecer", "reestablecer", "resetear", "olvide", "olvidaste", "olvido", "recover", "reset", "forgot"},
	{"correo", "email", "mail"},
	{"ingresar", "entrar", "acceder", "acceso", "login", "loguear"},
	{"pagar", "pago", "pagos", "abonar", "cobro", "cobrar", "payment", "pay"},
	{"reembolso", "devolucion", "devolver", "reintegro", "refund"},
	{"precio", "costo", "cuesta", "tarifa", "price", "cost"},
	{"descuento", "promocion", "rebaja", "discount"},
	{"curso", "cursos", "course", "capacitacion"},
	{"certificado", "diploma", "constancia", "certificate"},
	{"error", "falla", "fallo", "bug"},
	{"cancelar", "cancelo", "anular", "baja", "cancel"},
	{"factura", "boleta", "recibo", "comprobante", "invoice", "facturacion", "receipt", "billing"},
	{"inscripcion", "matricula", "inscribir", "inscribirme", "enroll", "enrollment"},
	{"calificacion", "calificaciones", "nota", "notas", "puntaje", "grade", "grades", "score", "scores"},
	{"tarea", "tareas", "assignment", "homework"},
	{"descargar", "bajar", "download", "downloaded"},
	{"gratis", "gratuito", "gratuita", "free"},
	{"computador", "computadora", "ordenador", "laptop", "computer"},
	{"navegador", "browser"},
	{"internet", "conexion", "connection", "offline", "online", "wifi"},
	{"validez", "valido", "valida", "oficial", "oficiales", "sirve", "sirven", "valid", "official"},
	{"guardar", "guardan", "guarda", "registrar", "registran", "registra", "save"},
	{"empresa", "empresas", "compania", "company", "companies", "pyme", "pymes"},
	{"oficina", "oficinas", "sucursal", "office", "offices", "branch"},
	{"cuota", "cuotas", "installment", "installments"},
	{"suscripcion", "suscripciones", "membresia", "subscription", "subscriptions", "membership"},
	{"tarjeta", "tarjetas", "card", "cards"},
	{"pedido", "pedidos", "order", "orders"},
	{"profesor", "profesores", "profesora", "docente", "docentes", "instructor", "teacher", "teachers"},
	{"soporte", "support"},
	{"contacto", "contactar", "contact"},
	// Everyday words for the same thing, and regional variants.
	{"medicina", "medicinas", "medicamento", "medicamentos", "remedio", "remedios", "farmaco", "farmacos", "pastilla", "pastillas", "jarabe", "jarabes", "medicine", "medication", "drug"},
	{"proteger", "protegerme", "proteccion", "prevenir", "prevencion", "protect", "protection", "prevent", "prevention"},
	{"contagiar", "contagio", "contagiarse", "transmitir", "transmision", "propagar", "propagacion", "esparcir", "infectar", "infeccion", "transmit", "transmission", "spread", "infect", "infection"},
	{"curar", "curarme", "cura", "sanar", "cure", "heal"},
	{"morir", "muerte", "fallecer", "mortal", "die", "death"},
	{"nino", "ninos", "nina", "ninas", "chicos", "chicas", "hijo", "hijos", "hija", "hijas", "menor", "menores", "infante", "child", "children", "kid", "kids"},
	{"mascota", "mascotas", "perro", "perros", "perrito", "perritos", "gato", "gatos", "gatito", "gatitos", "pet", "pets", "dog", "cat"},
	{"hospital", "clinica", "consultorio", "posta", "clinic"},
	{"tapabocas", "mascarilla", "mascarillas", "cubrebocas", "barbijo", "mascara", "mask"},
	{"prueba", "pruebas", "test", "examen", "analisis", "exam"},
	{"casa", "hogar", "domicilio", "home", "house"},
	{"comida", "comidas", "alimento", "alimentos", "food"},
	{"trabajo", "empleo", "pega", "chamba", "curro", "job", "work"},
	{"envio", "envios", "despacho", "despachan", "despachos", "shipping", "delivery", "ship", "ships"},
	{"horario", "horarios", "hora", "horas", "schedule", "hours", "hour"},
	// More of the support vocabulary in both languages.
	{"eliminar", "borrar", "delete", "remove"},
	{"vencer", "vencen", "vence", "caducar", "caduca", "expirar", "expira", "expire", "expires"},
	{"aprobar", "aprobado", "apruebas", "pass", "passed"},
	{"leccion", "lecciones", "clase", "clases", "lesson", "lessons"},
	{"estudiante", "estudiantes", "alumno", "alumnos", "universitario", "universitarios", "student", "students"},
	{"idioma", "idiomas", "language", "languages"},
	{"garantia", "warranty", "guarantee"},
	{"transferencia", "transfer"},
	{"notificacion", "notificaciones", "notification", "notifications"},
	{"perfil", "profile"},
	{"ajustes", "configuracion", "settings"},
	{"progreso", "avance", "progress"},
	// How long something takes.
	{"demora", "demoran", "demorar", "demorarse", "tarda", "tardan", "tardar", "plazo", "plazos", "duracion", "dura", "duran", "durar"},
	{"empezar", "empiezan", "empieza", "comenzar", "comienzan", "comienza", "iniciar", "inicio", "inician", "start", "starts", "begin"},
	{"enlace", "enlaces", "link", "links", "vinculo"},
	{"televisor", "television", "tele", "tv"},
	{"ios", "iphone", "ipad"},
	{"esperar", "espera", "espero", "wait"},
	// Getting a document or a key: "¿cómo saco la clave?" is "¿cómo la
	// obtengo?".
	{"obtener", "obtengo", "obtenerla", "obtenerlo", "sacar", "saco", "conseguir", "consigo", "get", "obtain"},
	{"pagina", "web", "sitio", "portal", "website", "site"},
	// Everyday support words, Spanish and English.
	{"crear", "creo", "creas", "create", "creating"},
	{"cuenta", "cuentas", "account", "accounts"},
	{"bloquear", "bloquea", "bloqueada", "bloqueado", "bloqueo", "lock", "locked", "block", "blocked"},
	{"rechazar", "rechazado", "rechazada", "rechazan", "rechazo", "reject", "rejected", "decline", "declined"},
	{"mensual", "mensuales", "mes", "monthly", "month"},
	{"anual", "annual", "yearly"},
	{"plan", "planes", "plans"},
	{"auto", "autos", "vehiculo", "vehiculos", "carro", "carros", "coche", "coches", "car", "cars", "vehicle", "vehicles"},
	{"diario", "diaria", "dia", "daily", "day"},
	{"bebe", "bebes", "guagua", "guaguas", "baby", "babies"},
	// Counts and bounds, as English questions on Spanish documents put
	// them: "what's the minimum grade?", "how many times can I retake…?".
	{"minimo", "minima", "minimos", "minimas", "minimum"},
	{"maximo", "maxima", "maximos", "maximas", "maximum", "tope", "topes", "limite", "limites", "limit", "limits"},
	{"veces", "times"},
	{"caracter", "caracteres", "character", "characters"},
	{"pregunta", "preguntas", "question", "questions"},
	{"interes", "intereses", "interest"},
	{"direccion", "direcciones", "address", "addresses"},
	// Words of any service's desk that English questions on Spanish
	// documents use.
	{"estacionamiento", "estacionamientos", "parking"},
	{"reserva", "reservas", "reservar", "reservation", "reservations", "booking", "book"},
	{"cliente", "clientes", "customer", "customers"},
	{"grabada", "grabadas", "grabado", "grabacion", "grabaciones", "grabar", "recorded", "recording", "recordings"},
	{"vivo", "live"},
	{"almacenamiento", "storage"},
	{"titulo", "titulos", "degree", "degrees"},
	{"dominio", "dominios", "domain", "domains"},
	{"anticipacion", "antelacion", "advance"},
	{"elegir", "elige", "eliges", "escoger", "escoge", "seleccionar", "selecciona", "choose", "pick", "select"},
	{"departamento", "departamentos", "department", "departments"},
	{"solicitar", "solicitud", "request", "requests"},
	{"cargar", "carga", "cargan", "load", "loads", "loading"},
	{"repetir", "repito", "repite", "retake", "repeat", "retry"},
	{"cuestionario", "cuestionarios", "quiz", "quizzes"},
	{"evaluacion", "evaluaciones", "evaluation", "assessment"},
	{"espacio", "almacenamiento", "space", "storage"},
	{"central", "principal", "main", "headquarters"},
	{"comprar", "compra", "compras", "compro", "buy", "purchase", "purchases"},
	{"licencia", "licencias", "license", "licenses", "licence"},
	{"vender", "venden", "vendemos", "sell", "sold"},
	{"datos", "dato", "data"},
	{"desuscribir", "desuscribirse", "unsubscribe", "baja"},
	{"promocional", "promocionales", "promotional"},
	{"regalar", "regalo", "regala", "obsequiar", "obsequio", "obsequiarle", "gift", "gifts"},
	{"amigo", "amiga", "amigos", "friend", "friends"},
	{"dispositivo", "dispositivos", "device", "devices"},
	{"problema", "problemas", "problem", "problems", "issue", "issues", "trouble"},
	{"usuario", "usuarios", "user", "users"},
	{"privacidad", "privacy"},
	{"seguridad", "security"},
	{"actualizar", "actualiza", "actualizo", "update", "upgrade"},
	{"reiniciar", "reinicia", "restart", "reboot"},
	{"instalar", "instalo", "instala", "install"},
	{"ver", "veo", "watch", "view"},
	{"fecha", "fechas", "date", "dates"},
	{"banco", "bancos", "bank", "banks"},
	{"fundar", "fundada", "fundado", "fundo", "founded"},
	{"lento", "lenta", "slow"},
	{"entrenador", "entrenadores", "trainer", "trainers", "coach"},
	{"lunes", "monday", "mondays", "mon"},
	{"martes", "tuesday", "tuesdays", "tue"},
	{"miercoles", "wednesday", "wednesdays", "wed"},
	{"jueves", "thursday", "thursdays", "thu"},
	{"viernes", "friday", "fridays", "fri"},
	{"sabado", "sabados", "saturday", "saturdays"},
	{"domingo", "domingos", "sunday", "sundays"},
	{"feriado", "feriados", "festivo", "festivos", "holiday", "holidays"},
	{"seguimiento", "rastrear", "rastreo", "track", "tracking"},
	{"semana", "semanas", "week", "weeks", "weekend", "weekends"},
	{"tecnico", "tecnica", "tecnicos", "technical", "technician", "tech"},
	{"retirar", "retiro", "pickup"},
	{"efectivo", "cash"},
	{"fisica", "fisico", "physical"},
	// Shopping and orders.
	{"mandar", "mando", "manda", "enviar", "send"},
	{"cambiar", "modificar", "editar", "change", "modify", "edit"},
	{"tienda", "tiendas", "local", "locales", "store", "stores", "shop"},
	{"producto", "productos", "articulo", "articulos", "product", "products", "item", "items"},
	{"aceptar", "aceptan", "aceptamos", "accept", "accepted"},
	{"pais", "paises", "extranjero", "country", "countries", "abroad"},
	{"devolver", "devolucion", "devoluciones", "return", "returns"},
	// Files and measures, and the units people spell out.
	{"kg", "kgs", "kilo", "kilos", "kilogramo", "kilogramos"},
	{"km", "kms", "kilometro", "kilometros"},
	{"mb", "mega", "megas", "megabyte", "megabytes"},
	{"gb", "giga", "gigas", "gigabyte", "gigabytes"},
	{"lt", "lts", "litro", "litros"},
	{"cm", "centimetro", "centimetros"},
	{"archivo", "archivos", "file", "files"},
	{"tamano", "size"},
	{"maximo", "maxima", "max", "maximum"},
	{"minimo", "minima", "minimum"},
	{"velocidad", "speed", "fast"},
	{"subir", "sube", "upload", "uploading"},
	{"calidad", "quality"},
	{"medianoche", "midnight"},
	{"ciudad", "ciudades", "city", "cities"},
	{"financiar", "financia", "financiado", "financiada", "financiamiento", "financiacion", "fund", "funds", "funded", "funding", "finance", "financed"},
	{"plataforma", "plataformas", "platform", "platforms"},
	{"disponible", "disponibles", "disponibilidad", "available", "availability"},
	// Renting, repairs and contracts.
	{"arrendar", "arriendo", "arriendos", "arrendamiento", "alquilar", "alquiler", "rent", "renting", "rental"},
	{"reparacion", "reparaciones", "reparar", "arreglo", "arreglar", "repair", "repairs"},
	{"mantencion", "mantenimiento", "maintenance"},
	{"emergencia", "emergencias", "urgencia", "urgencias", "emergency", "emergencies"},
	{"renovar", "renovacion", "renueva", "renew", "renewal"},
	{"aviso", "avisar", "notice"},
	{"contrato", "contratos", "contract", "contracts", "lease"},
	{"documento", "documentos", "papeles", "document", "documents", "paperwork"},
	{"atender", "atiende", "atienden", "atendemos", "atencion", "attend", "attention"},
	{"recibir", "recibo", "recibe", "reciben", "llega", "llegan", "receive", "receiving"},
	{"iniciativa", "iniciativas", "proyecto", "proyectos", "programa", "programas", "initiative", "project", "program"},
	// Trades' everyday words, Spanish and English.
	{"taller", "talleres", "workshop", "workshops"},
	{"almuerzo", "almuerzos", "almorzar", "almuerzan", "lunch"},
	{"desayuno", "desayunos", "desayunar", "breakfast"},
	{"cena", "cenas", "cenar", "dinner"},
	{"monitoreo", "monitorear", "monitorea", "monitorean", "monitoring"},
	{"exterior", "exteriores", "outdoor", "outdoors", "outside"},
	{"interior", "interiores", "indoor", "indoors", "inside"},
	{"bateria", "baterias", "pila", "pilas", "battery", "batteries"},
	{"cobertura", "coverage"},
	{"altura", "altitud", "altitude", "elevation"},
	{"carnet", "cedula", "dni", "identidad", "identificacion"},
	{"individual", "individuales", "single"},
	{"habitacion", "habitaciones", "pieza", "cuarto", "room", "rooms"},
	{"agua", "water"},
	{"potable", "drinking"},
	{"frio", "fria", "cold"},
	{"noche", "noches", "night", "nights"},
	// Months, as English questions on Spanish documents name them.
	{"enero", "january"}, {"febrero", "february"}, {"marzo", "march"}, {"abril", "april"}, {"mayo", "may"}, {"junio", "june"},
	{"julio", "july"}, {"agosto", "august"}, {"septiembre", "setiembre", "september"}, {"octubre", "october"}, {"noviembre", "november"}, {"diciembre", "december"},
	{"adicional", "adicionales", "extra", "extras", "complementario", "complementaria", "complementarios", "complementarias", "aparte", "additional"},
}

// rolePhrases are the spelled-out names of executive roles, by their first
// word, longest first where one contains another.
var rolePhrases = func() map[string][]rolePhrase {
	out := map[string][]rolePhrase{}
	add := func(acronym string, phrases ...string) {
		for _, p := range phrases {
			f := strings.Fields(p)
			out[f[0]] = append(out[f[0]], rolePhrase{f, acronym})
		}
	}
	add("ceo", "chief executive officer", "chief executive", "gerente general", "gerenta general", "director ejecutivo", "directora ejecutiva", "director general", "directora general")
	add("cfo", "chief financial officer", "gerente de finanzas", "gerenta de finanzas", "gerente financiero", "gerenta financiera", "director financiero", "directora financiera",
		"director de finanzas", "directora de finanzas", "jefe de finanzas", "jefa de finanzas", "head of finance", "finance director",
		"encargado de finanzas", "encargada de finanzas", "encargado de las finanzas", "encargada de las finanzas", "a cargo de las finanzas", "a cargo de finanzas")
	add("cto", "chief technology officer", "gerente de tecnologia", "gerenta de tecnologia", "director de tecnologia", "directora de tecnologia", "head of technology")
	add("coo", "chief operating officer", "gerente de operaciones", "gerenta de operaciones", "director de operaciones", "directora de operaciones", "head of operations")
	add("cmo", "chief marketing officer", "gerente de marketing", "gerenta de marketing", "director de marketing", "directora de marketing", "head of marketing")
	return out
}()

// roleAcronyms are the acronyms rolePhrases write.
var roleAcronyms = func() map[string]bool {
	out := map[string]bool{}
	for _, phrases := range rolePhrases {
		for _, r := range phrases {
			out[r.acronym] = true
		}
	}
	return out
}()

type rolePhrase struct {
	words   []string
	acronym string
}

// OpensRole reports whether a folded word can start a spelled-out executive
// role ("gerente", "chief"): a caller reading a text word by word must read
// on to see the role whole.
func OpensRole(w string) bool { return len(rolePhrases[w]) > 0 }

// LexiconDigest is a digest of every word list the analysis reads, so that
// what was derived from text with other lists is known to be stale even
// when no sample text meets the words that changed.
func LexiconDigest() string {
	h := sha256.New()
	write := func(words ...string) {
		for _, w := range words {
			h.Write([]byte(w))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	for _, w := range slices.Sorted(maps.Keys(abbreviations)) {
		write(append([]string{w}, abbreviations[w]...)...)
	}
	write(slices.Sorted(maps.Keys(extraStopWords))...)
	write(lowInfoWords...)
	write(slices.Sorted(maps.Keys(servedFrames))...)
	write(slices.Sorted(maps.Keys(definiteArticles))...)
	for _, g := range synonymGroups {
		write(g...)
	}
	for _, first := range slices.Sorted(maps.Keys(rolePhrases)) {
		for _, r := range rolePhrases[first] {
			write(append([]string{r.acronym}, r.words...)...)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
