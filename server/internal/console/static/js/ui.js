// Small DOM helpers: every text goes in through textContent, never HTML.

/** h builds an element: h('div.card#id', {onclick}, child, 'text', [more]). */
export function h(tag, attrs, ...children) {
  const [, name = 'div', rest = ''] = tag.match(/^([a-z0-9-]*)(.*)$/i);
  const el = document.createElement(name || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && k !== 'list' && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** svg builds an SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

/** mount replaces the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function pct(x) {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—';
}

export function score(x) {
  return (x ?? 0).toFixed(2);
}

/** confirmDialog shows a modal and resolves true when confirmed. */
export function confirmDialog({ title, body, confirm, cancel, danger = false }) {
  return new Promise((resolve) => {
    const dlg = h('dialog.modal',
      h('h2', title),
      h('div.modal-body', body),
      h('div.actions',
        h('button.btn', { type: 'button', onclick: () => close(false) }, cancel),
        h(`button.btn.${danger ? 'danger' : 'primary'}`, { type: 'button', 'data-confirm': '', onclick: () => close(true) }, confirm)));
    function close(v) {
      dlg.close();
      dlg.remove();
      resolve(v);
    }
    dlg.addEventListener('cancel', () => close(false));
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** toast shows a short message in the corner. */
export function toast(text, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) document.body.append((box = h('div#toasts')));
  const t = h(`div.toast.${kind}`, { role: 'status' }, text);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/** debounce delays fn until calls stop for ms. */
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
