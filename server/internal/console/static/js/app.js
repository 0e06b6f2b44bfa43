// The console shell: sign-in, navigation and the hash router. Pages live
// in pages/*.js and render into the main area.
import { api, auth, APIError } from './api.js';
import { h, mount, toast } from './ui.js';
import { t } from './i18n.js';
import * as overview from './pages/overview.js';
import * as conversations from './pages/conversations.js';
import * as tickets from './pages/tickets.js';
import * as knowledge from './pages/knowledge.js';
import * as gaps from './pages/gaps.js';

const PAGES = { overview, conversations, tickets, knowledge, gaps };
const keysRequired = document.body.dataset.keysRequired === 'true';
const company = document.body.dataset.company || '';
const app = document.getElementById('app');
let cleanup = null;

auth.onUnauthorized = () => {
  auth.key = '';
  signIn(t('signin.invalid'));
};

function signIn(message = '') {
  stopPage();
  const input = h('input#key', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const err = h('p.form-error', { role: 'alert' }, message);
  const form = h('form.signin-card', {
    // Never submitted: the key must not end up in a URL.
    onsubmit: async (e) => {
      e.preventDefault();
      auth.key = input.value.trim();
      try {
        await api.check();
        shell();
      } catch (ex) {
        auth.key = '';
        err.textContent = ex instanceof APIError && ex.status === 403 ? t('signin.forbidden') : ex instanceof APIError && ex.status === 401 ? t('signin.invalid') : t('common.error', ex.message);
      }
    },
  },
  h('div.brand.big', h('span.logo', 'R'), h('span', 'Relevo')),
  h('h1', t('signin.title')),
  h('p.muted', t('signin.lead')),
  h('label', { for: 'key' }, t('signin.key')),
  input, err,
  h('button.btn.primary.wide#signin-submit', { type: 'submit' }, t('signin.submit')));
  mount(app, h('div.signin', form));
  input.focus();
}

function nav() {
  return h('nav.sidebar',
    h('div.brand', h('span.logo', 'R'), h('span', 'Relevo'), company && h('span.company', company)),
    h('ul', Object.keys(PAGES).map((p) => h('li', h('a.nav-link', { href: `#/${p}`, dataset: { page: p } }, t(`nav.${p}`))))),
    h('div.sidebar-foot',
      keysRequired
        ? h('button.btn.ghost.small#signout', { type: 'button', onclick: () => { auth.key = ''; signIn(); } }, t('signout'))
        : h('span.badge.warn', t('open.loopback'))));
}

function shell() {
  mount(app, h('div.layout', nav(), h('main#main')));
  route();
}

function stopPage() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
}

async function route() {
  const main = document.getElementById('main');
  if (!main) return;
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = 'overview', ...rest] = path.split('/');
  const id = rest.join('/');
  const params = new URLSearchParams(query);
  const page = PAGES[name] ? name : 'overview';
  for (const a of document.querySelectorAll('.nav-link')) a.classList.toggle('active', a.dataset.page === page);
  stopPage();
  document.getElementById('toasts')?.replaceChildren();
  mount(main, h('div.loading', t('common.loading')));
  try {
    cleanup = await PAGES[page].render(main, { id: decodeURIComponent(id || ''), params });
  } catch (ex) {
    mount(main, h('div.error-box', t('common.error', ex.message)));
    if (!(ex instanceof APIError)) console.error(ex);
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof APIError && e.reason.status !== 401) toast(t('common.error', e.reason.message), 'error');
});

if (keysRequired && !auth.key) signIn();
else shell();
