// The widget controller: launcher + panel in a shadow root, and the state machine
// checking → prechat | offline | error → chat.
import { h } from './ui/dom';
import { svgIcon } from '../icons';
import { prechatForm } from './ui/prechat';
import { offlineForm } from './ui/offlineForm';
import { ChatView } from './ui/chatView';
import { strings, type Strings, type WidgetLocale } from './i18n';
import { WidgetApi } from './api';
import { ChatClient } from './chat';
import { Outbox, type OutboxItem } from './outbox';
import { localKV, loadSession, saveSession, type KV, type VisitorSession } from './storage';
import { isPending, mergeMessage, mergeMessages } from '../console/stores/logic';
import { QueueTracker, queueText } from './queuePosition';
import { afterChat } from './ui/afterChat';
import { isRated, markRated } from './storage';
import type { PendingMessage, ShownMessage } from '../types';

/** How often an untouched leave-a-message form asks whether an agent is there now. */
const STATUS_POLL_MS = 5_000;

export class Widget {
  private s: Strings;
  private api: WidgetApi;
  private outbox: Outbox;
  private kv: KV = localKV;
  private session: VisitorSession | null;
  private chat: ChatClient | null = null;
  private view: ChatView | null = null;
  private messages: ShownMessage[] = [];
  private readUpTo: string | null = null;
  private queue = new QueueTracker();
  private isOpen = false;
  private unread = 0;
  /** While the leave-a-message form stands untouched, availability is asked again now and then (bug 2). */
  private statusPoll: ReturnType<typeof setTimeout> | undefined;
  private launcher: HTMLButtonElement;
  private badge: HTMLElement;
  private panel: HTMLElement;
  private body: HTMLElement;
  private subtitle: HTMLElement;

  /** The conversation that has ended and may be rated (its card shows under the messages). */
  private ended: string | null = null;
  /** The e-mail typed into the pre-chat form, offered for the transcript. */
  private email: string | undefined;

  /** consent: the bank's privacy/consent line for the pre-chat form (the script's data-consent). */
  constructor(private root: ShadowRoot, private origin: string, private locale: WidgetLocale, private opts: { consent?: string } = {}) {
    this.s = strings(locale);
    this.api = new WidgetApi(origin);
    this.outbox = new Outbox(this.kv);
    this.session = loadSession(this.kv);
    this.badge = h('span', { class: 'ccw-badge', testid: 'launcher-unread', hidden: true });
    this.launcher = h('button', { class: 'ccw-launcher', type: 'button', testid: 'launcher', 'aria-label': this.s.open, title: this.s.open,
      onclick: () => this.toggle() }, svgIcon('webchat', 28), this.badge);
    this.subtitle = h('div', { class: 'ccw-sub' }, this.s.subtitle);
    this.body = h('div', { class: 'ccw-body' });
    this.panel = h('div', { class: 'ccw-panel', testid: 'panel', role: 'dialog', 'aria-label': this.s.title, hidden: true },
      h('div', { class: 'ccw-head' }, h('div', {}, h('div', { class: 'ccw-title' }, this.s.title), this.subtitle),
        h('button', { class: 'ccw-close', type: 'button', testid: 'close', 'aria-label': this.s.close, onclick: () => { this.toggle(false); this.launcher.focus(); } }, svgIcon('close', 20))),
      this.body);
    root.append(this.panel, this.launcher);
    document.addEventListener('visibilitychange', () => this.sendRead());
    // A stored session reconnects at once: restores history and flushes unsent messages.
    if (this.session) this.startChat(this.session);
  }

  toggle(open = !this.isOpen) {
    this.isOpen = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    if (!open) { clearTimeout(this.statusPoll); return; }
    this.unread = 0;
    this.renderBadge();
    if (this.chat) { this.view?.focus(); this.sendRead(); }
    // Availability may have changed since the panel was last open: ask again unless a form is being filled in.
    else if (!this.body.childElementCount || !this.formTouched()) void this.checkStatus();
  }

