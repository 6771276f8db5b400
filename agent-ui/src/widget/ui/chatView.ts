// The chat screen: message list, typing line, composer with attachments.
import { h } from './dom';
import { svgIcon } from '../../icons';
import { bubble, type BubbleCtx } from './bubble';
import { fmt, type Strings } from '../i18n';
import type { ShownMessage } from '../../types';
import { ALLOWED_UPLOAD, MAX_UPLOAD_BYTES } from '../../types';

export interface ChatViewHandlers {
  send: (text: string) => void;
  upload: (file: File) => Promise<void>;
  typing: (on: boolean) => void;
  retry: (m: ShownMessage) => void;
}

export class ChatView {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private scroller: HTMLElement;
  private typingLine: HTMLElement;
  private notice: HTMLElement;
  private queue: HTMLElement;
  /** Under the messages: the rating and transcript card once the chat has ended. */
  private after: HTMLElement;
  private composer: HTMLTextAreaElement;
  private typingOn = false;
  private typingTtl: ReturnType<typeof setTimeout> | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(private s: Strings, private h2: ChatViewHandlers, private attachmentUrl: BubbleCtx['attachmentUrl'], name: string) {
    this.list = h('div', { class: 'ccw-messages', testid: 'messages', role: 'log', 'aria-live': 'polite' });
    const welcome = h('div', { class: 'ccw-welcome', testid: 'welcome' }, fmt(s.welcome, { name }));
    this.after = h('div', { testid: 'after-slot' });
    this.scroller = h('div', { class: 'ccw-scroll' }, welcome, this.list, this.after);
    this.typingLine = h('div', { class: 'ccw-typing', testid: 'agent-typing', hidden: true }, s.agentTyping);
    this.notice = h('div', { class: 'ccw-notice', testid: 'chat-notice', hidden: true });
    this.queue = h('div', { class: 'ccw-queue', testid: 'queue-position', role: 'status', 'aria-live': 'polite', hidden: true });
    this.composer = h('textarea', { class: 'ccw-composer', testid: 'composer', rows: '1', maxlength: '4000', placeholder: s.placeholder, 'aria-label': s.placeholder });
    const fileInput = h('input', { type: 'file', testid: 'attach-input', accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain', hidden: true });
    const attach = h('button', { class: 'ccw-icon-btn', type: 'button', testid: 'attach', title: s.attach, 'aria-label': s.attach, onclick: () => fileInput.click() }, svgIcon('attach', 18));
    const send = h('button', { class: 'ccw-send', type: 'submit', testid: 'send' }, s.send);
    fileInput.addEventListener('change', () => {
      const f = fileInput.files?.[0];
      fileInput.value = '';
      if (f) void this.pickFile(f);
    });
    this.composer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
    });
    this.composer.addEventListener('input', () => this.onInput());
    const form = h('form', { class: 'ccw-compose' }, attach, fileInput, this.composer, send);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.el = h('div', { class: 'ccw-chat', testid: 'chat' },
      this.queue, this.scroller, this.typingLine, this.notice, form, h('div', { class: 'ccw-privacy' }, s.privacy));
  }

  focus() { this.composer.focus(); }

  render(messages: ShownMessage[], readUpTo: string | null) {
    const sc = this.scroller;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60;
    const readIdx = readUpTo ? messages.findIndex((m) => m.id === readUpTo) : -1;
    const ctx: BubbleCtx = { s: this.s, attachmentUrl: this.attachmentUrl, readUpToIndex: readIdx, retry: this.h2.retry };
    // Reuse unchanged nodes so images are not reloaded on every update.
    const old = new Map<string, HTMLElement>();
    for (const c of Array.from(this.list.children) as HTMLElement[]) if (c.dataset.key) old.set(c.dataset.key, c);
    const nodes: HTMLElement[] = [];
    messages.forEach((m, i) => {
      // A line between a closed conversation and the next one.
      const prev = messages[i - 1];
      if (prev && prev.conversationId && m.conversationId && prev.conversationId !== m.conversationId) {
        const key = `divider:${m.conversationId}`;
        const line = old.get(key) ?? h('div', { class: 'ccw-divider', testid: 'chat-divider', role: 'separator' }, this.s.divider);
        line.dataset.key = key;
        nodes.push(line);
      }
      const key = m.clientId ?? m.id;
      const sig = `${m.id}|${m.updatedAt}|${m.status}|${(m as { pending?: boolean }).pending ? 1 : 0}|${(m as { error?: string }).error ?? ''}|${i <= readIdx ? 1 : 0}`;
      const same = old.get(key);
      if (same && same.dataset.sig === sig) { nodes.push(same); return; }
      const n = bubble(m, i, ctx);
      n.dataset.key = key;
      n.dataset.sig = sig;
      nodes.push(n);
    });
    this.list.replaceChildren(...nodes);
    if (atBottom || messages.length <= 1) sc.scrollTop = sc.scrollHeight;
  }

  /** Agent typing; cleared after a while in case the "stopped" event is lost. */
  setTyping(on: boolean) {
    clearTimeout(this.typingTtl);
    this.typingLine.hidden = !on;
    if (on) this.typingTtl = setTimeout(() => { this.typingLine.hidden = true; }, 6000);
  }
  /** The card under the messages once the chat has ended (null removes it); scrolled into view. */
  setAfter(el: HTMLElement | null) {
    this.after.replaceChildren(...(el ? [el] : []));
    if (el) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
  /** "You are number N in the queue…" while waiting; null hides it. */
  setQueue(text: string | null) { this.queue.textContent = text ?? ''; this.queue.hidden = !text; }
  setNotice(text: string | null) {
    // The notice takes room under the list: keep the newest message (and so the notice's context) in view.
    const sc = this.scroller;
    const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60;
    this.notice.textContent = text ?? '';
    this.notice.hidden = !text;
    if (text) this.notice.setAttribute('role', 'status');
    if (atBottom) sc.scrollTop = sc.scrollHeight;
  }

  private submit() {
    const text = this.composer.value.trim();
    if (!text) return;
    this.composer.value = '';
    this.stopTyping();
    this.h2.send(text);
  }
  private onInput() {
    if (!this.typingOn) { this.typingOn = true; this.h2.typing(true); }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stopTyping(), 3000);
  }
  private stopTyping() {
    clearTimeout(this.idle);
    if (this.typingOn) this.h2.typing(false);
    this.typingOn = false;
  }
  private async pickFile(f: File) {
    if (f.size > MAX_UPLOAD_BYTES) return this.flash(this.s.tooBig);
    if (!ALLOWED_UPLOAD.test(f.type)) return this.flash(this.s.badType);
    this.setNotice(fmt(this.s.uploading, { name: f.name }));
    try {
      await this.h2.upload(f);
      this.setNotice(null);
    } catch (e) { this.flash(`${this.s.uploadFailed} ${(e as Error).message}`); }
  }
  private flash(text: string) {
    this.setNotice(text);
    setTimeout(() => { if (this.notice.textContent === text) this.setNotice(null); }, 5000);
  }
}
