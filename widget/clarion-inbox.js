/*
 * <clarion-inbox>: the in-app inbox of a Clarion subscriber behind a bell, framework-free.
 *
 *   <script type="module" src="https://clarion.example/v1/inbox/widget.js"></script>
 *   <clarion-inbox token="cin_..."></clarion-inbox>
 *
 * or, with a subscriber hash computed by your server:
 *   <clarion-inbox tenant-id="..." subscriber-id="ada" subscriber-hash="9c1e..."></clarion-inbox>
 *
 * Attributes: token | tenant-id + subscriber-id + subscriber-hash, server (default: where this
 * script came from), lang (default: the page's), theme (light, dark, auto), tabs ("categories"
 * or a comma-separated list of categories), placement (left, right), transport (auto, ws, sse).
 * Events (bubbling, composed): clarion-inbox:token-expired (set a new `token` attribute),
 * clarion-inbox:item-created, clarion-inbox:action ({item, action}).
 * Served by the gateway at /v1/inbox/widget.js; docs/inbox.md describes it.
 */

const VERSION = '__CLARION_WIDGET_VERSION__';
const SCRIPT_ORIGIN = (() => {
  try {
    return new URL(import.meta.url).origin;
  } catch {
    return location.origin;
  }
})();

const STRINGS = {
  en: {
    notifications: 'Notifications',
    bell: (n) => (n === 0 ? 'Notifications, none unread' : n === 1 ? 'Notifications, 1 unread' : `Notifications, ${n} unread`),
    all: 'All',
    unread: 'Unread',
    markAllRead: 'Mark all as read',
    markRead: 'Mark as read',
    markUnread: 'Mark as unread',
    archive: 'Archive',
    snooze: 'Snooze',
    snoozeFor: 'Snooze for…',
    hour: '1 hour',
    fourHours: '4 hours',
    tomorrow: 'Tomorrow',
    nextWeek: 'Next week',
    empty: 'You are all caught up.',
    emptyUnread: 'No unread notifications.',
    error: 'Notifications could not be loaded.',
    retry: 'Retry',
    more: 'Load more',
    loading: 'Loading…',
    reconnecting: 'Reconnecting…',
    offline: 'Offline: updates paused.',
    expired: 'Session expired.',
    unreadItem: 'Unread',
    close: 'Close',
    preferences: 'Preferences',
    back: 'Back to notifications',
    prefsIntro: 'Choose how you are notified about each category.',
    required: 'Always sent',
    other: 'Other',
    saved: 'Saved.',
    channels: { in_app: 'In-app', email: 'Email', sms: 'SMS', push: 'Push', chat: 'Chat', whatsapp: 'WhatsApp', voice: 'Voice', webhook: 'Webhook' },
  },
  fr: {
    notifications: 'Notifications',
    bell: (n) => (n === 0 ? 'Notifications, aucune non lue' : n === 1 ? 'Notifications, 1 non lue' : `Notifications, ${n} non lues`),
    all: 'Toutes',
    unread: 'Non lues',
    markAllRead: 'Tout marquer comme lu',
    markRead: 'Marquer comme lu',
    markUnread: 'Marquer comme non lu',
    archive: 'Archiver',
    snooze: 'Reporter',
    snoozeFor: 'Reporter de…',
    hour: '1 heure',
    fourHours: '4 heures',
    tomorrow: 'Demain',
    nextWeek: 'La semaine prochaine',
    empty: 'Vous êtes à jour.',
    emptyUnread: 'Aucune notification non lue.',
    error: 'Les notifications n’ont pas pu être chargées.',
    retry: 'Réessayer',
    more: 'Afficher plus',
    loading: 'Chargement…',
    reconnecting: 'Reconnexion…',
    offline: 'Hors ligne : mises à jour en pause.',
    expired: 'Session expirée.',
    unreadItem: 'Non lue',
    close: 'Fermer',
    preferences: 'Préférences',
    back: 'Retour aux notifications',
    prefsIntro: 'Choisissez comment être prévenu pour chaque catégorie.',
    required: 'Toujours envoyé',
    other: 'Autres',
    saved: 'Enregistré.',
    channels: { in_app: 'Dans l’app', email: 'E-mail', sms: 'SMS', push: 'Push', chat: 'Chat', whatsapp: 'WhatsApp', voice: 'Appel', webhook: 'Webhook' },
  },
  de: {
    notifications: 'Benachrichtigungen',
    bell: (n) => (n === 0 ? 'Benachrichtigungen, keine ungelesen' : `Benachrichtigungen, ${n} ungelesen`),
    all: 'Alle',
    unread: 'Ungelesen',
    markAllRead: 'Alle als gelesen markieren',
    markRead: 'Als gelesen markieren',
    markUnread: 'Als ungelesen markieren',
    archive: 'Archivieren',
    snooze: 'Zurückstellen',
    snoozeFor: 'Zurückstellen für…',
    hour: '1 Stunde',
    fourHours: '4 Stunden',
    tomorrow: 'Morgen',
    nextWeek: 'Nächste Woche',
    empty: 'Sie sind auf dem neuesten Stand.',
    emptyUnread: 'Keine ungelesenen Benachrichtigungen.',
    error: 'Die Benachrichtigungen konnten nicht geladen werden.',
    retry: 'Erneut versuchen',
    more: 'Mehr laden',
    loading: 'Wird geladen…',
    reconnecting: 'Verbindung wird wiederhergestellt…',
    offline: 'Offline: Aktualisierungen pausiert.',
    expired: 'Sitzung abgelaufen.',
    unreadItem: 'Ungelesen',
    close: 'Schließen',
    preferences: 'Einstellungen',
    back: 'Zurück zu den Benachrichtigungen',
    prefsIntro: 'Wählen Sie, wie Sie zu jeder Kategorie benachrichtigt werden.',
    required: 'Wird immer gesendet',
    other: 'Sonstige',
    saved: 'Gespeichert.',
    channels: { in_app: 'In der App', email: 'E-Mail', sms: 'SMS', push: 'Push', chat: 'Chat', whatsapp: 'WhatsApp', voice: 'Anruf', webhook: 'Webhook' },
  },
  es: {
    notifications: 'Notificaciones',
    bell: (n) => (n === 0 ? 'Notificaciones, ninguna sin leer' : n === 1 ? 'Notificaciones, 1 sin leer' : `Notificaciones, ${n} sin leer`),
    all: 'Todas',
    unread: 'Sin leer',
    markAllRead: 'Marcar todas como leídas',
    markRead: 'Marcar como leída',
    markUnread: 'Marcar como no leída',
    archive: 'Archivar',
    snooze: 'Posponer',
    snoozeFor: 'Posponer durante…',
    hour: '1 hora',
    fourHours: '4 horas',
    tomorrow: 'Mañana',
    nextWeek: 'La próxima semana',
    empty: 'Estás al día.',
    emptyUnread: 'No hay notificaciones sin leer.',
    error: 'No se pudieron cargar las notificaciones.',
    retry: 'Reintentar',
    more: 'Cargar más',
    loading: 'Cargando…',
    reconnecting: 'Reconectando…',
    offline: 'Sin conexión: actualizaciones en pausa.',
    expired: 'La sesión ha caducado.',
    unreadItem: 'Sin leer',
    close: 'Cerrar',
    preferences: 'Preferencias',
    back: 'Volver a las notificaciones',
    prefsIntro: 'Elige cómo quieres recibir los avisos de cada categoría.',
    required: 'Siempre se envía',
    other: 'Otras',
    saved: 'Guardado.',
    channels: { in_app: 'En la app', email: 'Correo', sms: 'SMS', push: 'Push', chat: 'Chat', whatsapp: 'WhatsApp', voice: 'Llamada', webhook: 'Webhook' },
  },
};

