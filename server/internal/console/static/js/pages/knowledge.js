import { api } from '../api.js';
import { h, mount, toast, confirmDialog, score } from '../ui.js';
import { t, ago, fmtDate, bytes } from '../i18n.js';
import { meter } from '../chart.js';
import { decisionView } from './run.js';

const ENTRY_TABS = [
  ['review', { status: 'ENTRY_STATUS_PENDING' }],
  ['learnedOnly', { learnedOnly: true }],
  ['live', { status: 'ENTRY_STATUS_LIVE' }],
  ['rejected', { status: 'ENTRY_STATUS_REJECTED' }],
];
let entryTab = 'review';
let lastQuery = '';

export async function render(root, { params }) {
  const focus = params.get('entry') || '';
  if (focus) entryTab = 'learnedOnly';
  const docs = h('section.card#documents');
  const play = h('section.card#playground');
  const entries = h('section.card#entries');
  mount(root, h('header.page-head', h('h1', t('kb.title'))), docs, play, entries);
  playground(play);
  await Promise.all([documents(docs), entryList(entries, focus)]);
}

async function documents(root) {
  const list = h('tbody');
  const progress = h('div.uploads');
  const picker = h('input#file-input', { type: 'file', multiple: true, hidden: true, onchange: () => uploadAll([...picker.files]) });
  const drop = h('div.dropzone#dropzone',
    h('div.drop-icon', '⇪'),
    h('div', t('kb.drop'), ' ', h('button.linklike', { type: 'button', onclick: () => picker.click() }, t('kb.pick'))),
    h('div.muted.small', t('kb.dropHint')), picker);
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    uploadAll([...e.dataTransfer.files]);
  });

  async function uploadAll(files) {
    for (const f of files) await uploadOne(f);
    picker.value = '';
    await load();
  }

  async function uploadOne(file) {
    const bar = h('progress', { max: 1, value: 0 });
    const row = h('div.upload', h('span.upload-name', file.name), bar, h('span.upload-state.muted', '0%'));
    progress.append(row);
    try {
      const r = await api.upload(file, (p) => { bar.value = p; row.lastChild.textContent = `${Math.round(p * 100)}%`; });
      bar.value = 1;
      row.classList.add('done');
      row.lastChild.textContent = '✓';
      toast(t(r.unchanged ? 'kb.unchanged' : r.replaced ? 'kb.replaced' : 'kb.uploaded', file.name));
      setTimeout(() => row.remove(), 4000);
    } catch (ex) {
      row.classList.add('failed');
      row.lastChild.textContent = ex.message;
    }
  }

  async function load() {
    const docs = await api.documents();
    mount(list, docs.length ? docs.map((d) => {
      const re = h('input', { type: 'file', hidden: true, onchange: () => {
        const f = re.files[0];
        if (f) uploadAll([new File([f], d.filename, { type: f.type })]);
      } });
      return h('tr', { dataset: { filename: d.filename } },
        h('td', h('span.strong', d.filename), d.filename.startsWith('sample/') ? h('span.badge.small', ' ', t('kb.demo')) : null, h('div.muted.small', d.mediaType)),
        h('td.num', String(d.chunkCount)),
        h('td.num', bytes(d.sizeBytes)),
        h('td.muted', { title: fmtDate(d.updatedAt) }, ago(d.updatedAt)),
        h('td.actions-cell',
          re,
          h('button.btn.small.ghost', { type: 'button', onclick: () => re.click() }, t('kb.reupload')),
          h('button.btn.small.danger-outline', { type: 'button', onclick: async () => {
            if (!(await confirmDialog({ title: t('kb.deleteDoc', d.filename), body: t('kb.deleteDoc.body'), confirm: t('common.delete'), cancel: t('common.cancel'), danger: true }))) return;
            await api.deleteDocument(d.id);
            toast(t('kb.deleted'));
            await load();
          } }, t('common.delete'))));
    }) : h('tr', h('td.muted', { colspan: 5 }, t('common.empty'))));
  }

  mount(root, h('div.card-head', h('h2', t('kb.docs'))), drop, progress,
    h('table.table#document-list', h('thead', h('tr', h('th', t('kb.file')), h('th.num', t('kb.chunks')), h('th.num', t('kb.size')), h('th', t('kb.updated')), h('th'))), list));
  await load();
}

