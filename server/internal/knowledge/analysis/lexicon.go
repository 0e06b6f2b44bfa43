package analysis

// abbreviations maps what people type on WhatsApp (already folded) to the
// words they mean. Single letters are expanded only where the chat meaning
// is far more common than the letter itself.
var abbreviations = map[string][]string{
	"q": {"que"}, "k": {"que"}, "ke": {"que"}, "qe": {"que"},
	"xq": {"porque"}, "pq": {"porque"}, "porq": {"porque"}, "xk": {"porque"}, "pk": {"porque"}, "xke": {"porque"},
	"kien": {"quien"}, "kienes": {"quienes"},
	"tb": {"tambien"}, "tmb": {"tambien"}, "tbn": {"tambien"}, "tbm": {"tambien"},
	"x": {"por"}, "d": {"de"}, "dl": {"del"}, "pa": {"para"}, "pal": {"para", "el"},
	"dnd": {"donde"}, "dnde": {"donde"},
	"cmo": {"como"}, "cm": {"como"}, "komo": {"como"},
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
	"u": {"you"}, "ur": {"your"}, "r": {"are"}, "pwd": {"password"}, "thx": {"thanks"}, "ty": {"thanks"},
	"hr": {"hora"}, "hrs": {"horas"}, "min": {"minutos"}, "mins": {"minutos"},
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
	"okay": true, "okey": true, "vale": true, "bueno": true, "tal": true, "asi": true, "aqui": true,
	"alla": true, "ahi": true, "alli": true, "tambien": true, "luego": true, "solo": true,
	"could": true, "would": true, "may": true, "might": true, "shall": true, "im": true,
	"ive": true, "dont": true, "cant": true, "whats": true, "hows": true, "hey": true,
}

// lowInfoWords frame a question without naming its topic: courtesy,
// light verbs and "how do I" words. They are matched with LowInfoWeight.
var lowInfoWords = []string{
	"puedo", "puede", "pueden", "poder", "podria", "podrian", "podemos", "puedes",
	"hacer", "hago", "hace", "hacen", "haces", "debo", "debe", "deben", "deberia",
	"necesito", "necesita", "necesitan", "necesitar", "quiero", "quiere", "quisiera", "querer", "queria",
	"saber", "sabe", "sabes", "gustaria", "ayuda", "ayudar", "ayudame", "ayudarme", "favor",
	"hola", "gracias", "buenas", "buenos", "dias", "tardes", "noches", "saludos",
	"informacion", "pregunta", "duda", "dar", "dame", "dudas", "consulta", "llama", "llamo", "llamar", "nombre",
	"ahora", "bien", "tener", "decir", "dime", "explicar", "cosa", "algo", "alguien", "existe", "existen", "sale", "salir", "aparece", "tipo", "forma", "manera", "hay", "tengo", "tiene", "tienen",
	// "¿Es cierto que…?", "creo que…", "¿qué pasa si…?", "¿aún…?": the
	// question is what follows.
	"cierto", "verdad", "creo", "crees", "ser", "estar", "pasa", "pasar", "aun", "todavia",
	"true", "think", "still", "happen", "happens",
	"can", "please", "help", "need", "want", "know", "tell", "hi", "hello", "thanks", "thank",
	"question", "information", "get", "make", "way", "name", "called", "much", "many",
	// The company speaking of itself: every passage is about it.
	"empresa", "compania", "negocio", "ustedes", "company", "business",
}