const CSS = `
:host{--ci-accent:var(--clarion-inbox-accent,#1558b0);--ci-bg:var(--clarion-inbox-bg,#fff);--ci-fg:var(--clarion-inbox-fg,#1f2328);
--ci-muted:var(--clarion-inbox-muted,#57606a);--ci-border:var(--clarion-inbox-border,#d0d7de);--ci-hover:var(--clarion-inbox-hover,#f3f4f6);
--ci-unread:var(--clarion-inbox-unread-bg,#eef4fc);--ci-badge-bg:var(--clarion-inbox-badge-bg,#b42318);--ci-badge-fg:var(--clarion-inbox-badge-fg,#fff);
--ci-radius:var(--clarion-inbox-radius,8px);--ci-width:var(--clarion-inbox-width,380px);--ci-font:var(--clarion-inbox-font,system-ui,-apple-system,"Segoe UI",sans-serif);
display:inline-block;position:relative;font-family:var(--ci-font);font-size:14px;line-height:1.4;color:var(--ci-fg)}
:host([theme=dark]){--ci-accent:var(--clarion-inbox-accent,#8ab4f8);--ci-bg:var(--clarion-inbox-bg,#1f2125);--ci-fg:var(--clarion-inbox-fg,#e8eaed);
--ci-muted:var(--clarion-inbox-muted,#b4b9bf);--ci-border:var(--clarion-inbox-border,#3c4043);--ci-hover:var(--clarion-inbox-hover,#2b2e33);--ci-unread:var(--clarion-inbox-unread-bg,#24324a)}
@media (prefers-color-scheme:dark){:host([theme=auto]){--ci-accent:var(--clarion-inbox-accent,#8ab4f8);--ci-bg:var(--clarion-inbox-bg,#1f2125);--ci-fg:var(--clarion-inbox-fg,#e8eaed);
--ci-muted:var(--clarion-inbox-muted,#b4b9bf);--ci-border:var(--clarion-inbox-border,#3c4043);--ci-hover:var(--clarion-inbox-hover,#2b2e33);--ci-unread:var(--clarion-inbox-unread-bg,#24324a)}}
*{box-sizing:border-box}
button,select{font:inherit;color:inherit}
.bell{position:relative;display:inline-flex;align-items:center;justify-content:center;width:40px;height:40px;border-radius:50%;border:1px solid transparent;background:transparent;cursor:pointer;color:inherit}
.bell:hover{background:var(--ci-hover)}
:focus-visible{outline:2px solid var(--ci-accent);outline-offset:2px}
.bell svg{width:22px;height:22px}
.badge{position:absolute;top:2px;right:0;min-width:18px;height:18px;padding:0 5px;border-radius:9px;background:var(--ci-badge-bg);color:var(--ci-badge-fg);font-size:11px;font-weight:700;line-height:18px;text-align:center}
.badge[hidden]{display:none}
.panel{position:absolute;top:calc(100% + 6px);right:0;z-index:1000;width:var(--ci-width);max-width:calc(100vw - 16px);max-height:min(560px,80vh);display:flex;flex-direction:column;
background:var(--ci-bg);color:var(--ci-fg);border:1px solid var(--ci-border);border-radius:var(--ci-radius);box-shadow:0 8px 28px rgba(0,0,0,.18);overflow:hidden}
:host([placement=left]) .panel{right:auto;left:0}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:4px;padding:10px 12px;border-bottom:1px solid var(--ci-border)}
h2{flex:1;margin:0;font-size:15px;font-weight:600}
.link{border:0;background:none;color:var(--ci-accent);cursor:pointer;padding:4px 6px;border-radius:4px;font-size:13px}
.link:hover{text-decoration:underline}
.icon{border:0;background:none;cursor:pointer;padding:4px;border-radius:4px;color:var(--ci-muted);display:inline-flex}
.icon:hover{background:var(--ci-hover);color:var(--ci-fg)}
.icon svg{width:16px;height:16px}
.tabs{display:flex;gap:2px;padding:0 8px;border-bottom:1px solid var(--ci-border);overflow-x:auto}
.tab{border:0;background:none;padding:8px 10px;cursor:pointer;color:var(--ci-muted);border-bottom:2px solid transparent;white-space:nowrap}
.tab[aria-selected=true]{color:var(--ci-fg);border-bottom-color:var(--ci-accent);font-weight:600}
.count{margin-left:4px;font-size:12px}
.body{overflow-y:auto;flex:1}
ul{list-style:none;margin:0;padding:0}
li.item{position:relative;display:flex;gap:8px;padding:10px 12px 10px 22px;border-bottom:1px solid var(--ci-border)}
li.item.unread{background:var(--ci-unread)}
.dot{position:absolute;left:8px;top:16px;width:8px;height:8px;border-radius:50%;background:var(--ci-accent)}
.content{flex:1;min-width:0}
.title{font-weight:600;margin:0 0 2px;overflow-wrap:anywhere}
.title a{color:inherit;text-decoration:none}
.title a:hover{text-decoration:underline}
.text{margin:0;color:var(--ci-fg);overflow-wrap:anywhere;white-space:pre-line}
.meta{margin-top:4px;font-size:12px;color:var(--ci-muted)}
.actions{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.action{border:1px solid var(--ci-accent);border-radius:6px;padding:4px 10px;cursor:pointer;font-size:13px;background:transparent;color:var(--ci-accent)}
.action.primary{background:var(--ci-accent);color:var(--ci-bg)}
.action[aria-pressed=true]{opacity:.75}
.tools{display:flex;flex-direction:column;gap:2px;align-items:flex-end}
.tools select{border:1px solid var(--ci-border);border-radius:4px;background:var(--ci-bg);font-size:12px;max-width:7.5em;padding:2px}
.state{padding:28px 16px;text-align:center;color:var(--ci-muted)}
.status{padding:4px 12px;font-size:12px;color:var(--ci-muted);border-bottom:1px solid var(--ci-border)}
.status:empty{display:none}
.more{display:block;width:100%;padding:10px;border:0;background:none;color:var(--ci-accent);cursor:pointer}
.prefs{padding:8px 12px 12px}
.prefs p{margin:4px 0 10px;color:var(--ci-muted)}
.prefs fieldset{border:1px solid var(--ci-border);border-radius:6px;margin:0 0 8px;padding:6px 10px}
.prefs legend{font-weight:600;padding:0 4px}
.prefs label{display:inline-flex;align-items:center;gap:4px;margin:2px 12px 2px 0}
.vh{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

const BELL = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>';
const GEAR = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M19.4 13a7.5 7.5 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3.2h-4l-.4 2.7a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.5 7.5 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1c.5.4 1.1.7 1.7 1l.4 2.7h4l.4-2.7c.6-.3 1.2-.6 1.7-1l2.5 1 2-3.5L19.4 13ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z" transform="translate(-1 0)"/></svg>';
const CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z" transform="translate(1 0)"/></svg>';
const ARCHIVE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 3h18v4H3V3Zm1 5h16v13H4V8Zm5 3v2h6v-2H9Z"/></svg>';
const CHECK = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="m9 16.2-3.5-3.5L4 14.2l5 5 11-11-1.4-1.4z"/></svg>';

let sheet;
function styles(root) {
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    // Constructed sheets pass a page's Content-Security-Policy that forbids inline styles.
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = CSS;
    root.append(style);
  }
}

/** An element with attributes, properties (`on*` listeners) and children. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'html') el.innerHTML = value; // constant icons only
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

/** Only http(s) links, never `javascript:` and the like (item URLs come from templates). */
function safeUrl(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The claims of an inbox token (tenant, subscriber, expiry): for naming the tab channel and timing a refresh, never trusted. */
function claimsOf(token) {
  try {
    const body = token.slice(4).split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(body + '='.repeat((4 - (body.length % 4)) % 4)));
  } catch {
    return {};
  }
}

function parse(data) {
  try {
    const message = JSON.parse(data);
    return message && typeof message === 'object' ? message : null;
  } catch {
    return null;
  }
}

class ClarionInbox extends HTMLElement {
  static version = VERSION;
  static observedAttributes = ['token', 'subscriber-hash', 'subscriber-id', 'tenant-id', 'server', 'transport', 'lang', 'tabs'];

  #root;
  #els = {};
  #token = null;
  #tokenExpiry = 0;
  #refreshTimer = 0;
  #counts = { total: 0, unread: 0, unseen: 0, categories: [] };
  #items = [];
  #nextCursor = null;
  #loaded = false;
  #loading = false;
  #error = null;
  #tab = 'all';
  #open = false;
  #view = 'feed';
  #prefs = null;
  #status = 'connecting';
  #cursor = null;
  #ws = null;
  #es = null;
  #wsWorked = false;
  #wsFailures = 0;
  #attempt = 0;
  #reconnectTimer = 0;
  #watchdog = 0;
  #heartbeatMs = 25000;
  #channel = null;
  #leader = false;
  #releaseLock = null;
  #generation = 0;
  #connected = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open', delegatesFocus: false });
    styles(this.#root);
  }

  connectedCallback() {
    this.#connected = true;
    if (!this.hasAttribute('theme')) this.setAttribute('theme', 'auto');
    this.#render();
    document.addEventListener('click', this.#outside, true);
    this.#start();
  }

  disconnectedCallback() {
    this.#connected = false;
    document.removeEventListener('click', this.#outside, true);
    this.#stop();
  }

  attributeChangedCallback(name, before, after) {
    if (!this.#connected || before === after) return;
    if (name === 'lang' || name === 'tabs') return this.#render();
    // New credentials: start over (a page answering token-expired lands here).
    this.#stop();
    this.#start();
  }

  /** Opens or closes the dropdown. */
  toggle(open = !this.#open) {
    this.#open = open;
    this.#els.panel.hidden = !open;
    this.#els.bell.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#view = 'feed';
      this.#renderPanel();
      if (!this.#loaded) this.#load();
      else this.#markSeen();
      (this.#els.heading ?? this.#els.panel).focus();
    }
  }

  get #server() {
    return (this.getAttribute('server') || SCRIPT_ORIGIN).replace(/\/+$/, '');
  }

  get #t() {
    const lang = (this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language || 'en').toLowerCase().slice(0, 2);
    return STRINGS[lang] ?? STRINGS.en;
  }

  get #lang() {
    const lang = (this.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || navigator.language || 'en').toLowerCase().slice(0, 2);
    return STRINGS[lang] ? lang : 'en';
  }

  // ------------------------------------------------------------------ credentials

  async #credentials() {
    const token = this.getAttribute('token');
    if (token) {
      this.#token = token;
      this.#tokenExpiry = (claimsOf(token).e ?? 0) * 1000;
      return claimsOf(token);
    }
    const tenantId = this.getAttribute('tenant-id');
    const subscriberId = this.getAttribute('subscriber-id');
    const subscriberHash = this.getAttribute('subscriber-hash');
    if (!tenantId || !subscriberId || !subscriberHash) throw new Error('clarion-inbox needs a token, or tenant-id, subscriber-id and subscriber-hash');
    const res = await fetch(`${this.#server}/v1/inbox/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenantId, subscriberId, subscriberHash }) });
    if (!res.ok) throw Object.assign(new Error(`session refused (${res.status})`), { status: res.status });
    const session = await res.json();
    this.#token = session.token;
    this.#tokenExpiry = Date.parse(session.expiresAt);
    // A fresh token well before this one ends; the stream then reconnects with it.
    clearTimeout(this.#refreshTimer);
    const generation = this.#generation;
    this.#refreshTimer = setTimeout(() => generation === this.#generation && this.#credentials().catch(() => {}), Math.max(10_000, (this.#tokenExpiry - Date.now()) * 0.8));
    return { t: tenantId, s: subscriberId };
  }

  #expired() {
    this.#status = 'expired';
    this.#renderStatus();
    this.dispatchEvent(new CustomEvent('clarion-inbox:token-expired', { bubbles: true, composed: true }));
  }

  async #api(method, path, body, keepalive = false) {
    const res = await fetch(`${this.#server}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A read sent as the page follows the item's link must outlive the page.
      keepalive,
    });
    if (res.status === 401 && this.getAttribute('token')) this.#expired();
    if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status}`), { status: res.status });
    return res.status === 204 ? undefined : res.json();
  }

  // ------------------------------------------------------------------ lifecycle

  async #start() {
    const generation = ++this.#generation;
    this.#status = 'connecting';
    let who;
    try {
      who = await this.#credentials();
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#error = err;
      this.#status = 'error';
      this.#render();
      return;
    }
    if (generation !== this.#generation) return;
    this.#error = null;
    this.#api('GET', '/v1/inbox/counts').then((counts) => generation === this.#generation && this.#setCounts(counts)).catch(() => {});
    if (this.#open) this.#load();
    // One stream per browser and subscriber: the tab holding the lock streams and tells the others.
    const key = `clarion-inbox:${this.#server}:${who.t ?? ''}:${who.s ?? ''}`;
    if (typeof BroadcastChannel === 'function' && navigator.locks?.request) {
      this.#channel = new BroadcastChannel(key);
      this.#channel.onmessage = (e) => this.#fromTab(e.data);
      this.#channel.postMessage({ kind: 'hello' });
      navigator.locks.request(key, (lock) => {
        if (!lock || generation !== this.#generation) return undefined;
        this.#leader = true;
        this.#connect();
        return new Promise((resolve) => (this.#releaseLock = resolve));
      });
    } else {
      this.#leader = true;
      this.#connect();
    }
  }

  #stop() {
    this.#generation += 1;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#watchdog);
    clearTimeout(this.#refreshTimer);
    this.#closeStream();
    this.#channel?.close();
    this.#channel = null;
    this.#leader = false;
    this.#releaseLock?.();
    this.#releaseLock = null;
  }

  // ------------------------------------------------------------------ the stream

  /** WebSocket, or Server-Sent Events (`transport="sse"`, or by itself where sockets never got through). */
  #connect() {
    const sse = this.getAttribute('transport') === 'sse' || (this.getAttribute('transport') !== 'ws' && !this.#wsWorked && this.#wsFailures >= 2);
    this.dataset.transport = sse ? 'sse' : 'ws';
    const url = new URL(`${this.#server}/v1/inbox/stream`);
    url.searchParams.set('token', this.#token);
    if (this.#cursor) url.searchParams.set('cursor', this.#cursor);
    if (sse) return this.#connectSse(url);
    const generation = this.#generation;
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    let ready = false;
    try {
      ws = new WebSocket(url);
    } catch {
      return this.#reconnect();
    }
    this.#ws = ws;
    ws.onmessage = (e) => {
      if (generation !== this.#generation) return;
      const message = parse(e.data);
      if (!message) return;
      if (message.type === 'ready') ready = this.#wsWorked = true;
      this.#heard(message);
    };
    ws.onclose = (e) => {
      if (generation !== this.#generation) return;
      this.#ws = null;
      clearTimeout(this.#watchdog);
      if (!ready) this.#wsFailures += 1;
      if (e.code === 4001 || e.code === 4003) return this.#tokenEnded();
      this.#reconnect();
    };
  }

  #connectSse(url) {
    const generation = this.#generation;
    const es = new EventSource(url.href);
    this.#es = es;
    const onEvent = (e) => {
      if (generation !== this.#generation) return;
      const message = parse(e.data);
      if (message?.type === 'error' && message.code === 'CLARION_ERR_INBOX_TOKEN_EXPIRED') {
        this.#closeStream();
        return this.#tokenEnded();
      }
      if (message) this.#heard(message);
    };
    for (const type of ['ready', 'reset', 'item.created', 'item.updated', 'items.updated', 'heartbeat']) es.addEventListener(type, onEvent);
    // `error`: the server's own (with data), or the connection's (none): ours to retry, with the cursor.
    es.addEventListener('error', (e) => {
      if (generation !== this.#generation) return;
      if (e.data) return onEvent(e);
      this.#closeStream();
      this.#reconnect();
    });
  }

  #heard(message) {
    this.#alive();
    this.#apply(message);
    this.#channel?.postMessage({ kind: 'message', message });
  }

  /** The token ended: a hash makes a new one; a page's own token is the page's to renew. */
  #tokenEnded() {
    if (this.getAttribute('token')) return this.#expired();
    return this.#credentials().then(() => this.#connect(), () => this.#reconnect());
  }

  /** Ends the stream without waiting for a closing handshake a dead connection would never answer. */
  #closeStream() {
    clearTimeout(this.#watchdog);
    if (this.#ws) {
      this.#ws.onclose = null;
      this.#ws.onmessage = null;
      this.#ws.close(1000);
      this.#ws = null;
    }
    this.#es?.close();
    this.#es = null;
  }

  /** Exponential backoff (0.5 s doubling, at most 30 s), half of it random: clients that lost one gateway do not come back all at once. */
  #reconnect() {
    if (!this.#leader) return;
    this.#setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
    const base = Math.min(30_000, 500 * 2 ** this.#attempt);
    this.#attempt += 1;
    clearTimeout(this.#reconnectTimer);
    const generation = this.#generation;
    this.#reconnectTimer = setTimeout(() => {
      if (generation !== this.#generation) return;
      // A token that ended while away: a fresh one first (a page's own token: tell the page).
      if (this.#tokenExpiry && this.#tokenExpiry <= Date.now()) return this.#tokenEnded();
      this.#connect();
    }, base / 2 + Math.random() * (base / 2));
  }

  /** Nothing heard for two heartbeats: the connection is dead even if the socket does not say so. */
  #alive() {
    clearTimeout(this.#watchdog);
    const generation = this.#generation;
    this.#watchdog = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#closeStream();
      this.#reconnect();
    }, this.#heartbeatMs * 2 + 1000);
  }

  #fromTab(data) {
    if (!data || typeof data !== 'object') return;
    if (data.kind === 'hello' && this.#leader) this.#channel?.postMessage({ kind: 'status', status: this.#status, cursor: this.#cursor, counts: this.#counts });
    else if (data.kind === 'status' && !this.#leader) {
      if (data.cursor) this.#cursor = data.cursor;
      if (data.counts) this.#setCounts(data.counts);
      this.#setStatus(data.status);
    } else if (data.kind === 'message' && !this.#leader) this.#apply(data.message);
  }

  #setStatus(status) {
    this.#status = status;
    if (this.#leader) this.#channel?.postMessage({ kind: 'status', status, cursor: this.#cursor, counts: this.#counts });
    this.#renderStatus();
  }

  #apply(message) {
    if (message.cursor) this.#cursor = message.cursor;
    if (message.counts) this.#setCounts(message.counts);
    switch (message.type) {
      case 'ready':
        this.#attempt = 0;
        if (message.heartbeatMs) this.#heartbeatMs = message.heartbeatMs;
        this.#alive();
        this.#setStatus('live');
        break;
      case 'reset':
        if (this.#loaded) this.#load();
        break;
      case 'item.created':
        if (this.#loaded && this.#matches(message.item) && !this.#items.some((i) => i.id === message.item.id)) {
          this.#items.unshift(message.item);
          this.#renderList();
          if (this.#open) this.#markSeen();
        }
        this.dispatchEvent(new CustomEvent('clarion-inbox:item-created', { bubbles: true, composed: true, detail: { item: message.item } }));
        break;
      case 'item.updated':
        this.#replace(message.item);
        break;
      case 'items.updated':
        if (!message.ids) {
          if (this.#loaded) this.#load();
          break;
        }
        for (const item of this.#items) if (message.ids.includes(item.id)) Object.assign(item, message.patch);
        this.#items = this.#items.filter((i) => !i.archivedAt);
        this.#renderList();
        break;
      default:
    }
  }

  #replace(item) {
    if (!item) return;
    const at = this.#items.findIndex((i) => i.id === item.id);
    const visible = !item.archivedAt && !(item.snoozedUntil && Date.parse(item.snoozedUntil) > Date.now()) && this.#matchesTab(item);
    if (at >= 0 && visible) this.#items[at] = item;
    else if (at >= 0) this.#items.splice(at, 1);
    else if (visible && this.#loaded) {
      // Back from a snooze: in its place by arrival.
      this.#items.push(item);
      this.#items.sort((a, b) => Date.parse(b.surfacedAt ?? b.createdAt) - Date.parse(a.surfacedAt ?? a.createdAt));
    }
    this.#renderList();
  }

  #matches(item) {
    return !item.archivedAt && this.#matchesTab(item);
  }

  #matchesTab(item) {
    if (this.#tab === 'all') return true;
    if (this.#tab === 'unread') return true; // read ones stay in place until the tab is reloaded
    return item.category === this.#tab;
  }

  #setCounts(counts) {
    this.#counts = counts;
    this.#renderBadge();
    this.#renderTabs();
  }

  // ------------------------------------------------------------------ the feed

  async #load(more = false) {
    if (this.#loading) return;
    this.#loading = true;
    this.#error = null;
    if (!more) this.#renderList();
    const generation = this.#generation;
    const query = new URLSearchParams({ limit: '20' });
    if (this.#tab === 'unread') query.set('status', 'unread');
    else if (this.#tab !== 'all') query.set('category', this.#tab);
    if (more && this.#nextCursor) query.set('cursor', this.#nextCursor);
    try {
      const page = await this.#api('GET', `/v1/inbox?${query}`);
      if (generation !== this.#generation) return;
      this.#items = more ? [...this.#items, ...page.items.filter((i) => !this.#items.some((j) => j.id === i.id))] : page.items;
      this.#nextCursor = page.nextCursor ?? null;
      this.#loaded = true;
      if (this.#open) this.#markSeen();
    } catch (err) {
      if (generation === this.#generation) this.#error = err;
    } finally {
      this.#loading = false;
      if (generation === this.#generation) this.#renderList();
    }
  }

  #markSeen() {
    const ids = this.#items.filter((i) => !i.seenAt).map((i) => i.id);
    if (ids.length > 0) this.#api('POST', '/v1/inbox/mark', { action: 'seen', ids }).catch(() => {});
  }

  async #patch(item, change, keepalive = false) {
    try {
      this.#replace(await this.#api('PATCH', `/v1/inbox/${encodeURIComponent(item.id)}`, change, keepalive));
      if (this.#status !== 'live') this.#setCounts(await this.#api('GET', '/v1/inbox/counts'));
    } catch {
      this.#flash(this.#t.error);
    }
  }

  async #markAll() {
    const body = { action: 'read', ...(this.#tab !== 'all' && this.#tab !== 'unread' ? { filter: { category: [this.#tab] } } : {}) };
    try {
      await this.#api('POST', '/v1/inbox/mark', body);
      for (const item of this.#items) item.readAt ??= new Date().toISOString();
      this.#renderList();
      if (this.#status !== 'live') this.#setCounts(await this.#api('GET', '/v1/inbox/counts'));
    } catch {
      this.#flash(this.#t.error);
    }
  }

  async #act(item, action) {
    try {
      this.#replace(await this.#api('POST', `/v1/inbox/${encodeURIComponent(item.id)}/actions/${encodeURIComponent(action.key)}`));
      this.dispatchEvent(new CustomEvent('clarion-inbox:action', { bubbles: true, composed: true, detail: { item, action } }));
      const url = safeUrl(action.url);
      if (url) window.open(url, '_blank', 'noopener');
    } catch {
      this.#flash(this.#t.error);
    }
  }

  #snoozeUntil(choice) {
    const now = new Date();
    if (choice === '1h') return new Date(now.getTime() + 3600_000);
    if (choice === '4h') return new Date(now.getTime() + 4 * 3600_000);
    const day = new Date(now);
    day.setDate(day.getDate() + (choice === 'week' ? 7 : 1));
    day.setHours(9, 0, 0, 0);
    return day;
  }

  // ------------------------------------------------------------------ preferences

  async #openPrefs() {
    this.#view = 'prefs';
    this.#prefs = null;
    this.#renderPanel();
    try {
      this.#prefs = await this.#api('GET', '/v1/inbox/preferences');
    } catch (err) {
      this.#prefs = { error: err };
    }
    if (this.#view === 'prefs') this.#renderPanel();
  }

  async #setPref(group, channel, enabled) {
    const settings = group.category ? { categories: { [group.category]: { [channel]: enabled } } } : { workflows: Object.fromEntries(group.workflows.map((w) => [w.workflow, { [channel]: enabled }])) };
    try {
      this.#prefs = await this.#api('PATCH', '/v1/inbox/preferences', { settings });
      this.#flash(this.#t.saved);
    } catch {
      this.#flash(this.#t.error);
    }
    if (this.#view === 'prefs') this.#renderPanel();
  }

  /** Workflows by category (those without one under "Other"), each channel on if every workflow of the group has it on. */
  #prefGroups() {
    const groups = new Map();
    for (const w of this.#prefs.workflows ?? []) {
      const key = w.category ?? '';
      if (!groups.has(key)) groups.set(key, { category: w.category, workflows: [], channels: new Map(), required: true });
      const group = groups.get(key);
      group.workflows.push(w);
      group.required &&= Boolean(w.required);
      for (const [channel, state] of Object.entries(w.channels)) group.channels.set(channel, (group.channels.get(channel) ?? true) && state.enabled);
    }
    return [...groups.values()];
  }

  // ------------------------------------------------------------------ rendering

  #outside = (e) => {
    if (this.#open && !e.composedPath().includes(this)) this.toggle(false);
  };

  #flash(text) {
    if (this.#els.live) this.#els.live.textContent = text;
  }

  #render() {
    const t = this.#t;
    this.#root.replaceChildren();
    styles(this.#root);
    this.#els.badge = h('span', { class: 'badge', part: 'badge', 'aria-hidden': 'true', hidden: true });
    this.#els.bell = h('button', { class: 'bell', part: 'bell', type: 'button', 'aria-haspopup': 'dialog', 'aria-expanded': String(this.#open), 'aria-controls': 'panel', html: BELL, onclick: () => this.toggle() });
    this.#els.bell.append(this.#els.badge);
    this.#els.panel = h('div', { id: 'panel', class: 'panel', part: 'panel', role: 'dialog', 'aria-labelledby': 'heading', hidden: !this.#open, tabindex: '-1', onkeydown: (e) => this.#keys(e) });
    this.#els.live = h('div', { class: 'vh', role: 'status', 'aria-live': 'polite' });
    this.#root.append(this.#els.bell, this.#els.panel, this.#els.live);
    this.#els.bell.title = t.notifications;
    this.#renderBadge();
    this.#renderPanel();
  }

  #keys(e) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      this.toggle(false);
      this.#els.bell.focus();
    } else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'Home' || e.key === 'End') && e.target?.getAttribute?.('role') === 'tab') {
      const tabs = [...this.#root.querySelectorAll('[role=tab]')];
      const at = tabs.indexOf(e.target);
      const next = e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : (at + (e.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
      e.preventDefault();
      tabs[next].focus();
      tabs[next].click();
    }
  }

  #renderBadge() {
    const { badge, bell } = this.#els;
    if (!badge) return;
    const unread = this.#counts.unread ?? 0;
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread === 0;
    bell.setAttribute('aria-label', this.#t.bell(unread));
    bell.dataset.unread = String(unread);
  }

  #renderPanel() {
    const t = this.#t;
    const panel = this.#els.panel;
    if (!panel) return;
    panel.replaceChildren();
    this.#els.heading = h('h2', { id: 'heading', tabindex: '-1' }, this.#view === 'prefs' ? t.preferences : t.notifications);
    const header = h('header', { part: 'header' }, this.#els.heading);
    if (this.#view === 'feed') {
      header.append(
        h('button', { type: 'button', class: 'link', part: 'mark-all', onclick: () => this.#markAll() }, t.markAllRead),
        h('button', { type: 'button', class: 'icon', 'aria-label': t.preferences, title: t.preferences, html: GEAR, onclick: () => this.#openPrefs() }),
      );
    } else {
      header.append(h('button', { type: 'button', class: 'link', onclick: () => { this.#view = 'feed'; this.#renderPanel(); this.#els.heading.focus(); } }, t.back));
    }
    header.append(h('button', { type: 'button', class: 'icon', 'aria-label': t.close, title: t.close, html: CLOSE, onclick: () => { this.toggle(false); this.#els.bell.focus(); } }));
    this.#els.status = h('div', { class: 'status', part: 'status', role: 'status' });
    panel.append(header, this.#els.status);
    if (this.#view === 'prefs') {
      panel.append(this.#renderPrefs());
    } else {
      this.#els.tabs = h('div', { class: 'tabs', role: 'tablist', part: 'tabs', 'aria-label': t.notifications });
      this.#els.list = h('div', { class: 'body', id: 'tabpanel', role: 'tabpanel', 'aria-labelledby': `tab-${this.#tab}`, part: 'list' });
      panel.append(this.#els.tabs, this.#els.list);
      this.#renderTabs();
      this.#renderList();
    }
    this.#renderStatus();
  }

  #renderStatus() {
    // connecting, live, reconnecting, offline, expired, error: for the page's styles (and tests).
    this.dataset.status = this.#status;
    const el = this.#els.status;
    if (!el) return;
    const t = this.#t;
    el.textContent = { reconnecting: t.reconnecting, offline: t.offline, expired: t.expired }[this.#status] ?? '';
  }

  #tabList() {
    const t = this.#t;
    const tabs = [{ key: 'all', label: t.all, count: this.#counts.total }, { key: 'unread', label: t.unread, count: this.#counts.unread }];
    const wanted = this.getAttribute('tabs');
    const categories = (this.#counts.categories ?? []).filter((c) => c.category);
    const chosen = wanted && wanted !== 'categories' ? wanted.split(',').map((c) => c.trim()).filter(Boolean).map((c) => categories.find((x) => x.category === c) ?? { category: c, unread: 0 }) : wanted === 'categories' ? categories : [];
    for (const c of chosen) tabs.push({ key: c.category, label: c.category.charAt(0).toUpperCase() + c.category.slice(1).replace(/[-_.]/g, ' '), count: c.unread });
    return tabs;
  }

  #renderTabs() {
    const el = this.#els.tabs;
    if (!el || this.#view !== 'feed') return;
    const tabs = this.#tabList();
    const present = [...el.children];
    if (present.length === tabs.length && tabs.every((tab, i) => present[i].id === `tab-${tab.key}`)) {
      // Same tabs: counts and selection in place, so a focused tab keeps its focus.
      tabs.forEach((tab, i) => {
        const button = present[i];
        button.setAttribute('aria-selected', String(tab.key === this.#tab));
        button.tabIndex = tab.key === this.#tab ? 0 : -1;
        button.querySelector('.count')?.remove();
        if (tab.key !== 'all' && tab.count) button.append(h('span', { class: 'count' }, `(${tab.count})`));
      });
      return;
    }
    el.replaceChildren(
      ...tabs.map((tab) =>
        h(
          'button',
          {
            type: 'button', role: 'tab', id: `tab-${tab.key}`, class: 'tab', part: 'tab', 'aria-selected': String(tab.key === this.#tab), 'aria-controls': 'tabpanel', tabindex: tab.key === this.#tab ? '0' : '-1',
            onclick: () => {
              if (this.#tab === tab.key) return;
              this.#tab = tab.key;
              this.#items = [];
              this.#nextCursor = null;
              this.#loaded = false;
              this.#renderTabs();
              this.#els.list.setAttribute('aria-labelledby', `tab-${tab.key}`);
              this.#load();
            },
          },
          tab.label,
          tab.key !== 'all' && tab.count ? h('span', { class: 'count' }, `(${tab.count})`) : null,
        ),
      ),
    );
  }

  #renderList() {
    const el = this.#els.list;
    if (!el || this.#view !== 'feed') return;
    const t = this.#t;
    if (this.#error && this.#items.length === 0) {
      el.replaceChildren(h('div', { class: 'state', part: 'error' }, h('p', {}, t.error), h('button', { type: 'button', class: 'link', onclick: () => this.#error?.status === 401 || this.#status === 'error' ? (this.#stop(), this.#start()) : this.#load() }, t.retry)));
      return;
    }
    if (!this.#loaded) {
      el.replaceChildren(h('div', { class: 'state', part: 'loading' }, t.loading));
      return;
    }
    if (this.#items.length === 0) {
      el.replaceChildren(h('div', { class: 'state', part: 'empty' }, this.#tab === 'unread' ? t.emptyUnread : t.empty));
      return;
    }
    // A live update re-renders the list: the focused control (or its item's neighbour) keeps the focus.
    const active = this.#root.activeElement;
    const activeItem = active?.closest?.('li.item');
    const focus = activeItem ? { id: activeItem.dataset.id, part: active.getAttribute('part'), index: [...el.querySelectorAll('li.item')].indexOf(activeItem) } : null;
    const rtf = new Intl.RelativeTimeFormat(this.#lang, { numeric: 'auto' });
    const list = h('ul', { role: 'list' }, ...this.#items.map((item) => this.#renderItem(item, rtf)));
    el.replaceChildren(list);
    if (this.#nextCursor) el.append(h('button', { type: 'button', class: 'more', onclick: () => this.#load(true) }, t.more));
    if (focus) {
      const items = [...list.children];
      const same = items.find((li) => li.dataset.id === focus.id);
      const target = same ? [...same.querySelectorAll('[part]')].find((n) => n.getAttribute('part') === focus.part) : items[Math.min(focus.index, items.length - 1)]?.querySelector('button, a, select');
      (target ?? this.#els.heading)?.focus();
    }
  }

  #renderItem(item, rtf) {
    const t = this.#t;
    const url = safeUrl(item.url);
    const unread = !item.readAt;
    const title = url ? h('a', { href: url, part: 'item-link', onclick: () => unread && this.#patch(item, { read: true }, true) }, item.title ?? '') : item.title ?? '';
    const snooze = h(
      'select',
      { 'aria-label': t.snooze, part: 'snooze', onchange: (e) => e.target.value && this.#patch(item, { snoozedUntil: this.#snoozeUntil(e.target.value).toISOString() }) },
      h('option', { value: '' }, t.snoozeFor),
      h('option', { value: '1h' }, t.hour),
      h('option', { value: '4h' }, t.fourHours),
      h('option', { value: 'day' }, t.tomorrow),
      h('option', { value: 'week' }, t.nextWeek),
    );
    const actions = (item.actions ?? []).map((action, i) =>
      h('button', { type: 'button', class: `action ${action.style ?? (i === 0 ? 'primary' : 'secondary')}`, part: `action action-${action.style ?? (i === 0 ? 'primary' : 'secondary')}`, 'aria-pressed': item.action?.key === action.key ? 'true' : null, onclick: () => this.#act(item, action) }, action.label),
    );
    return h(
      'li',
      { class: `item${unread ? ' unread' : ''}`, part: `item${unread ? ' item-unread' : ''}`, 'data-id': item.id },
      unread ? h('span', { class: 'dot', 'aria-hidden': 'true' }) : null,
      h(
        'div',
        { class: 'content' },
        h('p', { class: 'title' }, unread ? h('span', { class: 'vh' }, `${t.unreadItem}: `) : null, title),
        item.body ? h('p', { class: 'text' }, item.body) : null,
        h('div', { class: 'meta' }, h('time', { datetime: item.surfacedAt ?? item.createdAt }, relative(rtf, item.surfacedAt ?? item.createdAt))),
        actions.length ? h('div', { class: 'actions' }, actions) : null,
      ),
      h(
        'div',
        { class: 'tools' },
        h('button', { type: 'button', class: 'icon', part: 'toggle-read', 'aria-label': unread ? t.markRead : t.markUnread, title: unread ? t.markRead : t.markUnread, html: CHECK, onclick: () => this.#patch(item, { read: unread }) }),
        h('button', { type: 'button', class: 'icon', part: 'archive', 'aria-label': t.archive, title: t.archive, html: ARCHIVE, onclick: () => this.#patch(item, { archived: true }) }),
        snooze,
      ),
    );
  }

  #renderPrefs() {
    const t = this.#t;
    const box = h('div', { class: 'body prefs', part: 'preferences' });
    if (!this.#prefs) return box.appendChild(h('div', { class: 'state' }, t.loading)).parentNode;
    if (this.#prefs.error) return box.appendChild(h('div', { class: 'state', part: 'error' }, t.error)).parentNode;
    box.append(h('p', {}, t.prefsIntro));
    for (const group of this.#prefGroups()) {
      const name = group.category ? group.category.charAt(0).toUpperCase() + group.category.slice(1).replace(/[-_.]/g, ' ') : t.other;
      const fieldset = h('fieldset', {}, h('legend', {}, name));
      for (const [channel, enabled] of group.channels) {
        const input = h('input', { type: 'checkbox', checked: enabled, disabled: group.required, onchange: (e) => this.#setPref(group, channel, e.target.checked) });
        fieldset.append(h('label', {}, input, t.channels[channel] ?? channel));
      }
      if (group.required) fieldset.append(h('div', { class: 'meta' }, t.required));
      box.append(fieldset);
    }
    return box;
  }
}

function relative(rtf, iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86400) return rtf.format(Math.round(seconds / 86400), 'day');
  return new Date(iso).toLocaleDateString();
}

if (!customElements.get('clarion-inbox')) customElements.define('clarion-inbox', ClarionInbox);

export { ClarionInbox };
