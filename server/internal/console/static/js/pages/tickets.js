import { api, APIError } from '../api.js';
import { h, mount, toast, debounce, confirmDialog } from '../ui.js';
import { t, ago, fmtDate } from '../i18n.js';

const TABS = ['open', 'answered', 'closed'];
let tab = 'open';

export async function render(root, { id }) {
  const listBody = h('tbody');
  const detail = h('section.card.ticket-card#ticket');
  const tabs = h('div.tabs', TABS.map((s) => h('button.tab', {
    type: 'button', class: s === tab ? 'active' : '', dataset: { tab: s },
    onclick: () => { tab = s; for (const b of tabs.children) b.classList.toggle('active', b.dataset.tab === s); load(); },
  }, t(`tk.${s}`))));
  mount(root, h('header.page-head', h('h1', t('tk.title')), tabs),
    h('div.split',
      h('section.card.list-card', h('table.table.clickable#ticket-list',
        h('thead', h('tr', h('th', 'ID'), h('th', t('tk.question')), h('th', t('tk.age')))), listBody)),
      detail));

  async function load() {
    const list = (await api.tickets({ status: `TICKET_STATUS_${tab.toUpperCase()}`, pageSize: 200 })).tickets || [];
    mount(listBody, list.length ? list.map((tk) => h('tr', {
      class: tk.id === id ? 'selected' : '', dataset: { id: tk.id },
      onclick: () => { location.hash = `#/tickets/${tk.id}`; },
    },
    h('td.mono', tk.id),
    h('td', h('div.clamp', tk.question), h('div.muted.small', tk.contact?.displayName || tk.contact?.address, tk.personal ? h('span.badge.small', ' ', t('tk.personal')) : null)),
    h('td.muted', { title: fmtDate(tk.createdAt) }, ago(tk.createdAt))))
      : h('tr', h('td.muted', { colspan: 3 }, t('common.empty'))));
  }

  if (id) {
    const tk = (await api.ticket(id)).ticket;
    tab = tk.status.replace('TICKET_STATUS_', '').toLowerCase();
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.tab === tab);
    ticketView(detail, tk, load);
  } else {
    mount(detail, h('p.muted.center', t('tk.select')));
  }
  await load();
}

function ticketView(root, tk, reload) {
  const open = tk.status === 'TICKET_STATUS_OPEN';
  const status = tk.status.replace('TICKET_STATUS_', '').toLowerCase();
  const parts = [
    h('div.transcript-head',
      h('div', h('h2.mono', tk.id), h('div.muted.small', tk.contact?.displayName || '', ' · ', tk.contact?.channel, ' · ', tk.contact?.address, ' · ', ago(tk.createdAt))),
      h('div.tools', h(`span.badge.t-${status}`, t(`tk.is.${status}`)), h('a.btn.small', { href: `#/conversations/${tk.conversationId}` }, t('tk.conversation')))),
    h('div.field', h('div.run-label', t('tk.question')), h('blockquote.question', tk.question)),
  ];
  if (tk.handoffReason) parts.push(h('div.field', h('div.run-label', t('tk.handoff')), h('div.muted', tk.handoffReason)));
  if (tk.context?.length) {
    parts.push(h('div.field', h('div.run-label', t('tk.context')),
      h('div.messages.compact', tk.context.map((m) => h(`div.msg.${m.author.replace('AUTHOR_', '').toLowerCase()}`, h('div.msg-text', m.text))))));
  }
  if (tk.followUps?.length) {
    parts.push(h('div.field', h('div.run-label', t('tk.followUps')),
      h('ul.plain', tk.followUps.map((f) => h('li', f.text, h('span.muted.small', ' · ', ago(f.createdAt)))))));
  }
  if (!open) {
    if (tk.answer) parts.push(h('div.field', h('div.run-label', t('tk.answer')), h('blockquote.answer', tk.answer), h('div.muted.small', t('tk.answeredBy'), ': ', tk.answeredBy || '—', ' · ', fmtDate(tk.resolvedAt))));
    if (tk.closeReason) parts.push(h('div.field', h('div.run-label', t('tk.closeReason')), h('div', tk.closeReason)));
    if (tk.learnedEntryId) parts.push(h('div.field#learned', h('div.run-label', t('tk.learned')), h('a.mono', { href: `#/knowledge?entry=${tk.learnedEntryId}` }, tk.learnedEntryId)));
    if (tk.notLearnedReason) parts.push(h('div.field.muted', t('tk.notLearned', tk.notLearnedReason)));
    mount(root, parts);
    return;
  }

  const answer = h('textarea#answer', { rows: 5, placeholder: t('tk.answer') });
  const by = h('input#answered-by', { type: 'text', placeholder: t('tk.answeredBy'), autocomplete: 'name' });
  const learn = h('select#learn',
    h('option', { value: 'LEARN_DECISION_UNSPECIFIED' }, t('tk.learn.policy')),
    h('option', { value: 'LEARN_DECISION_LEARN' }, t('tk.learn.learn')),
    h('option', { value: 'LEARN_DECISION_DO_NOT_LEARN' }, t('tk.learn.no')));
  const preview = h('div.preview#preview', h('p.muted', t('tk.preview.hint')));
  const body = () => ({ answer: answer.value, answeredBy: by.value, learn: learn.value });
  const update = debounce(async () => {
    if (!answer.value.trim()) return mount(preview, h('p.muted', t('tk.preview.hint')));
    try {
      const p = await api.preview(tk.id, body());
      mount(preview, p.learned
        ? [h(`span.badge.${p.pendingReview ? 'warn' : 'good'}`, p.pendingReview ? t('tk.preview.pending') : t('tk.preview.live')),
          h('dl.learned', h('dt', t('kb.question')), h('dd', p.question), h('dt', t('kb.answer')), h('dd', p.answer))]
        : h('p.muted', t('tk.preview.none', p.notLearnedReason)));
    } catch (ex) {
      mount(preview, h('p.bad', ex.message));
    }
  }, 300);
  for (const el of [answer, by, learn]) el.addEventListener('input', update);

  parts.push(h('form.answer-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!answer.value.trim()) return answer.focus();
      const r = await api.answer(tk.id, body());
      toast(t('tk.sent'));
      ticketView(root, r.ticket, reload);
      reload();
    },
  },
  h('div.field', h('label.run-label', { for: 'answer' }, t('tk.answer')), answer),
  h('div.row', by, learn),
  h('div.field', h('div.run-label', t('tk.preview')), preview),
  h('div.actions',
    h('button.btn.ghost#close-ticket', { type: 'button', onclick: () => closeTicket(tk, root, reload) }, t('tk.close')),
    h('button.btn.primary#send-answer', { type: 'submit' }, t('tk.send')))));
  mount(root, parts);
}

async function closeTicket(tk, root, reload) {
  const reason = h('input', { type: 'text', placeholder: t('tk.closeReason') });
  const ok = await confirmDialog({ title: `${t('tk.close')} · ${tk.id}`, body: reason, confirm: t('tk.close'), cancel: t('common.cancel') });
  if (!ok) return;
  try {
    const r = await api.close(tk.id, reason.value);
    toast(t('tk.closedOk'));
    ticketView(root, r.ticket, reload);
    reload();
  } catch (ex) {
    if (ex instanceof APIError) toast(ex.message, 'error');
  }
}
