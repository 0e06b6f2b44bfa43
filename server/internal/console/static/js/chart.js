// Inline SVG charts, drawn from data; colours come from the stylesheet.
import { svg, h } from './ui.js';

/**
 * stackedBars draws one bar per day, stacked by series.
 * days: [{date, counts: {series: n}}]; labels: series → text.
 */
export function stackedBars(days, series, labels, fmtDay) {
  const W = 760, H = 240, left = 36, right = 8, top = 12, bottom = 28;
  const max = Math.max(1, ...days.map((d) => series.reduce((n, s) => n + (d.counts[s] || 0), 0)));
  const step = niceStep(max);
  const ymax = Math.ceil(max / step) * step;
  const plotW = W - left - right, plotH = H - top - bottom;
  const bw = plotW / days.length;
  const y = (v) => top + plotH - (v / ymax) * plotH;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'chart', 'data-total': String(days.reduce((n, d) => n + series.reduce((m, s) => m + (d.counts[s] || 0), 0), 0)) });
  for (let v = 0; v <= ymax; v += step) {
    root.append(svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  const every = Math.ceil(days.length / 10);
  days.forEach((d, i) => {
    const x = left + i * bw;
    let acc = 0;
    for (const s of series) {
      const n = d.counts[s] || 0;
      if (!n) continue;
      const r = svg('rect', {
        x: x + bw * 0.15, width: Math.max(1, bw * 0.7), y: y(acc + n), height: Math.max(0.5, y(acc) - y(acc + n)),
        class: `bar s-${s}`, 'data-series': s, 'data-count': n,
      }, svg('title', {}, `${fmtDay(d.date)} · ${labels[s]}: ${n}`));
      root.append(r);
      acc += n;
    }
    if (i % every === 0 || i === days.length - 1) {
      root.append(svg('text', { x: x + bw / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, fmtDay(d.date)));
    }
  });
  const legend = h('div.legend', series.map((s) => h('span.legend-item', h(`i.swatch.s-${s}`), labels[s])));
  return h('div.chart-wrap', root, legend);
}

function niceStep(max) {
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return Math.max(1, m * pow);
  return Math.max(1, 10 * pow);
}

/** hbars draws labelled horizontal bars: [{key, count}]. */
export function hbars(rows) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return h('div.hbars', rows.map((r) => h('div.hbar',
    h('span.hbar-label', r.key),
    h('span.hbar-track', meter(r.count / max)),
    h('span.hbar-value', String(r.count)))));
}

/** meter is a bar filled to frac (0..1), optionally with a marker. */
export function meter(frac, { marker, cls = '' } = {}) {
  const W = 100;
  const root = svg('svg', { viewBox: `0 0 ${W} 8`, preserveAspectRatio: 'none', class: `meter ${cls}` },
    svg('rect', { x: 0, y: 0, width: W, height: 8, rx: 4, class: 'meter-bg' }),
    svg('rect', { x: 0, y: 0, width: Math.max(0, Math.min(1, frac)) * W, height: 8, rx: 4, class: 'meter-fg' }));
  if (marker !== undefined) root.append(svg('rect', { x: Math.min(W - 1, marker * W), y: -2, width: 1.2, height: 12, class: 'meter-mark' }));
  return root;
}
