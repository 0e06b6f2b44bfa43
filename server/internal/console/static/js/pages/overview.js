import { h, mount, pct } from '../ui.js';
import { t, fmtDay, fmtDate, duration, ago } from '../i18n.js';
import { overview, SERIES } from '../data.js';
import { stackedBars, hbars } from '../chart.js';

let period = 7;

export async function render(root) {
  const body = h('div');
  const select = h('select#period', { onchange: () => { period = Number(select.value); load(); } },
    [7, 14, 30, 90].map((d) => h('option', { value: d, selected: d === period }, t('common.days', d))));
  mount(root, h('header.page-head', h('h1', t('ov.title')), h('div.tools', select)), body);

  async function load() {
    mount(body, h('div.loading', t('common.loading')));
    const d = await overview(period);
    const labels = Object.fromEntries(SERIES.map((s) => [s, t(`series.${s}`)]));
    const st = d.stats;
    mount(body,
      h('section.kpis',
        kpi(t('ov.botRate'), pct(st.botRate), t('ov.rate.sub', st.resolvedByBot, st.total), 'good', 'bot-rate'),
        kpi(t('ov.personRate'), pct(st.personRate), t('ov.rate.sub', st.resolvedByPerson, st.total), 'warn', 'person-rate'),
        kpi(t('ov.abandonedRate'), pct(st.abandonedRate), t('ov.rate.sub', st.abandoned, st.total), 'bad', 'abandoned-rate'),
        kpi(t('ov.open'), String(d.open), t('ov.open.sub', d.conversations), '', 'open'),
        kpi(t('ov.ticketsAnswered'), `${d.ticketsAnswered} / ${d.tickets}`, Number.isFinite(d.medianAnswerMs) ? t('ov.ticketsAnswered.sub', duration(d.medianAnswerMs)) : '', '', 'tickets-answered')),
      h('section.card#outcomes-chart', { dataset: { total: String(st.total), bot: String(st.resolvedByBot), person: String(st.resolvedByPerson), abandoned: String(st.abandoned) } },
        h('div.card-head', h('h2', t('ov.chart')), h('span.muted.small', t('ov.note'))),
        stackedBars(d.days, SERIES, labels, fmtDay)),
      h('div.grid2',
        h('section.card#open-tickets',
          h('div.card-head', h('h2', t('ov.openTickets')), h('a.pill', { href: '#/tickets' }, String(d.openTickets))),
          d.openTickets ? hbars(d.openByAge) : h('p.muted', t('ov.noOpen'))),
        h('section.card#failures',
          h('div.card-head', h('h2', t('ov.failures')), d.attention.length ? h('span.pill.bad', String(d.attention.length)) : null),
          d.attention.length
            ? h('table.table', h('tbody', d.attention.slice(0, 8).map(({ contact, message: m }) => {
              const status = m.deliveryStatus.replace('DELIVERY_STATUS_', '').toLowerCase();
              return h('tr', { dataset: { status } },
                h('td', h('a', { href: `#/conversations/${m.conversationId}` }, contact?.address)),
                h('td.muted', { title: fmtDate(m.createdAt) }, ago(m.createdAt)),
                h('td', h(`span.badge.${status === 'waiting_for_window' ? 'warn' : 'bad'}`, t(`delivery.${status}`)), ' ',
                  h('span.small', status === 'waiting_for_window' ? t('ov.waitingWindow') : m.failureReason || '')));
            })))
            : h('p.muted', t('ov.noFailures')))));
  }
  await load();
}

function kpi(label, value, sub, tone, id) {
  return h(`div.kpi${tone ? '.' + tone : ''}`, { id: `kpi-${id}` }, h('div.kpi-label', label), h('div.kpi-value', value), h('div.kpi-sub', sub));
}
