// Relevo web chat widget. Embed with one tag:
//   <script src="https://chat.example.com/widget.js" async
//           data-company="ACME" data-color="#1f6feb" data-language="es"></script>
// Optional: data-text-color, data-welcome, data-open="true", and for a
// signed-in user data-user-id with data-user-hash (HMAC-SHA256 of the user
// id with the identity secret, computed by the company's backend).
// It talks only to the adapter that served it: no fonts, images or scripts
// from anywhere else.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__relevoWebchat) return;
  window.__relevoWebchat = true;
  var base = new URL(script.src).origin;
  var ds = script.dataset;

  var TEXT = {
    es: { title: "Chat", placeholder: "Escribe tu mensaje…", send: "Enviar", welcome: "¡Hola! ¿En qué te podemos ayudar?",
      refused: "El chat no está disponible en este sitio.", offline: "Reconectando…", slow: "Vas muy rápido; espera un momento.",
      tooLong: "El mensaje es demasiado largo.", failed: "No se pudo enviar. Inténtalo de nuevo.", open: "Abrir el chat", close: "Cerrar" },
    en: { title: "Chat", placeholder: "Type your message…", send: "Send", welcome: "Hi! How can we help?",
      refused: "The chat is not available on this site.", offline: "Reconnecting…", slow: "Too fast; wait a moment.",
      tooLong: "The message is too long.", failed: "Could not send. Please try again.", open: "Open the chat", close: "Close" }
  };

  var cfg = { company: "", language: "es", color: "#1f6feb", text_color: "#ffffff", welcome: "", max_chars: 2000 };
  var t = TEXT.es;
  var msgs = {};      // id -> message
  var seenSent = {};  // ids reported read
  var seenQueue = [];
  var seenTimer = null;
  var typingTimer = null;
  var es = null;

  var root = el("div", { id: "relevo-webchat" });
  root.dataset.state = "connecting";
  var style = el("style");
  var launcher = el("button", { className: "rw-launcher", type: "button" });
  var panel = el("div", { className: "rw-panel" });
  var header = el("div", { className: "rw-header" });
  var title = el("span", { className: "rw-title" });
  var closeBtn = el("button", { className: "rw-close", type: "button", textContent: "×" });
  var list = el("div", { className: "rw-list", role: "log" });
  var typing = el("div", { className: "rw-typing", textContent: "…" });
  var notice = el("div", { className: "rw-notice" });
  var form = el("form", { className: "rw-form" });
  var input = el("textarea", { className: "rw-input", rows: 1 });
  var sendBtn = el("button", { className: "rw-send", type: "submit" });
  header.append(title, closeBtn);
  form.append(input, sendBtn);
  panel.append(header, list, typing, notice, form);
  root.append(style, panel, launcher);

  function el(tag, props) {
    var e = document.createElement(tag);
    for (var k in props || {}) { if (k === "role") e.setAttribute(k, props[k]); else e[k] = props[k]; }
    return e;
  }

  // A speech bubble, drawn here: the widget loads no images or fonts.
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.append(path);
    return svg;
  }

  function applyConfig() {
    ["company", "language", "color", "welcome"].forEach(function (k) { if (ds[k]) cfg[k] = ds[k]; });
    if (ds.textColor) cfg.text_color = ds.textColor;
    t = TEXT[cfg.language] || TEXT.es;
    var c = /^#[0-9a-fA-F]{6}$/.test(cfg.color) ? cfg.color : "#1f6feb";
    var tc = /^#[0-9a-fA-F]{6}$/.test(cfg.text_color) ? cfg.text_color : "#ffffff";
    style.textContent =
      "#relevo-webchat{position:fixed;right:16px;bottom:16px;z-index:2147483000;font:14px/1.4 system-ui,sans-serif;color:#1b1f24}" +
      "#relevo-webchat .rw-launcher{width:56px;height:56px;border-radius:50%;border:0;background:" + c + ";color:" + tc + ";cursor:pointer;float:right;display:flex;align-items:center;justify-content:center}" +
      "#relevo-webchat .rw-launcher svg{width:26px;height:26px;fill:currentColor}" +
      "#relevo-webchat .rw-panel{display:none;flex-direction:column;width:340px;max-width:calc(100vw - 32px);height:min(480px,calc(100vh - 100px));background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.2);margin-bottom:12px;overflow:hidden}" +
      "#relevo-webchat.rw-open .rw-panel{display:flex}" +
      "#relevo-webchat .rw-header{background:" + c + ";color:" + tc + ";padding:12px;display:flex;justify-content:space-between;font-weight:600}" +
      "#relevo-webchat .rw-close{background:none;border:0;color:inherit;font-size:18px;cursor:pointer}" +
      "#relevo-webchat .rw-list{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}" +
      "#relevo-webchat .rw-msg{max-width:85%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
      "#relevo-webchat .rw-user{align-self:flex-end;background:" + c + ";color:" + tc + "}" +
      "#relevo-webchat .rw-business{align-self:flex-start;background:#f0f2f5}" +
      "#relevo-webchat .rw-cite{display:block;margin-top:6px;font-size:12px;color:#57606a}" +
      "#relevo-webchat .rw-cite a{color:inherit}" +
      "#relevo-webchat .rw-buttons{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
      "#relevo-webchat .rw-choice{border:1px solid " + c + ";background:#fff;color:" + c + ";border-radius:14px;padding:4px 10px;cursor:pointer}" +
      "#relevo-webchat .rw-choice:disabled{opacity:.5;cursor:default}" +
      "#relevo-webchat .rw-typing{display:none;padding:0 12px;color:#57606a}" +
      "#relevo-webchat .rw-notice{display:none;padding:6px 12px;font-size:12px;color:#9a6700;background:#fff8c5}" +
      "#relevo-webchat .rw-form{display:flex;border-top:1px solid #d0d7de}" +
      "#relevo-webchat .rw-input{flex:1;border:0;padding:10px;resize:none;font:inherit}" +
      "#relevo-webchat .rw-send{border:0;background:" + c + ";color:" + tc + ";padding:0 14px;cursor:pointer}";
    title.textContent = cfg.company || t.title;
    input.placeholder = t.placeholder;
    sendBtn.textContent = t.send;
    if (!launcher.firstChild) launcher.append(icon());
    launcher.setAttribute("aria-label", t.open);
    closeBtn.setAttribute("aria-label", t.close);
    input.maxLength = cfg.max_chars;
  }

  function api(method, path, body) {
    return fetch(base + path, {
      method: method, credentials: "include", cache: "no-store",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    });
  }

  function showNotice(text) {
    notice.textContent = text || "";
    notice.style.display = text ? "block" : "none";
  }

  // A knowledge-base answer has a paragraph "Fuente: a.md" or
  // "Source: https://…"; a source that is a URL becomes a link.
  var CITE = /^(Fuentes?|Sources?): (.+)$/;

  function renderText(box, text) {
    var afterCite = false;
    text.split("\n\n").forEach(function (para, i) {
      var m = CITE.exec(para);
      if (!m) {
        // A citation is a block of its own: one line break after it.
        box.append(document.createTextNode((i ? (afterCite ? "\n" : "\n\n") : "") + para));
        afterCite = false;
        return;
      }
      afterCite = true;
      var cite = el("span", { className: "rw-cite" });
      cite.append(document.createTextNode(m[1] + ": "));
      m[2].split(/,\s*/).forEach(function (src, j) {
        if (j) cite.append(document.createTextNode(", "));
        if (/^https?:\/\/\S+$/.test(src)) {
          cite.append(el("a", { href: src, textContent: src, target: "_blank", rel: "noopener noreferrer" }));
        } else {
          cite.append(document.createTextNode(src));
        }
      });
      box.append(cite);
    });
  }

  function render() {
    var all = Object.keys(msgs).map(function (k) { return msgs[k]; });
    all.sort(function (a, b) { return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0; });
    list.textContent = "";
    list.append(el("div", { className: "rw-msg rw-business rw-welcome", textContent: cfg.welcome || t.welcome }));
    all.forEach(function (m) {
      var box = el("div", { className: "rw-msg " + (m.author === "user" ? "rw-user" : "rw-business") });
      box.dataset.id = m.id;
      box.dataset.author = m.author;
      renderText(box, m.text);
      if (m.buttons && m.buttons.length) {
        var row = el("div", { className: "rw-buttons" });
        m.buttons.forEach(function (b) {
          var btn = el("button", { className: "rw-choice", type: "button", textContent: b.title, disabled: !!m.answered });
          btn.dataset.choice = b.id;
          btn.addEventListener("click", function () { m.answered = true; send(b.title, b); });
          row.append(btn);
        });
        box.append(row);
      }
      list.append(box);
      if (m.author !== "user" && m.status !== "read") markSeen(m.id);
    });
    list.scrollTop = list.scrollHeight;
  }

  function markSeen(id) {
    if (seenSent[id] || !root.classList.contains("rw-open") || document.visibilityState !== "visible") return;
    seenSent[id] = true;
    seenQueue.push(id);
    if (!seenTimer) seenTimer = setTimeout(function () {
      var ids = seenQueue; seenQueue = []; seenTimer = null;
      api("POST", "/v1/seen", { ids: ids }).catch(function () {});
    }, 300);
  }

  function add(m) {
    var old = msgs[m.id];
    if (old && old.answered) m.answered = true;
    msgs[m.id] = m;
  }

  function loadHistory() {
    return api("GET", "/v1/history").then(function (r) { return r.ok ? r.json() : null; }).then(function (h) {
      if (!h) return;
      h.messages.forEach(add);
      render();
    });
  }

  // A reply delivered by another copy of the adapter does not come down
  // this tab's stream; while the chat is open and seen, the history is read
  // again now and then, so it arrives all the same.
  setInterval(function () {
    if (root.dataset.state === "ready" && root.classList.contains("rw-open") && document.visibilityState === "visible") {
      loadHistory().catch(function () {});
    }
  }, 20000);

  function connect() {
    es = new EventSource(base + "/v1/events", { withCredentials: true });
    es.addEventListener("ready", function () {
      root.dataset.state = "ready";
      showNotice("");
      loadHistory().catch(function () {});
    });
    es.addEventListener("message", function (e) {
      typing.style.display = "none";
      add(JSON.parse(e.data));
      render();
    });
    es.addEventListener("typing", function () {
      typing.style.display = "block";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.style.display = "none"; }, 15000);
    });
    es.onerror = function () {
      if (root.dataset.state === "ready") { root.dataset.state = "reconnecting"; showNotice(t.offline); }
    };
  }

  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // send posts a message and retries with the same id until the adapter
  // confirms the server stored it: a retry is never a second message.
  function send(text, choice) {
    text = text.trim();
    if (!text) return;
    if (text.length > cfg.max_chars) { showNotice(t.tooLong); return; }
    var cid = newID();
    var local = { id: "local-" + cid, author: "user", text: text, created_at: new Date().toISOString() };
    add(local);
    render();
    var body = { id: cid, text: text };
    if (choice) body.choice = { id: choice.id, title: choice.title };
    var attempt = 0;
    (function post() {
      api("POST", "/v1/messages", body).then(function (r) {
        if (r.status === 429) { showNotice(t.slow); delete msgs[local.id]; render(); return; }
        if (r.status === 413) { showNotice(t.tooLong); delete msgs[local.id]; render(); return; }
        if (r.status >= 500) throw new Error("status " + r.status);
        if (!r.ok) { showNotice(t.failed); return; }
        return r.json().then(function (res) {
          showNotice("");
          delete msgs[local.id];
          local.id = res.message_id;
          if (!msgs[local.id]) add(local);
          render();
        });
      }).catch(function () {
        if (++attempt < 5) setTimeout(post, 500 * attempt); else showNotice(t.failed);
      });
    })();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var v = input.value;
    input.value = "";
    send(v);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  function setOpen(open) {
    root.classList.toggle("rw-open", open);
    if (open) { render(); input.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(!root.classList.contains("rw-open")); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") render(); });

  function start() {
    applyConfig();
    document.body.append(root);
    if (ds.open === "true") setOpen(true);
    var session = ds.userId ? { user_id: ds.userId, user_hash: ds.userHash || "" } : {};
    api("POST", "/v1/session", session).then(function (r) {
      if (r.status === 403) throw new Error("refused");
      if (!r.ok) throw new Error("status " + r.status);
      return r.json();
    }).then(function (s) {
      for (var k in s.widget) if (s.widget[k] !== "" && s.widget[k] != null) cfg[k] = s.widget[k];
      applyConfig();
      render();
      connect();
    }).catch(function () {
      // A page whose origin the adapter does not allow gets no CORS
      // headers, which the browser reports as a network error.
      root.dataset.state = "refused";
      showNotice(t.refused);
      input.disabled = true;
      sendBtn.disabled = true;
    });
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