  /** The visitor has typed into the form on screen (or sent it): it must not be swapped under them. */
  private formTouched(): boolean {
    if (this.body.querySelector('[data-testid=offline-done]')) return true;
    return Array.from(this.body.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')).some((i) => i.value.trim() !== '');
  }

  private async checkStatus(quiet = false) {
    clearTimeout(this.statusPoll);
    if (!quiet) this.body.replaceChildren(h('div', { class: 'ccw-center', testid: 'checking' }, this.s.checking));
    try {
      const { online, open } = await this.api.status();
      if (this.chat || !this.isOpen) return;
      if (online) {
        if (!this.body.querySelector('[data-testid=prechat-form]')) this.body.replaceChildren(prechatForm(this.s, (d) => this.createSession(d), this.opts.consent));
        this.subtitle.textContent = this.s.subtitle;
      } else {
        // Outside business hours the bank is closed, not only busy: say so.
        const closed = open === false;
        this.subtitle.textContent = closed ? this.s.closedSubtitle : this.s.offlineSubtitle;
        const shown = this.body.querySelector<HTMLElement>('[data-testid=offline-form]');
        if (!shown || shown.dataset.closed !== String(closed)) {
          const form = offlineForm(closed ? { ...this.s, offlineIntro: this.s.closedIntro } : this.s, async (d) => { await this.api.offline(d); });
          form.dataset.closed = String(closed);
          this.body.replaceChildren(form);
        }
        // An agent may sign in (or the bank open) while the visitor looks at this form: follow it live.
        this.statusPoll = setTimeout(() => { if (this.isOpen && !this.chat && !this.formTouched()) void this.checkStatus(true); }, STATUS_POLL_MS);
      }
    } catch {
      // a failed background check leaves the form as it is and tries again later
      if (quiet) { this.statusPoll = setTimeout(() => { if (this.isOpen && !this.chat && !this.formTouched()) void this.checkStatus(true); }, STATUS_POLL_MS); return; }
      this.body.replaceChildren(h('div', { class: 'ccw-center', testid: 'status-error' }, h('p', {}, this.s.statusError),
        h('button', { class: 'ccw-btn', type: 'button', onclick: () => void this.checkStatus() }, this.s.retry)));
    }
  }

  private async createSession(d: { name: string; email?: string; phone?: string }) {
    try {
      this.email = d.email;
      const r = await this.api.session({ ...d, locale: this.locale });
      this.session = { visitorId: r.visitorId, token: r.token, name: r.name || d.name };
      saveSession(this.kv, this.session);
      this.startChat(this.session);
    } catch { throw new Error(this.s.sessionError); }
  }

  private startChat(session: VisitorSession) {
    this.chat?.close();
    const chat = new ChatClient(this.origin, session.token, this.outbox);
    this.chat = chat;
    this.view = new ChatView(this.s, {
      send: (text) => chat.send(text),
      upload: async (file) => { const a = await this.api.upload(file, session.token); chat.send('', [a]); },
      typing: (on) => chat.typing(on),
      retry: (m) => {
        if (!m.clientId) return;
        const item: OutboxItem = { clientId: m.clientId, text: m.text, attachments: m.attachments, createdAt: m.createdAt };
        this.upsert({ ...this.pendingOf(item) });
        chat.retry(item);
      },
    }, (a) => this.api.attachmentUrl(a), session.name);
    this.body.replaceChildren(this.view.el);
    this.messages = [];
    this.queue = new QueueTracker();
    for (const item of chat.pendingItems()) this.messages = mergeMessage(this.messages, this.pendingOf(item));
    this.rerender();

    chat.on('connected', () => this.view?.setNotice(null));
    chat.on('disconnected', () => this.view?.setNotice(this.s.reconnecting));
    chat.on('authFailed', () => void this.resume(session));
    chat.on('history', (msgs, status) => {
      this.messages = mergeMessages(this.messages, msgs);
      this.rerender();
      const notice = this.statusNotice(status);
      if (notice) this.view?.setNotice(notice);
      const lastAgent = [...msgs].reverse().find((m) => m.direction === 'out' && m.author.type === 'agent');
      if (lastAgent) this.queue.agentMessage(lastAgent.updatedAt);
      this.queue.status(status);
      this.renderQueue();
      // No live conversation but a past one: it has ended, and may be rated unless it was here before.
      const last = this.lastConversationId();
      if (status === 'resolved' || status === 'closed' || (status === null && last && !isRated(this.kv, last))) this.showAfter(last);
      else this.showAfter(null);
    });
    chat.on('pending', (item) => { this.showAfter(null); this.upsert(this.pendingOf(item)); });
    chat.on('message', (m) => {
      this.upsert(m);
      if (m.direction === 'out' && m.author.type !== 'system') {
        this.view?.setTyping(false);
        if (this.queue.agentMessage(m.updatedAt)) this.renderQueue();
        if (!this.isOpen) { this.unread++; this.renderBadge(); }
      }
    });
    chat.on('failed', (clientId, reason) => {
      const p = this.messages.find((m) => m.clientId === clientId && isPending(m));
      if (p) this.upsert({ ...(p as PendingMessage), error: reason || this.s.failed, updatedAt: new Date().toISOString() });
    });
    chat.on('typing', (on) => this.view?.setTyping(on));
    chat.on('read', (upTo) => { this.readUpTo = upTo; this.rerender(); });
    chat.on('status', (st, at) => {
      this.view?.setNotice(this.statusNotice(st));
      this.showAfter(st === 'resolved' || st === 'closed' ? this.lastConversationId() : null);
      if (this.queue.status(st, at)) this.renderQueue();
    });
    chat.on('position', (p) => { if (this.queue.position(p)) this.renderQueue(); });
  }

  /** The conversation of the newest stored message (pending ones have none yet). */
  private lastConversationId(): string | null {
    for (let i = this.messages.length - 1; i >= 0; i--) if (!isPending(this.messages[i]) && this.messages[i].conversationId) return this.messages[i].conversationId;
    return null;
  }

  /** The rating and transcript card for an ended conversation, or none. */
  private showAfter(conversationId: string | null) {
    if (conversationId === this.ended) return;
    this.ended = conversationId;
    const chat = this.chat;
    if (!conversationId || !chat || !this.view) { this.view?.setAfter(null); return; }
    const why = (e: unknown, fallback: string) => {
      const code = (e as { code?: string }).code;
      return code === 'channel_unavailable' ? this.s.transcriptUnavailable : code === 'already_rated' ? this.s.csatAlready
        : code === 'rate_limited' ? this.s.tooMany : code === 'offline' || code === 'timeout' ? this.s.notConnected : fallback;
    };
    this.view.setAfter(afterChat(this.s, {
      rate: async (score, comment) => {
        try {
          await chat.request('csat.submit', { conversationId, score, ...(comment ? { comment } : {}) });
        } catch (e) {
          if ((e as { code?: string }).code === 'already_rated') markRated(this.kv, conversationId);
          throw new Error(why(e, this.s.csatFailed));
        }
        markRated(this.kv, conversationId);
      },
      transcript: async (email) => {
        try { await chat.request('transcript.request', { conversationId, email, locale: this.locale }); } catch (e) { throw new Error(why(e, this.s.transcriptFailed)); }
      },
    }, { rated: isRated(this.kv, conversationId), email: this.email }));
  }

  /** What the customer is told about their conversation's state: closed, or kept for business hours (routing set it pending after hours). */
  private statusNotice(status: string | null): string | null {
    if (status === 'resolved' || status === 'closed') return this.s.ended;
    if (status === 'pending') return this.s.afterHours;
    return null;
  }

  /** The stored token was refused: try to resume with it, else start over with the pre-chat form. */
  private async resume(old: VisitorSession) {
    if (this.session !== old) return;
    try {
      const r = await this.api.session({ name: old.name, token: old.token, locale: this.locale });
      this.session = { visitorId: r.visitorId, token: r.token, name: r.name || old.name };
      saveSession(this.kv, this.session);
      this.startChat(this.session);
    } catch {
      this.chat?.close();
      this.chat = null;
      this.session = null;
      saveSession(this.kv, null);
      this.outbox.clear();
      this.body.replaceChildren();
      if (this.isOpen) void this.checkStatus();
    }
  }

  private pendingOf(item: OutboxItem): PendingMessage {
    return { id: `pending:${item.clientId}`, conversationId: '', direction: 'in', channel: 'webchat',
      author: { type: 'customer', name: this.session?.name }, text: item.text, attachments: item.attachments,
      clientId: item.clientId, status: 'queued', createdAt: item.createdAt, updatedAt: new Date(0).toISOString(), pending: true };
  }
  private upsert(m: ShownMessage) {
    const next = mergeMessage(this.messages, m);
    if (next !== this.messages) { this.messages = next; this.rerender(); }
  }
  private rerender() { this.view?.render(this.messages, this.readUpTo); this.sendRead(); }
  private renderQueue() { this.view?.setQueue(this.queue.current ? queueText(this.queue.current, this.s) : null); }
  private renderBadge() { this.badge.hidden = this.unread === 0; this.badge.textContent = String(this.unread); }

  /** Read receipt: the newest agent message, only while the panel is actually visible. */
  private sendRead() {
    if (!this.chat || !this.isOpen || document.visibilityState !== 'visible') return;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i];
      if (m.direction === 'out' && !isPending(m)) { this.chat.read(m.id); return; }
    }
  }
}
