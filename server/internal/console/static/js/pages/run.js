// The run of one bot turn: agents, passages, the decision and its reason.
import { h, score, pct } from '../ui.js';
import { t } from '../i18n.js';
import { meter } from '../chart.js';

export function runPanel(run) {
  const steps = run.steps || [];
  const search = steps.find((s) => s.kind === 'search');
  const decisions = steps.filter((s) => s.kind === 'decision');
  const decision = decisions.findLast((s) => s.decision) || decisions.at(-1);
  const d = decision?.decision;
  const ms = parseFloat(run.duration) * 1000;
  return h('div.run-panel', { dataset: { run: run.id } },
    h('div.run-row', h('span.run-label', t('run.agents')),
      h('span.agents', (run.agents || []).flatMap((a, i) => [i ? h('span.arrow', '→') : null, h('span.chip', a)]))),
    h('div.run-row', h('span.run-label', t('run.reason')), h('span', run.reason || t('run.none'))),
    search?.passages?.length ? h('div.run-block.passages',
      h('div.run-label', t('run.passages'), search.detail ? h('span.muted', ` · “${search.detail}”`) : null),
      h('ol.passage-list', search.passages.map((p) => h('li.passage',
        h('div.passage-head', h('span.score', score(p.score)), meter(p.score), h('span.source', p.source, p.page ? ` · p. ${p.page}` : '')),
        h('div.snippet', p.snippet))))) : null,
    d ? decisionView(d) : decision ? h('div.run-block.decision', h('div.run-label', t('run.decision')), h('div.detail', decision.detail)) : null,
    h('div.run-row.muted.small',
      h('span', `${t('run.tokens')}: `, t('run.tokensValue', run.promptTokens || 0, run.completionTokens || 0)),
      Number.isFinite(ms) ? h('span', ` · ${t('run.duration')}: ${ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s'}`) : null,
      run.ticketId ? h('span', ` · ${t('run.ticket')}: `, h('a', { href: `#/tickets/${run.ticketId}` }, run.ticketId)) : null));
}

/** decisionView shows an AnswerDecision: kind asked, terms, confidence. */
export function decisionView(d) {
  const answers = d.answer;
  return h('div.run-block.decision', { dataset: { answer: String(!!answers) } },
    h('div.decision-head',
      h('span.run-label', t('run.decision')),
      h(`span.badge.${answers ? 'good' : 'warn'}`, answers ? t('run.answers') : t('run.handsOff')),
      h('span.muted', reasonText(d))),
    h('div.decision-grid',
      h('div', h('div.run-label', t('run.asked')),
        h('div', h('span.chip.kind', { dataset: { kind: d.askedKind || 'general' } }, t(`kind.${d.askedKind || 'general'}`)), ' ',
          h(`span.${d.kindHeld ? 'good' : 'bad'}`, d.kindHeld ? `✓ ${t('run.held')}` : `✗ ${t('run.notHeld')}`))),
      h('div', h('div.run-label', t('run.confidence')),
        h('div.conf', h('span.score.big', pct(d.confidence)), meter(d.confidence, { marker: d.threshold, cls: d.confidence >= d.threshold ? 'ok' : 'low' }),
          h('span.muted.small', t('run.threshold', pct(d.threshold)), ' · ', t('run.retrieval', score(d.retrievalConfidence))))),
      h('div', h('div.run-label', t('run.covered')), h('div.terms', (d.coveredTerms || []).length ? d.coveredTerms.map((w) => h('span.chip.covered', w)) : t('run.none'))),
      h('div', h('div.run-label', t('run.missing')), h('div.terms', (d.missingTerms || []).length ? d.missingTerms.map((w) => h('span.chip.missing', w)) : t('run.none')))),
    d.source ? h('div.muted.small', t('kb.source', d.source)) : null);
}

/** reasonText words the decision's reason in the console's language. */
function reasonText(d) {
  if (d.answer) return t('reason.answers');
  if (!d.kindHeld) return t('reason.kindMissing', t(`kind.${d.askedKind || 'general'}`));
  if (d.confidence < d.threshold) return t('reason.low');
  return d.reason;
}
