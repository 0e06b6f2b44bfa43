import { api } from '../api.js';
import { h, mount, pct } from '../ui.js';
import { t, tn, ago, fmtDate } from '../i18n.js';

let period = 30;

export async function render(root) {
  const body = h('div');
  const select = h('select#gap-period', { onchange: () => { period = Number(select.value); load(); } },
    [7, 30, 90, 365].map((d) => h('option', { value: d, selected: d === period }, t('common.days', d))));
  mount(root, h('header.page-head', h('div', h('h1', t('gaps.title')), h('p.muted.lead', t('gaps.lead'))), h('div.tools', select)), body);

  async function load() {
    mount(body, h('div.loading', t('common.loading')));
    const since = new Date(Date.now() - period * 864e5).toISOString();
    const r = await api.gaps({ since, limit: 100 });
    const gaps = r.gaps || [];
    const max = Math.max(1, ...gaps.map((g) => g.count));
    mount(body,
      h('p.muted.small', t('gaps.read', r.questions || 0, pct(r.lowConfidenceBelow))),
      gaps.length ? h('ol.gap-list#gap-list', gaps.map((g, i) => h('li.gap.card', { dataset: { count: g.count } },
        h('div.gap-rank', String(i + 1)),
        h('div.gap-main',
          h('div.gap-q', g.question),
          h('div.gap-bar', h('span.gap-fill', { dataset: { w: g.count / max } })),
          h('div.gap-meta',
            h('span.strong', tn('gaps.count', g.count)),
            g.handedOff ? h('span.badge.warn', tn('gaps.handedOff', g.handedOff)) : null,
            g.lowConfidence ? h('span.badge', tn('gaps.low', g.lowConfidence)) : null,
            h('span.muted.small', { title: fmtDate(g.lastAskedAt) }, t('gaps.last', ago(g.lastAskedAt)))),
          g.examples?.length > 1 ? h('ul.examples', g.examples.slice(1).map((x) => h('li', x))) : null),
        h('a.btn.small.open-gap', { href: `#/conversations?ids=${(g.conversationIds || []).join(',')}` }, t('gaps.open')))))
        : h('div.card', h('p.muted.center', t('gaps.empty'))));
    // Widths through the CSSOM: the page's policy allows no inline style.
    for (const el of body.querySelectorAll('.gap-fill')) el.style.width = `${Math.round(el.dataset.w * 100)}%`;
  }
  await load();
}
