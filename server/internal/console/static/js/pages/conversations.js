import { api } from '../api.js';
import { h, mount, toast, confirmDialog } from '../ui.js';
import { t, ago, fmtDate } from '../i18n.js';
import { runPanel } from './run.js';

const POLL_MS = 3000;
const OWNERS = ['bot', 'waiting_for_human', 'human', 'resolved'];
const OUTCOMES = ['resolved_by_bot', 'resolved_by_person', 'abandoned'];
const filters = { channel: '', owner: '', outcome: '' };

const ownerOf = (o) => String(o || '').replace('OWNER_', '').toLowerCase();
const outcomeOf = (o) => String(o || '').replace('CONVERSATION_OUTCOME_', '').toLowerCase();
const contactName = (c) => c?.displayName || c?.address || '—';

export async function render(root, { id, params }) {
  const only = (params.get('ids') || '').split(',').filter(Boolean);
  const listHead = h('thead');
  const listBody = h('tbody');
  const channelSel = h('select#filter-channel', { onchange: () => { filters.channel = channelSel.value; refreshList(); } },
    h('option', { value: '' }, `${t('conv.channel')}: ${t('common.all')}`));
  const ownerSel = h('select#filter-owner', { onchange: () => { filters.owner = ownerSel.value; refreshList(); } },
    h('option', { value: '' }, `${t('conv.owner')}: ${t('common.all')}`),
    OWNERS.map((s) => h('option', { value: s, selected: filters.owner === s }, t(`owner.${s}`))));
  const outcomeSel = h('select#filter-outcome', { onchange: () => { filters.outcome = outcomeSel.value; refreshList(); } },
    h('option', { value: '' }, `${t('conv.outcome')}: ${t('common.all')}`),
    OUTCOMES.map((s) => h('option', { value: s, selected: filters.outcome === s }, t(`series.${s}`))));
  const detail = h('section.card.transcript-card#transcript');
  const channels = new Set(filters.channel ? [filters.channel] : []);
  const note = h('div');

  mount(root,
    h('header.page-head', h('h1', t('conv.title')),
      h('div.tools', h('span.live-dot', t('common.live')), channelSel, ownerSel, outcomeSel)),
    only.length ? h('div.notice', t('conv.filtered', only.length), ' ', h('a', { href: '#/conversations' }, t('conv.clear'))) : null,
    note,
    h('div.split',
      h('section.card.list-card', h('table.table.clickable#conversation-list', listHead, listBody)),
      detail));

  const link = (cid) => () => { location.hash = `#/conversations/${cid}${only.length ? `?ids=${only.join(',')}` : ''}`; };
  const learnChannel = (ch) => {
    if (ch && !channels.has(ch)) {
      channels.add(ch);
      channelSel.append(h('option', { value: ch, selected: filters.channel === ch }, ch));
    }
  };

  async function refreshList() {
    // An outcome lists the conversations that ended so (ListResolutions),
    // named from the conversation list.
    if (filters.outcome && !only.length) return refreshOutcomes();
    mount(note);
    let list;
    if (only.length) {
      const got = await Promise.all(only.map((cid) => api.conversation(cid, 1).then((r) => r.conversation).catch(() => null)));
      list = got.filter(Boolean);
    } else {
      const q = { pageSize: 100, channel: filters.channel };
      if (filters.owner) q.owner = `OWNER_${filters.owner.toUpperCase()}`;
      list = (await api.conversations(q)).conversations || [];
    }
    for (const c of list) learnChannel(c.contact?.channel);
    mount(listHead, h('tr', h('th', t('conv.contact')), h('th', t('conv.owner')), h('th', t('conv.last'))));
    mount(listBody, list.length ? list.map((c) => h('tr', { class: c.id === id ? 'selected' : '', dataset: { id: c.id, owner: ownerOf(c.owner) }, onclick: link(c.id) },
      h('td', h('div.strong', contactName(c.contact)), h('div.muted.small', c.contact?.channel, ' · ', c.contact?.address)),
      h('td', ownerBadge(c.owner)),
      h('td.muted', { title: fmtDate(c.lastActivityAt) }, ago(c.lastActivityAt), h('div.small', t('conv.messageCount', c.messageCount || 0)))))
      : h('tr', h('td.muted', { colspan: 3 }, t('common.empty'))));
  }

  async function refreshOutcomes() {
    const [res, convs] = await Promise.all([
      api.resolutions({ outcome: `CONVERSATION_OUTCOME_${filters.outcome.toUpperCase()}`, pageSize: 100 }),
      api.conversations({ pageSize: 500 }),
    ]);
    const byId = new Map((convs.conversations || []).map((c) => [c.id, c]));
    const list = (res.resolutions || []).filter((r) => !filters.channel || r.channel === filters.channel);
    for (const r of list) learnChannel(r.channel);
    mount(note, h('p.muted.small', t('conv.byOutcome')));
    mount(listHead, h('tr', h('th', t('conv.contact')), h('th', t('conv.outcome')), h('th', t('conv.resolvedAt'))));
    mount(listBody, list.length ? list.map((r) => {
      const c = byId.get(r.conversationId);
      return h('tr', { class: r.conversationId === id ? 'selected' : '', dataset: { id: r.conversationId, resolution: r.id, outcome: outcomeOf(r.outcome) }, onclick: link(r.conversationId) },
        h('td', h('div.strong', c ? contactName(c.contact) : r.conversationId), h('div.muted.small', r.channel, c ? ` · ${c.contact?.address}` : '')),
        h('td', outcomeBadge(r.outcome), h('div.muted.small', r.confirmation ? `«${r.confirmation}»` : r.reason)),
        h('td.muted', { title: fmtDate(r.resolvedAt) }, ago(r.resolvedAt)));
    }) : h('tr', h('td.muted', { colspan: 3 }, t('common.empty'))));
  }

  const transcript = id ? transcriptView(detail, id) : null;
  if (!id) mount(detail, h('p.muted.center', t('conv.select')));
  await Promise.all([refreshList(), transcript?.refresh()]);
  const timer = setInterval(() => {
    refreshList().catch(() => {});
    transcript?.refresh().catch(() => {});
  }, POLL_MS);
  return () => clearInterval(timer);
}