// synonymGroups are words of general support vocabulary that users and
// documents use interchangeably. A query word also matches the other words
// of its group, at SynonymFactor.
var synonymGroups = [][]string{
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
	{"cancelar", "anular", "cancel"},
	{"factura", "boleta", "recibo", "comprobante", "invoice", "facturacion"},
	{"inscripcion", "matricula", "inscribir", "inscribirme", "enroll", "enrollment"},
	{"calificacion", "calificaciones", "nota", "notas", "grade", "grades"},
	{"tarea", "tareas", "assignment", "homework"},
	{"descargar", "bajar", "download"},
	{"gratis", "gratuito", "gratuita", "free"},
	{"computador", "computadora", "ordenador", "laptop", "computer"},
	{"navegador", "browser"},
	{"internet", "conexion", "connection", "offline", "online"},
	{"validez", "valido", "valida", "oficial", "oficiales", "valid", "official"},
	{"guardar", "guardan", "guarda", "registrar", "registran", "registra", "save"},
	{"empresa", "empresas", "compania", "company", "companies"},
	{"oficina", "oficinas", "sucursal", "office", "offices", "branch"},
	{"cuota", "cuotas", "installment", "installments"},
	{"suscripcion", "suscripciones", "membresia", "subscription", "subscriptions", "membership"},
	{"tarjeta", "tarjetas", "card", "cards"},
	{"pedido", "pedidos", "order", "orders"},
	{"profesor", "profesores", "profesora", "docente", "docentes", "instructor", "teacher", "teachers"},
	{"soporte", "support"},
	{"contacto", "contactar", "contact"},
	// Everyday words for the same thing, and regional variants.
	{"medicina", "medicinas", "medicamento", "medicamentos", "remedio", "remedios", "farmaco", "farmacos", "pastilla", "pastillas", "medicine", "medication", "drug"},
	{"proteger", "protegerme", "proteccion", "prevenir", "prevencion", "protect", "protection", "prevent", "prevention"},
	{"contagiar", "contagio", "contagiarse", "transmitir", "transmision", "propagar", "propagacion", "esparcir", "infectar", "infeccion", "transmit", "transmission", "spread", "infect", "infection"},
	{"curar", "curarme", "cura", "sanar", "cure", "heal"},
	{"morir", "muerte", "fallecer", "mortal", "die", "death"},
	{"nino", "ninos", "nina", "ninas", "hijo", "hijos", "hija", "hijas", "menor", "menores", "infante", "child", "children", "kid", "kids"},
	{"mascota", "mascotas", "perro", "perros", "gato", "gatos", "pet", "pets", "dog", "cat"},
	{"hospital", "clinica", "consultorio", "posta", "clinic"},
	{"tapabocas", "mascarilla", "mascarillas", "cubrebocas", "barbijo", "mascara", "mask"},
	{"prueba", "pruebas", "test", "examen", "analisis", "exam"},
	{"casa", "hogar", "domicilio", "home", "house"},
	{"comida", "comidas", "alimento", "alimentos", "food"},
	{"trabajo", "empleo", "job", "work"},
	{"envio", "envios", "despacho", "despachan", "despachos", "shipping", "delivery", "ship", "ships"},
	{"horario", "horarios", "hora", "schedule", "hours"},
	// More of the support vocabulary in both languages.
	{"eliminar", "borrar", "delete", "remove"},
	{"vencer", "vencen", "vence", "caducar", "caduca", "expirar", "expira", "expire", "expires"},
	{"aprobar", "aprobado", "apruebas", "pass", "passed"},
	{"leccion", "lecciones", "lesson", "lessons"},
	{"estudiante", "estudiantes", "alumno", "alumnos", "student", "students"},
	{"idioma", "idiomas", "language", "languages"},
	{"garantia", "warranty", "guarantee"},
	{"transferencia", "transfer"},
	{"notificacion", "notificaciones", "notification", "notifications"},
	{"perfil", "profile"},
	{"ajustes", "configuracion", "settings"},
	{"progreso", "progress"},
	// How long something takes.
	{"demora", "demoran", "demorar", "demorarse", "tarda", "tardan", "tardar", "plazo", "plazos", "duracion", "dura", "duran", "durar"},
	{"empezar", "empiezan", "empieza", "comenzar", "comienzan", "comienza", "iniciar", "inicio", "inician", "start", "starts", "begin"},
	{"enlace", "enlaces", "link", "links", "vinculo"},
	{"televisor", "television", "tele", "tv"},
	{"ios", "iphone", "ipad"},
	{"esperar", "espera", "espero", "wait"},
	// Shopping and orders.
	{"mandar", "mando", "manda", "enviar", "send"},
	{"cambiar", "modificar", "editar", "change", "modify", "edit"},
	{"tienda", "tiendas", "local", "locales", "store", "stores", "shop"},
	{"producto", "productos", "articulo", "articulos", "product", "products", "item", "items"},
	{"aceptar", "aceptan", "aceptamos", "accept", "accepted"},
	{"pais", "paises", "extranjero", "country", "countries", "abroad"},
	{"devolver", "devolucion", "devoluciones", "return", "returns"},
}
