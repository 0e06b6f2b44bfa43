// Interface texts in the company profile's language (the page's lang).

const es = {
  'nav.overview': 'Resumen', 'nav.conversations': 'Conversaciones', 'nav.tickets': 'Tickets',
  'nav.knowledge': 'Conocimiento', 'nav.gaps': 'Vacíos de contenido',
  'signin.title': 'Consola de operación', 'signin.lead': 'Ingresa una clave de API con el rol admin. Se guarda solo en esta pestaña y se borra al cerrarla.',
  'signin.key': 'Clave de API (admin)', 'signin.submit': 'Entrar', 'signin.invalid': 'Clave no válida.',
  'signin.forbidden': 'Esta clave no tiene el rol admin.', 'signout': 'Salir', 'open.loopback': 'Sin claves · solo local',
  'common.loading': 'Cargando…', 'common.empty': 'Nada por aquí.', 'common.cancel': 'Cancelar', 'common.save': 'Guardar',
  'common.delete': 'Eliminar', 'common.edit': 'Editar', 'common.refresh': 'Actualizar', 'common.error': 'Error: {0}',
  'common.days': 'Últimos {0} días', 'common.all': 'Todos', 'common.back': 'Volver', 'common.live': 'En vivo',
  'ov.title': 'Resumen', 'ov.chart': 'Conversaciones por resultado',
  'ov.botRate': 'Resueltas por el bot', 'ov.personRate': 'Resueltas por una persona', 'ov.abandonedRate': 'Abandonadas',
  'ov.rate.sub': '{0} de {1} conversaciones resueltas o abandonadas', 'ov.open': 'Abiertas', 'ov.open.sub': 'de {0} activas en el periodo',
  'ov.ticketsAnswered': 'Tickets respondidos', 'ov.ticketsAnswered.sub': 'mediana {0}',
  'ov.openTickets': 'Tickets abiertos por antigüedad', 'ov.failures': 'Envíos que requieren atención',
  'ov.noFailures': 'Ningún envío requiere atención.', 'ov.noOpen': 'No hay tickets abiertos.',
  'ov.note': 'Cada resultado, el día en que se registró; las abiertas, el día de su último mensaje.',
  'ov.waitingWindow': 'espera que el cliente vuelva a escribir',
  'series.resolved_by_bot': 'Resuelta por el bot', 'series.resolved_by_person': 'Resuelta por una persona',
  'series.abandoned': 'Abandonada', 'series.open': 'Abierta',
  'owner.bot': 'Bot', 'owner.waiting_for_human': 'Esperando a una persona', 'owner.human': 'Atiende una persona', 'owner.resolved': 'Resuelta',
  'cause.customer_message': 'mensaje del cliente', 'cause.bot_answer': 'respuesta del bot', 'cause.handoff': 'derivación',
  'cause.ask_human': 'pidió una persona', 'cause.ticket_answered': 'ticket respondido', 'cause.ticket_closed': 'ticket cerrado',
  'cause.human_message': 'una persona escribió', 'cause.pause': 'pausa', 'cause.resume': 'reanudación', 'cause.timeout': 'fin de la pausa',
  'cause.confirmed': 'el cliente confirmó', 'cause.settled': 'sin más preguntas',
  'outcome.answer': 'Respondido por el bot', 'outcome.smalltalk': 'Conversación casual', 'outcome.escalate': 'Derivado a una persona',
  'outcome.follow_up': 'Seguimiento de ticket', 'outcome.silent': 'Bot en pausa',
  'state.bot': 'Bot', 'state.ticket_open': 'Ticket abierto', 'state.paused': 'En pausa',
  'conv.title': 'Conversaciones', 'conv.channel': 'Canal', 'conv.state': 'Estado', 'conv.contact': 'Contacto',
  'conv.last': 'Última actividad', 'conv.filtered': 'Mostrando {0} conversaciones de un vacío de contenido',
  'conv.clear': 'Quitar filtro', 'conv.pause': 'Pausar bot 24 h', 'conv.resume': 'Reanudar bot', 'conv.erase': 'Borrar contacto',
  'conv.erase.title': '¿Borrar todos los datos de {0}?', 'conv.erase.body': 'Se eliminan sus conversaciones, mensajes, ejecuciones, tickets y lo aprendido de ellos. No se puede deshacer.',
  'conv.erased': 'Contacto borrado: {0} mensajes, {1} tickets.', 'conv.paused': 'Bot en pausa hasta {0}', 'conv.resumed': 'El bot vuelve a responder.',
  'conv.select': 'Elige una conversación para ver su transcripción.', 'conv.showRun': 'Ver decisión',
  'conv.silentRun': 'El bot no respondió ({0})', 'conv.owner': 'Responsable', 'conv.messageCount': '{0} mensajes', 'conv.outcome': 'Resultado',
  'conv.transitions': 'Cambios de responsable', 'conv.resolvedAt': 'Registrado', 'conv.reason': 'Motivo',
  'conv.byOutcome': 'Conversaciones con este resultado, la más reciente primero.',
  'run.agents': 'Agentes', 'run.passages': 'Pasajes recuperados', 'run.decision': 'Decisión', 'run.asked': 'Tipo de información pedida',
  'run.held': 'presente en el pasaje', 'run.notHeld': 'ausente del pasaje', 'run.covered': 'Términos cubiertos', 'run.missing': 'Términos faltantes',
  'run.confidence': 'Confianza', 'run.threshold': 'umbral {0}', 'run.tokens': 'Tokens', 'run.tokensValue': '{0} de entrada · {1} de salida',
  'run.duration': 'Duración', 'run.reason': 'Motivo', 'run.steps': 'Pasos', 'run.ticket': 'Ticket', 'run.none': '—',
  'run.answers': 'Responde', 'run.handsOff': 'Deriva a una persona', 'run.retrieval': 'recuperación {0}',
  'tk.title': 'Tickets', 'tk.open': 'Abiertos', 'tk.answered': 'Respondidos', 'tk.closed': 'Cerrados', 'tk.age': 'Antigüedad',
  'tk.question': 'Pregunta', 'tk.context': 'Contexto', 'tk.followUps': 'Mensajes mientras esperaba', 'tk.handoff': 'Motivo de la derivación',
  'tk.answer': 'Respuesta', 'tk.answeredBy': 'Respondido por', 'tk.learn': 'Aprendizaje', 'tk.learn.policy': 'Según la política',
  'tk.learn.learn': 'Aprender (aprobado)', 'tk.learn.no': 'No aprender', 'tk.send': 'Enviar respuesta', 'tk.close': 'Cerrar sin respuesta',
  'tk.closeReason': 'Motivo del cierre', 'tk.preview': 'Qué se aprendería', 'tk.preview.hint': 'Escribe una respuesta para ver qué se aprendería tras quitar los datos personales.',
  'tk.preview.pending': 'Quedaría pendiente de revisión', 'tk.preview.live': 'Quedaría activo al instante', 'tk.preview.none': 'No se aprendería: {0}',
  'tk.sent': 'Respuesta enviada.', 'tk.closedOk': 'Ticket cerrado.', 'tk.learned': 'Entrada aprendida', 'tk.notLearned': 'No aprendido: {0}',
  'tk.select': 'Elige un ticket.', 'tk.is.open': 'Abierto', 'tk.is.answered': 'Respondido', 'tk.is.closed': 'Cerrado', 'tk.personal': 'Personal', 'tk.status': 'Estado', 'tk.conversation': 'Ver conversación',
  'kb.title': 'Conocimiento', 'kb.docs': 'Documentos', 'kb.drop': 'Arrastra archivos aquí o', 'kb.pick': 'elígelos',
  'kb.dropHint': 'PDF, Markdown, texto, HTML o Q&A (JSON, CSV) · hasta 32 MiB', 'kb.file': 'Archivo', 'kb.chunks': 'Pasajes',
  'kb.size': 'Tamaño', 'kb.updated': 'Actualizado', 'kb.reupload': 'Reemplazar', 'kb.uploaded': '{0} subido.', 'kb.unchanged': '{0} sin cambios.',
  'kb.replaced': '{0} reemplazado.', 'kb.deleteDoc': '¿Eliminar {0}?', 'kb.deleteDoc.body': 'Sus pasajes dejan de responder a los clientes.',
  'kb.demo': 'demo', 'kb.playground': 'Probar una pregunta', 'kb.ask': 'Escribe una pregunta como la haría un cliente',
  'kb.search': 'Probar', 'kb.wouldAnswer': 'El bot respondería', 'kb.wouldHandoff': 'El bot derivaría a una persona',
  'kb.entries': 'Entradas de preguntas y respuestas', 'kb.live': 'Activas', 'kb.review': 'Por revisar', 'kb.rejected': 'Rechazadas',
  'kb.learnedOnly': 'Aprendidas', 'kb.approve': 'Aprobar', 'kb.reject': 'Rechazar', 'kb.approved': 'Entrada aprobada: ya responde.',
  'kb.rejectedOk': 'Entrada rechazada.', 'kb.saved': 'Entrada guardada.', 'kb.deleted': 'Eliminado.', 'kb.deleteEntry': '¿Eliminar esta entrada?',
  'kb.provenance': 'Aprendida del ticket {0} · respondió {1} · {2}', 'kb.source': 'Fuente: {0}', 'kb.reviewEmpty': 'No hay respuestas esperando revisión.',
  'kb.lexical': 'léxico', 'kb.vector': 'vector', 'kb.question': 'Pregunta', 'kb.answer': 'Respuesta',
  'gaps.title': 'Vacíos de contenido', 'gaps.lead': 'Preguntas derivadas a una persona o respondidas con poca confianza, agrupadas por similitud: qué escribir a continuación.',
  'gaps.count': '{0} preguntas', 'gaps.handedOff': '{0} derivadas', 'gaps.low': '{0} con poca confianza',
  'gaps.count.one': '1 pregunta', 'gaps.handedOff.one': '1 derivada', 'gaps.low.one': '1 con poca confianza', 'gaps.last': 'Última: {0}',
  'gaps.open': 'Ver conversaciones', 'gaps.empty': 'Sin vacíos en el periodo: el bot respondió con confianza.', 'gaps.read': '{0} preguntas leídas · poca confianza: menos de {1}',
  'delivery.pending': 'en cola', 'delivery.in_flight': 'enviando', 'delivery.sent': 'enviado', 'delivery.delivered': 'entregado',
  'delivery.read': 'leído', 'delivery.failed': 'fallido', 'delivery.retrying': 'reintentando', 'delivery.waiting_for_window': 'esperando la ventana de 24 h',
  'kind.general': 'general', 'kind.amount': 'importe o precio', 'kind.number': 'número', 'kind.time': 'fecha, hora o plazo',
  'kind.person': 'nombre de persona', 'kind.email': 'correo', 'kind.phone': 'teléfono', 'kind.url': 'dirección web',
  'kind.place': 'lugar', 'kind.address': 'dirección postal', 'kind.age': 'edad',
  'reason.answers': 'el pasaje responde la pregunta', 'reason.low': 'confianza bajo el umbral de respuesta',
  'reason.kindMissing': 'la pregunta pide {0} y el pasaje no lo contiene',
};