function ownerBadge(o) {
  const s = ownerOf(o);
  return h(`span.badge.owner-${s}`, t(`owner.${s}`));
}

function outcomeBadge(o) {
  const s = outcomeOf(o);
  return h(`span.badge.r-${s}`, t(`series.${s}`));
}

/** transitionList shows who or what changed the owner, and when. */
function transitionList(trs) {
  if (!trs.length) return null;
  return h('details.transitions-box#transitions', { open: true },
    h('summary.small.strong', t('conv.transitions'), ` (${trs.length})`),
    h('ol.transitions', trs.map((tr) => h('li', { dataset: { cause: tr.cause, to: ownerOf(tr.to) } },
      h('span.when', { title: fmtDate(tr.at) }, fmtDate(tr.at)),
      ownerBadge(tr.from), '→', ownerBadge(tr.to),
      h('span', t(`cause.${tr.cause}`)),
      tr.actor ? h('span.muted', '· ', tr.actor) : null,
      tr.reason ? h('span.muted.small', '· ', tr.reason) : null,
      tr.ticketId ? h('a.small', { href: `#/tickets/${tr.ticketId}` }, tr.ticketId) : null))));
}

/** transcriptView shows a conversation; each bot turn opens its run. */
function transcriptView(root, id) {
  let signature = '';
  const open = new Set();
  const runCache = new Map();

  async function refresh() {
    const r = await api.conversation(id, 300);
    const c = r.conversation;
    const msgs = r.messages || [];
    const runs = r.runs || [];
    const trs = r.transitions || [];
    const sig = [c.state, c.owner, c.pausedUntil, msgs.length, msgs.at(-1)?.id, msgs.map((m) => m.deliveryStatus).join(), runs.length, trs.length].join('|');
    if (sig === signature) return;
    signature = sig;

    // A run answers inbound messages; its replies are the bot messages
    // that follow the last of them.
    const runByInbound = new Map();
    for (const run of runs) for (const mid of run.messageIds || []) runByInbound.set(mid, run);
    const items = [];
    let pending = null;
    const flush = () => {
      if (pending) items.push(silentRun(pending));
      pending = null;
    };
    for (const m of msgs) {
      if (m.author === 'AUTHOR_USER') {
        flush();
        items.push(bubble(m));
        pending = runByInbound.get(m.id) || null;
        if (pending && (pending.messageIds || []).at(-1) !== m.id) pending = null;
      } else if (m.author === 'AUTHOR_BOT' && pending) {
        items.push(bubble(m, pending));
        pending = null;
      } else {
        items.push(bubble(m));
      }
    }
    flush();

    const paused = c.state === 'CONVERSATION_STATE_PAUSED';
    mount(root,
      h('div.transcript-head',
        h('div', h('h2', contactName(c.contact)), h('div.muted.small', c.contact?.channel, ' · ', c.contact?.address, ' · ',
          h('span#owner', ownerBadge(c.owner)), c.ownerSince ? h('span', ' ', ago(c.ownerSince)) : null,
          paused ? h('span.small', ' · ', t('conv.paused', fmtDate(c.pausedUntil))) : null)),
        h('div.tools',
          paused
            ? h('button.btn#resume', { type: 'button', onclick: () => act(() => api.resume(id), () => t('conv.resumed')) }, t('conv.resume'))
            : h('button.btn#pause', { type: 'button', onclick: () => act(() => api.pause(id), (r) => t('conv.paused', fmtDate(r.conversation?.pausedUntil))) }, t('conv.pause')),
          h('button.btn.danger-outline#erase', { type: 'button', onclick: () => erase(c) }, t('conv.erase')))),
      transitionList(trs),
      h('div.messages', items));
  }

  function bubble(m, run) {
    const who = m.author.replace('AUTHOR_', '').toLowerCase();
    const el = h(`div.msg.${who}`, { dataset: { id: m.id } },
      h('div.msg-text', m.text),
      h('div.msg-meta', m.authorName ? `${m.authorName} · ` : '', fmtDate(m.createdAt),
        delivery(m),
        m.failureReason ? h('span.bad', ' · ', m.failureReason) : null));
    if (!run) return el;
    const holder = h('div.run-holder');
    const toggle = h('button.run-toggle', { type: 'button', dataset: { run: run.id }, onclick: () => flip(run, holder) },
      h(`span.badge.o-${outcome(run)}`, t(`outcome.${outcome(run)}`)), ' ', t('conv.showRun'));
    el.append(toggle);
    if (open.has(run.id)) show(run, holder);
    return h('div.turn', el, holder);
  }

  function silentRun(run) {
    const holder = h('div.run-holder');
    const line = h('div.system-line', h('button.run-toggle', { type: 'button', dataset: { run: run.id }, onclick: () => flip(run, holder) },
      t('conv.silentRun', t(`outcome.${outcome(run)}`))));
    if (open.has(run.id)) show(run, holder);
    return h('div.turn', line, holder);
  }

  function flip(run, holder) {
    if (open.has(run.id)) {
      open.delete(run.id);
      holder.replaceChildren();
    } else {
      open.add(run.id);
      show(run, holder);
    }
  }

  async function show(run, holder) {
    if (!runCache.has(run.id)) runCache.set(run.id, api.run(run.id).then((r) => r.run));
    mount(holder, runPanel(await runCache.get(run.id)));
  }

  async function act(fn, msg) {
    toast(msg(await fn()));
    signature = '';
    await refresh();
  }

  async function erase(c) {
    const ok = await confirmDialog({
      title: t('conv.erase.title', contactName(c.contact)), body: t('conv.erase.body'),
      confirm: t('conv.erase'), cancel: t('common.cancel'), danger: true,
    });
    if (!ok) return;
    const r = await api.erase({ channel: c.contact.channel, address: c.contact.address });
    toast(t('conv.erased', r.messagesDeleted, r.ticketsDeleted));
    location.hash = '#/conversations';
  }

  return { refresh };
}

const outcome = (run) => String(run.outcome || '').replace('RUN_OUTCOME_', '').toLowerCase();

function delivery(m) {
  const st = String(m.deliveryStatus || '').replace('DELIVERY_STATUS_', '').toLowerCase();
  if (!st || st === 'unspecified') return null;
  return h(`span.delivery.${st}`, ' · ', t(`delivery.${st}`));
}
