import { h } from './dom';
import { svgIcon } from '../../icons';
import type { Strings } from '../i18n';
import type { Attachment, ShownMessage } from '../../types';

export interface BubbleCtx {
  s: Strings;
  attachmentUrl: (a: Attachment) => string;
  readUpToIndex: number;
  retry: (m: ShownMessage) => void;
}

function time(iso: string, locale: string) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

function attachmentNode(a: Attachment, ctx: BubbleCtx, pending: boolean): HTMLElement {
  if (!pending && a.contentType.startsWith('image/')) {
    return h('a', { class: 'ccw-thumb', href: ctx.attachmentUrl(a), target: '_blank', rel: 'noopener', testid: 'attachment' },
      h('img', { src: ctx.attachmentUrl(a), alt: a.name, loading: 'lazy' }));
  }
  return h('a', { class: 'ccw-file', href: pending ? undefined : ctx.attachmentUrl(a), target: '_blank', rel: 'noopener', testid: 'attachment' }, svgIcon('attach', 13), ' ', a.name);
}

/** One chat bubble: visitor's own messages ("in") on the right, agent/system on the left. */
export function bubble(m: ShownMessage, index: number, ctx: BubbleCtx): HTMLElement {
  const pending = (m as { pending?: boolean }).pending === true;
  const failed = (m as { error?: string }).error;
  const mine = m.direction === 'in';
  if (m.author.type === 'system') {
    return h('div', { class: 'ccw-system', testid: 'message', 'data-direction': m.direction, 'data-author': 'system' }, m.text);
  }
  let status: HTMLElement | null = null;
  if (mine) {
    if (failed) {
      status = h('div', { class: 'ccw-status ccw-failed', testid: 'message-status' }, `${ctx.s.failed} `,
        h('button', { class: 'ccw-link', type: 'button', onclick: () => ctx.retry(m) }, ctx.s.retry));
    } else if (pending) status = h('div', { class: 'ccw-status', testid: 'message-status' }, ctx.s.sending);
    else if (m.status === 'read' || index <= ctx.readUpToIndex) status = h('div', { class: 'ccw-status ccw-read', testid: 'message-status' }, ctx.s.read);
  }
  return h('div', {
    class: `ccw-row ${mine ? 'ccw-mine' : 'ccw-theirs'}`, testid: 'message', 'data-direction': m.direction,
    'data-author': m.author.type, 'data-pending': pending ? 'true' : 'false', 'data-client-id': m.clientId,
  },
  h('div', { class: `ccw-bubble${pending ? ' ccw-pending' : ''}${failed ? ' ccw-bubble-failed' : ''}` },
    !mine ? h('div', { class: 'ccw-who' }, m.author.name || ctx.s.agent) : null,
    m.text ? h('div', { class: 'ccw-text' }, m.text) : null,
    ...m.attachments.map((a) => attachmentNode(a, ctx, pending)),
    h('div', { class: 'ccw-time' }, time(m.createdAt, ctx.s.timeLocale))),
  status);
}
