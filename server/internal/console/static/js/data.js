// Data of the Overview page, in one place. Outcomes come from the outcome
// API (ListResolutions, GetResolutionStats), open conversations from
// ListConversations, tickets from ListTickets, the replies that need
// attention from ListDeliveries: list calls only.
import { api } from './api.js';

/** SERIES are the chart's series: three outcomes and the conversations still open. */
export const SERIES = ['resolved_by_bot', 'resolved_by_person', 'abandoned', 'open'];

const DAY = 864e5;
export const ATTENTION = ['DELIVERY_STATUS_FAILED', 'DELIVERY_STATUS_RETRYING', 'DELIVERY_STATUS_WAITING_FOR_WINDOW'];

const outcomeName = (o) => String(o || '').replace('CONVERSATION_OUTCOME_', '').toLowerCase();

function startOfDay(t) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export const AGE_BUCKETS = [
  { key: '< 1 h', max: 3600e3 },
  { key: '1–4 h', max: 4 * 3600e3 },
  { key: '4–24 h', max: DAY },
  { key: '1–3 d', max: 3 * DAY },
  { key: '> 3 d', max: Infinity },
];

/**
 * overview returns, for the last `days` days: conversations per day by
 * outcome (on the day the outcome was recorded) and those still open (on
 * the day of their last message), the outcome rates of the period, open
 * tickets by age, tickets answered and the outbound messages that need
 * attention (failed, retrying, waiting for the customer-service window).
 */
export async function overview(days) {
  const since = startOfDay(Date.now() - (days - 1) * DAY);
  const from = new Date(since).toISOString();
  const [resolutions, stats, active, tickets, openTickets, deliveries] = await Promise.all([
    api.allResolutions({ from, pageSize: 500 }),
    api.resolutionStats({ from }),
    api.allConversations({ pageSize: 500 }, (c) => Date.parse(c.lastActivityAt) >= since),
    api.allTickets({ pageSize: 500 }, (t) => Date.parse(t.createdAt) >= since),
    api.allTickets({ status: 'TICKET_STATUS_OPEN', pageSize: 500 }),
    api.allDeliveries({ statuses: ATTENTION, since: from, pageSize: 500 }, () => true, 2),
  ]);
  const convs = active.filter((c) => Date.parse(c.lastActivityAt) >= since);

  const byDay = new Map();
  for (let d = since; d <= Date.now(); d += DAY) byDay.set(startOfDay(d), Object.fromEntries(SERIES.map((s) => [s, 0])));
  const count = (at, series) => {
    const day = byDay.get(startOfDay(at));
    if (day) day[series]++;
  };
  // The latest outcome of each conversation, to tell the open ones.
  const lastOutcome = new Map();
  for (const r of resolutions) {
    const at = Date.parse(r.resolvedAt);
    const o = outcomeName(r.outcome);
    if (SERIES.includes(o)) count(at, o);
    if (!(lastOutcome.get(r.conversationId) >= at)) lastOutcome.set(r.conversationId, at);
  }
  // Open: not resolved now, and active since its last outcome, if any.
  const open = convs.filter((c) => c.owner !== 'OWNER_RESOLVED' && !(lastOutcome.get(c.id) >= Date.parse(c.lastActivityAt)));
  for (const c of open) count(Date.parse(c.lastActivityAt), 'open');

  // Newest first, with the contact each reply goes to.
  const attention = deliveries;

  const inPeriod = tickets.filter((t) => Date.parse(t.createdAt) >= since);
  const answered = inPeriod.filter((t) => t.status === 'TICKET_STATUS_ANSWERED');
  const waits = answered.map((t) => Date.parse(t.resolvedAt) - Date.parse(t.createdAt)).filter(Number.isFinite).sort((a, b) => a - b);
  const openByAge = AGE_BUCKETS.map((b) => ({ ...b, count: 0 }));
  for (const t of openTickets) {
    const age = Date.now() - Date.parse(t.createdAt);
    openByAge.find((b) => age < b.max).count++;
  }

  return {
    since,
    days: [...byDay].map(([date, counts]) => ({ date: new Date(date), counts })),
    stats: {
      resolvedByBot: stats.resolvedByBot || 0,
      resolvedByPerson: stats.resolvedByPerson || 0,
      abandoned: stats.abandoned || 0,
      total: stats.total || 0,
      botRate: stats.total ? stats.botRate || 0 : NaN,
      personRate: stats.total ? stats.personRate || 0 : NaN,
      abandonedRate: stats.total ? stats.abandonedRate || 0 : NaN,
    },
    open: open.length,
    conversations: convs.length,
    tickets: inPeriod.length,
    ticketsAnswered: answered.length,
    medianAnswerMs: waits.length ? waits[Math.floor(waits.length / 2)] : NaN,
    openTickets: openTickets.length,
    openByAge,
    attention,
  };
}
