// After a chat has ended: a satisfaction rating (1-5 stars and a comment) and the transcript by e-mail.
// Each part answers with the hub's reason when refused (e-mail not available here, already rated...).
import { h, field } from './dom';
import { fmt, type Strings } from '../i18n';

export interface AfterChatHandlers {
  /** Resolves when stored; rejects with the message to show. */
  rate: (score: number, comment: string) => Promise<void>;
  transcript: (email: string) => Promise<void>;
}

export function afterChat(s: Strings, handlers: AfterChatHandlers, opts: { rated: boolean; email?: string }): HTMLElement {
  const card = h('section', { class: 'ccw-after', testid: 'after-chat', 'aria-label': s.csatTitle });
  card.append(opts.rated ? h('p', { class: 'ccw-done', testid: 'csat-done', role: 'status' }, s.csatThanks) : rating(s, handlers));
  card.append(transcript(s, handlers, opts.email));
  return card;
}

function rating(s: Strings, handlers: AfterChatHandlers): HTMLElement {
  // Native radios: arrow keys move between the stars, and a screen reader names each score.
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const input = h('input', { type: 'radio', name: 'ccw-csat', value: String(n), testid: 'csat-star', 'data-score': String(n), class: 'ccw-star-input' });
    const label = h('label', { class: 'ccw-star', title: fmt(s.csatStar, { n: String(n) }) }, input, h('span', { 'aria-hidden': 'true' }, '★'), h('span', { class: 'ccw-sr' }, fmt(s.csatStar, { n: String(n) })));
    input.addEventListener('change', () => paint(n));
    return label;
  });
  const paint = (n: number) => stars.forEach((l, i) => l.classList.toggle('on', i < n));
  const comment = h('textarea', { testid: 'csat-comment', rows: '2', maxlength: '1000' });
  const error = h('p', { class: 'ccw-error', role: 'alert', testid: 'csat-error', hidden: true });
  const submit = h('button', { class: 'ccw-btn', type: 'submit', testid: 'csat-submit' }, s.csatSubmit);
  const form = h('form', { class: 'ccw-csat', testid: 'csat' },
    h('fieldset', { class: 'ccw-stars' }, h('legend', {}, s.csatTitle), ...stars),
    field(s.csatComment, comment, s.optional), error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const picked = form.querySelector<HTMLInputElement>('input[name=ccw-csat]:checked');
    if (!picked) { error.textContent = s.csatPick; error.hidden = false; return; }
    submit.disabled = true;
    try {
      await handlers.rate(Number(picked.value), comment.value.trim());
      form.replaceWith(h('p', { class: 'ccw-done', testid: 'csat-done', role: 'status' }, s.csatThanks));
    } catch (err) {
      error.textContent = (err as Error).message || s.csatFailed;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}

function transcript(s: Strings, handlers: AfterChatHandlers, email?: string): HTMLElement {
  const input = h('input', { type: 'email', testid: 'transcript-email', autocomplete: 'email', maxlength: '254', value: email ?? '' });
  const status = h('p', { class: 'ccw-note', role: 'status', testid: 'transcript-status', hidden: true });
  const send = h('button', { class: 'ccw-btn ccw-btn-light', type: 'submit', testid: 'transcript-send' }, s.transcriptSend);
  const form = h('form', { class: 'ccw-transcript', testid: 'transcript', novalidate: true }, field(s.transcriptLabel, input), status, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = input.value.trim();
    const say = (text: string, bad: boolean) => { status.textContent = text; status.hidden = false; status.classList.toggle('ccw-error', bad); status.dataset.state = bad ? 'error' : 'sent'; };
    if (!/^\S+@\S+\.\S+$/.test(to)) { say(s.emailRequired, true); input.focus(); return; }
    send.disabled = true;
    try {
      await handlers.transcript(to);
      say(fmt(s.transcriptSent, { email: to }), false);
    } catch (err) {
      say((err as Error).message || s.transcriptFailed, true);
    } finally {
      send.disabled = false;
    }
  });
  return form;
}
