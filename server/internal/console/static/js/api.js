// The console's only way to the server: the public REST API under /v1,
// with the admin key from sessionStorage in the Authorization header. The
// key is never put in a URL and never logged.

const KEY = 'relevo.console.key';

export class APIError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export const auth = {
  get key() {
    return sessionStorage.getItem(KEY) || '';
  },
  set key(v) {
    if (v) sessionStorage.setItem(KEY, v);
    else sessionStorage.removeItem(KEY);
  },
  /** onUnauthorized is called when the server refuses the key. */
  onUnauthorized: () => {},
};

function headers(extra = {}) {
  const hd = { Accept: 'application/json', ...extra };
  if (auth.key) hd.Authorization = `Bearer ${auth.key}`;
  return hd;
}

function qs(params = {}) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else if (v !== undefined && v !== null && v !== '') u.set(k, v);
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

async function call(method, path, { query, body, quiet401 = false } = {}) {
  const res = await fetch(`/v1/${path}${qs(query)}`, {
    method,
    headers: headers(body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'omit',
    cache: 'no-store',
  });
  let data = {};
  try {
    data = await res.json();
  } catch {
    /* empty body */
  }
  if (!res.ok) {
    if (res.status === 401 && !quiet401) auth.onUnauthorized();
    throw new APIError(res.status, data.code, data.message);
  }
  return data;
}

/** pages follows next page tokens while more() says so. */
async function pages(path, query, field, more = () => true, max = 20) {
  const out = [];
  let token = '';
  for (let i = 0; i < max; i++) {
    const r = await call('GET', path, { query: { ...query, pageToken: token } });
    const list = r[field] || [];
    out.push(...list);
    token = r.nextPageToken;
    if (!token || !list.length || !more(list[list.length - 1])) break;
  }
  return out;
}

export const api = {
  /** check verifies the key on an admin route. */
  check: () => call('GET', 'documents', { query: { pageSize: 1 }, quiet401: true }),

  conversations: (q = {}) => call('GET', 'conversations', { query: q }),
  allConversations: (q, more, max) => pages('conversations', q, 'conversations', more, max),
  conversation: (id, messageLimit = 200) => call('GET', `conversations/${encodeURIComponent(id)}`, { query: { messageLimit } }),
  run: (id) => call('GET', `runs/${encodeURIComponent(id)}`),
  pause: (id, duration) => call('POST', `conversations/${encodeURIComponent(id)}:pause`, { body: duration ? { duration } : {} }),
  resume: (id) => call('POST', `conversations/${encodeURIComponent(id)}:resume`, { body: {} }),
  erase: (contact) => call('POST', 'contacts:erase', { body: { contact } }),
  resolutions: (q = {}) => call('GET', 'resolutions', { query: q }),
  allResolutions: (q, more, max) => pages('resolutions', q, 'resolutions', more, max),
  resolutionStats: (q = {}) => call('GET', 'resolutions:stats', { query: q }),
  allDeliveries: (q, more, max) => pages('deliveries', q, 'deliveries', more, max),

  tickets: (q = {}) => call('GET', 'tickets', { query: q }),
  allTickets: (q, more, max) => pages('tickets', q, 'tickets', more, max),
  ticket: (id) => call('GET', `tickets/${encodeURIComponent(id)}`),
  answer: (id, body) => call('POST', `tickets/${encodeURIComponent(id)}:answer`, { body }),
  preview: (id, body) => call('POST', `tickets/${encodeURIComponent(id)}:preview`, { body }),
  close: (id, reason) => call('POST', `tickets/${encodeURIComponent(id)}:close`, { body: { reason } }),

  documents: () => pages('documents', { pageSize: 1000 }, 'documents'),
  deleteDocument: (id) => call('DELETE', `documents/${encodeURIComponent(id)}`),
  search: (query, limit = 8) => call('POST', 'knowledge:search', { body: { query, limit, decide: true } }),
  entries: (q = {}) => pages('entries', { pageSize: 500, ...q }, 'entries', () => true, 4),
  updateEntry: (id, body) => call('PATCH', `entries/${encodeURIComponent(id)}`, { body }),
  deleteEntry: (id) => call('DELETE', `entries/${encodeURIComponent(id)}`),
  approveEntry: (id, body = {}) => call('POST', `entries/${encodeURIComponent(id)}:approve`, { body }),
  rejectEntry: (id) => call('POST', `entries/${encodeURIComponent(id)}:reject`, { body: {} }),
  gaps: (q = {}) => call('GET', 'content-gaps', { query: q }),

  /**
   * upload sends a file as UploadDocument, reporting progress (0..1).
   * XMLHttpRequest, because fetch reports no upload progress.
   */
  upload(file, onProgress) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onerror = () => reject(reader.error);
      reader.onload = () => {
        const b64 = String(reader.result).split(',', 2)[1] || '';
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/v1/documents');
        for (const [k, v] of Object.entries(headers({ 'Content-Type': 'application/json' }))) xhr.setRequestHeader(k, v);
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
        xhr.onerror = () => reject(new APIError(0, 'NETWORK', 'network error'));
        xhr.onload = () => {
          let data = {};
          try {
            data = JSON.parse(xhr.responseText);
          } catch {
            /* empty */
          }
          if (xhr.status >= 200 && xhr.status < 300) resolve(data);
          else {
            if (xhr.status === 401) auth.onUnauthorized();
            reject(new APIError(xhr.status, data.code, data.message));
          }
        };
        xhr.send(JSON.stringify({ filename: file.name, mediaType: file.type || '', content: b64 }));
      };
      reader.readAsDataURL(file);
    });
  },
};