function playground(root) {
  const input = h('input#ask', { type: 'search', placeholder: t('kb.ask'), value: lastQuery });
  const out = h('div.play-out');
  const form = h('form.play-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const q = input.value.trim();
      if (!q) return;
      lastQuery = q;
      mount(out, h('div.loading', t('common.loading')));
      const r = await api.search(q);
      const d = r.decision || {};
      mount(out,
        h(`div.verdict.${d.answer ? 'good' : 'warn'}#verdict`,
          h('div.verdict-title', d.answer ? t('kb.wouldAnswer') : t('kb.wouldHandoff')),
          d.answer ? h('div.reply', d.reply) : h('div.muted', d.reason)),
        d.detail ? decisionView(d.detail) : null,
        h('ol.results#results', (r.results || []).map((x) => h('li.result',
          h('div.passage-head',
            h('span.score', score(x.score)), meter(x.score, { marker: r.answerThreshold }),
            h('span.source', x.source, x.page ? ` · p. ${x.page}` : '', x.heading ? ` · ${x.heading}` : ''),
            h('span.muted.small', `${t('kb.lexical')} ${score(x.lexicalScore)} · ${t('kb.vector')} ${score(x.vectorScore)}`)),
          x.question ? h('div.strong', x.question) : null,
          h('div.snippet', x.text)))));
    },
  }, input, h('button.btn.primary#ask-submit', { type: 'submit' }, t('kb.search')));
  mount(root, h('div.card-head', h('h2', t('kb.playground'))), form, out);
  if (lastQuery) form.requestSubmit();
}

async function entryList(root, focus) {
  const body = h('div.entry-list');
  const tabs = h('div.tabs', ENTRY_TABS.map(([k]) => h('button.tab', {
    type: 'button', dataset: { tab: k }, class: k === entryTab ? 'active' : '',
    onclick: () => { entryTab = k; load(); },
  }, t(`kb.${k}`), h('span.count', ''))));

  async function load() {
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.tab === entryTab);
    const pending = await api.entries({ status: 'ENTRY_STATUS_PENDING' });
    tabs.querySelector('[data-tab=review] .count').textContent = pending.length ? ` ${pending.length}` : '';
    const list = entryTab === 'review' ? pending : await api.entries(Object.fromEntries(ENTRY_TABS)[entryTab]);
    mount(body, list.length ? list.map((e) => entryCard(e, load, e.id === focus))
      : h('p.muted', entryTab === 'review' ? t('kb.reviewEmpty') : t('common.empty')));
    body.querySelector('.focus')?.scrollIntoView({ block: 'center' });
  }

  mount(root, h('div.card-head', h('h2', t('kb.entries')), tabs), body);
  await load();
}

function entryCard(e, reload, focused) {
  const status = String(e.status || '').replace('ENTRY_STATUS_', '').toLowerCase();
  const card = h('article.entry', { class: focused ? 'focus' : '', dataset: { id: e.id, status } });
  const view = () => mount(card,
    h('div.entry-head',
      h(`span.badge.e-${status}`, t(`kb.${status === 'pending' ? 'review' : status}`)),
      h('span.muted.small', e.learned
        ? t('kb.provenance', e.ticketId || '—', e.answeredBy || '—', fmtDate(e.learnedAt || e.createdAt))
        : t('kb.source', e.source)),
      h('span.spacer'),
      status === 'pending' ? [
        h('button.btn.small.primary.approve', { type: 'button', onclick: async () => { await api.approveEntry(e.id); toast(t('kb.approved')); reload(); } }, t('kb.approve')),
        h('button.btn.small.ghost.reject', { type: 'button', onclick: async () => { await api.rejectEntry(e.id); toast(t('kb.rejectedOk')); reload(); } }, t('kb.reject')),
      ] : null,
      h('button.btn.small.ghost', { type: 'button', onclick: edit }, t('common.edit')),
      h('button.btn.small.danger-outline', { type: 'button', onclick: async () => {
        if (!(await confirmDialog({ title: t('kb.deleteEntry'), body: e.question, confirm: t('common.delete'), cancel: t('common.cancel'), danger: true }))) return;
        await api.deleteEntry(e.id);
        toast(t('kb.deleted'));
        reload();
      } }, t('common.delete'))),
    h('div.entry-q', e.question),
    h('div.entry-a', e.answer));
  function edit() {
    const q = h('textarea', { rows: 2 }, e.question);
    const a = h('textarea', { rows: 4 }, e.answer);
    mount(card, h('form.entry-edit', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        const r = await api.updateEntry(e.id, { question: q.value, answer: a.value });
        Object.assign(e, r.entry);
        toast(t('kb.saved'));
        view();
      },
    }, h('label.run-label', t('kb.question')), q, h('label.run-label', t('kb.answer')), a,
    h('div.actions', h('button.btn.ghost', { type: 'button', onclick: view }, t('common.cancel')), h('button.btn.primary', { type: 'submit' }, t('common.save')))));
  }
  view();
  return card;
}