const en = {
  'nav.overview': 'Overview', 'nav.conversations': 'Conversations', 'nav.tickets': 'Tickets',
  'nav.knowledge': 'Knowledge', 'nav.gaps': 'Content gaps',
  'signin.title': 'Operator console', 'signin.lead': 'Enter an API key with the admin role. It is kept in this tab only and forgotten when you close it.',
  'signin.key': 'API key (admin)', 'signin.submit': 'Sign in', 'signin.invalid': 'Invalid key.',
  'signin.forbidden': 'This key does not have the admin role.', 'signout': 'Sign out', 'open.loopback': 'No keys · local only',
  'common.loading': 'Loading…', 'common.empty': 'Nothing here.', 'common.cancel': 'Cancel', 'common.save': 'Save',
  'common.delete': 'Delete', 'common.edit': 'Edit', 'common.refresh': 'Refresh', 'common.error': 'Error: {0}',
  'common.days': 'Last {0} days', 'common.all': 'All', 'common.back': 'Back', 'common.live': 'Live',
  'ov.title': 'Overview', 'ov.chart': 'Conversations by outcome',
  'ov.botRate': 'Resolved by the bot', 'ov.personRate': 'Resolved by a person', 'ov.abandonedRate': 'Abandoned',
  'ov.rate.sub': '{0} of {1} conversations resolved or abandoned', 'ov.open': 'Open', 'ov.open.sub': 'of {0} active in the period',
  'ov.ticketsAnswered': 'Tickets answered', 'ov.ticketsAnswered.sub': 'median {0}',
  'ov.openTickets': 'Open tickets by age', 'ov.failures': 'Deliveries that need attention',
  'ov.noFailures': 'No delivery needs attention.', 'ov.noOpen': 'No open tickets.',
  'ov.note': 'Each outcome on the day it was recorded; open conversations on the day of their last message.',
  'ov.waitingWindow': 'waits for the customer to write again',
  'series.resolved_by_bot': 'Resolved by the bot', 'series.resolved_by_person': 'Resolved by a person',
  'series.abandoned': 'Abandoned', 'series.open': 'Open',
  'owner.bot': 'Bot', 'owner.waiting_for_human': 'Waiting for a person', 'owner.human': 'A person', 'owner.resolved': 'Resolved',
  'cause.customer_message': 'customer message', 'cause.bot_answer': 'bot answer', 'cause.handoff': 'hand-off',
  'cause.ask_human': 'asked for a person', 'cause.ticket_answered': 'ticket answered', 'cause.ticket_closed': 'ticket closed',
  'cause.human_message': 'a person wrote', 'cause.pause': 'pause', 'cause.resume': 'resume', 'cause.timeout': 'pause ended',
  'cause.confirmed': 'customer confirmed', 'cause.settled': 'no further question',
  'outcome.answer': 'Answered by the bot', 'outcome.smalltalk': 'Small talk', 'outcome.escalate': 'Handed to a person',
  'outcome.follow_up': 'Ticket follow-up', 'outcome.silent': 'Bot paused',
  'state.bot': 'Bot', 'state.ticket_open': 'Ticket open', 'state.paused': 'Paused',
  'conv.title': 'Conversations', 'conv.channel': 'Channel', 'conv.state': 'State', 'conv.contact': 'Contact',
  'conv.last': 'Last activity', 'conv.filtered': 'Showing {0} conversations of a content gap',
  'conv.clear': 'Clear filter', 'conv.pause': 'Pause bot 24 h', 'conv.resume': 'Resume bot', 'conv.erase': 'Erase contact',
  'conv.erase.title': 'Erase all data of {0}?', 'conv.erase.body': 'Their conversations, messages, runs, tickets and what was learned from them are deleted. This cannot be undone.',
  'conv.erased': 'Contact erased: {0} messages, {1} tickets.', 'conv.paused': 'Bot paused until {0}', 'conv.resumed': 'The bot answers again.',
  'conv.select': 'Pick a conversation to see its transcript.', 'conv.showRun': 'Show decision',
  'conv.silentRun': 'The bot did not reply ({0})', 'conv.owner': 'Owner', 'conv.messageCount': '{0} messages', 'conv.outcome': 'Outcome',
  'conv.transitions': 'Changes of owner', 'conv.resolvedAt': 'Recorded', 'conv.reason': 'Reason',
  'conv.byOutcome': 'Conversations with this outcome, newest first.',
  'run.agents': 'Agents', 'run.passages': 'Retrieved passages', 'run.decision': 'Decision', 'run.asked': 'Kind of information asked',
  'run.held': 'held by the passage', 'run.notHeld': 'missing from the passage', 'run.covered': 'Covered terms', 'run.missing': 'Missing terms',
  'run.confidence': 'Confidence', 'run.threshold': 'threshold {0}', 'run.tokens': 'Tokens', 'run.tokensValue': '{0} prompt · {1} completion',
  'run.duration': 'Duration', 'run.reason': 'Reason', 'run.steps': 'Steps', 'run.ticket': 'Ticket', 'run.none': '—',
  'run.answers': 'Answers', 'run.handsOff': 'Hands off to a person', 'run.retrieval': 'retrieval {0}',
  'tk.title': 'Tickets', 'tk.open': 'Open', 'tk.answered': 'Answered', 'tk.closed': 'Closed', 'tk.age': 'Age',
  'tk.question': 'Question', 'tk.context': 'Context', 'tk.followUps': 'Messages while waiting', 'tk.handoff': 'Why it was handed off',
  'tk.answer': 'Answer', 'tk.answeredBy': 'Answered by', 'tk.learn': 'Learning', 'tk.learn.policy': 'As the policy says',
  'tk.learn.learn': 'Learn (approved)', 'tk.learn.no': 'Do not learn', 'tk.send': 'Send answer', 'tk.close': 'Close without answer',
  'tk.closeReason': 'Why it is closed', 'tk.preview': 'What would be learned', 'tk.preview.hint': 'Write an answer to see what would be learned once personal data is removed.',
  'tk.preview.pending': 'Would wait for review', 'tk.preview.live': 'Would be live at once', 'tk.preview.none': 'Nothing would be learned: {0}',
  'tk.sent': 'Answer sent.', 'tk.closedOk': 'Ticket closed.', 'tk.learned': 'Learned entry', 'tk.notLearned': 'Not learned: {0}',
  'tk.select': 'Pick a ticket.', 'tk.is.open': 'Open', 'tk.is.answered': 'Answered', 'tk.is.closed': 'Closed', 'tk.personal': 'Personal', 'tk.status': 'Status', 'tk.conversation': 'Open conversation',
  'kb.title': 'Knowledge', 'kb.docs': 'Documents', 'kb.drop': 'Drop files here or', 'kb.pick': 'choose them',
  'kb.dropHint': 'PDF, Markdown, text, HTML or Q&A (JSON, CSV) · up to 32 MiB', 'kb.file': 'File', 'kb.chunks': 'Passages',
  'kb.size': 'Size', 'kb.updated': 'Updated', 'kb.reupload': 'Replace', 'kb.uploaded': '{0} uploaded.', 'kb.unchanged': '{0} unchanged.',
  'kb.replaced': '{0} replaced.', 'kb.deleteDoc': 'Delete {0}?', 'kb.deleteDoc.body': 'Its passages stop answering customers.',
  'kb.demo': 'demo', 'kb.playground': 'Try a question', 'kb.ask': 'Type a question as a customer would',
  'kb.search': 'Try it', 'kb.wouldAnswer': 'The bot would answer', 'kb.wouldHandoff': 'The bot would hand off to a person',
  'kb.entries': 'Question and answer entries', 'kb.live': 'Live', 'kb.review': 'Review queue', 'kb.rejected': 'Rejected',
  'kb.learnedOnly': 'Learned', 'kb.approve': 'Approve', 'kb.reject': 'Reject', 'kb.approved': 'Entry approved: it answers now.',
  'kb.rejectedOk': 'Entry rejected.', 'kb.saved': 'Entry saved.', 'kb.deleted': 'Deleted.', 'kb.deleteEntry': 'Delete this entry?',
  'kb.provenance': 'Learned from ticket {0} · answered by {1} · {2}', 'kb.source': 'Source: {0}', 'kb.reviewEmpty': 'No answers waiting for review.',
  'kb.lexical': 'lexical', 'kb.vector': 'vector', 'kb.question': 'Question', 'kb.answer': 'Answer',
  'gaps.title': 'Content gaps', 'gaps.lead': 'Questions handed to a person or answered with low confidence, grouped by similarity: what to write next.',
  'gaps.count': '{0} questions', 'gaps.handedOff': '{0} handed off', 'gaps.low': '{0} low confidence',
  'gaps.count.one': '1 question', 'gaps.handedOff.one': '1 handed off', 'gaps.low.one': '1 low confidence', 'gaps.last': 'Last: {0}',
  'gaps.open': 'Open conversations', 'gaps.empty': 'No gaps in the period: the bot answered with confidence.', 'gaps.read': '{0} questions read · low confidence: below {1}',
  'delivery.pending': 'queued', 'delivery.in_flight': 'sending', 'delivery.sent': 'sent', 'delivery.delivered': 'delivered',
  'delivery.read': 'read', 'delivery.failed': 'failed', 'delivery.retrying': 'retrying', 'delivery.waiting_for_window': 'waiting for the 24-hour window',
  'kind.general': 'general', 'kind.amount': 'amount or price', 'kind.number': 'number', 'kind.time': 'date, time or duration',
  'kind.person': "person's name", 'kind.email': 'email', 'kind.phone': 'phone number', 'kind.url': 'web address',
  'kind.place': 'place', 'kind.address': 'street address', 'kind.age': 'age',
  'reason.answers': 'the passage answers the question', 'reason.low': 'confidence below the answer threshold',
  'reason.kindMissing': 'the question asks for {0} and the passage holds none',
};

export const lang = document.documentElement.lang === 'en' ? 'en' : 'es';
const dict = lang === 'en' ? en : es;

/** t returns the text for key with {0}, {1}… replaced by args. */
export function t(key, ...args) {
  const s = dict[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[i] ?? ''));
}

/** tn is t for a count: the key's ".one" form when n is 1. */
export function tn(key, n) {
  return t(n === 1 && `${key}.one` in dict ? `${key}.one` : key, n);
}

const dateFmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
const dayFmt = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' });
const rel = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });

export function fmtDate(s) {
  return s ? dateFmt.format(new Date(s)) : '—';
}

export function fmtDay(d) {
  return dayFmt.format(d);
}

/** ago says how long ago s was, in the largest sensible unit. */
export function ago(s) {
  if (!s) return '—';
  const sec = (new Date(s).getTime() - Date.now()) / 1000;
  for (const [unit, n] of [['day', 86400], ['hour', 3600], ['minute', 60]]) {
    if (Math.abs(sec) >= n) return rel.format(Math.round(sec / n), unit);
  }
  return rel.format(Math.round(sec), 'second');
}

/** duration formats milliseconds as 45 s, 12 min, 3 h or 2 d. */
export function duration(ms) {
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function bytes(n) {
  n = Number(n) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}
