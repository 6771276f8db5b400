import { h, field } from './dom';
import type { Strings } from '../i18n';

/** Leave-a-message form for when no agent is signed in; answered later by email. */
export function offlineForm(s: Strings, submit: (d: { name: string; email: string; text: string }) => Promise<void>): HTMLElement {
  const name = h('input', { testid: 'offline-name', autocomplete: 'name', maxlength: '80' });
  const email = h('input', { testid: 'offline-email', type: 'email', autocomplete: 'email', maxlength: '120' });
  const text = h('textarea', { testid: 'offline-message', rows: '4', maxlength: '4000' });
  const error = h('p', { class: 'ccw-error', role: 'alert', hidden: true });
  const button = h('button', { class: 'ccw-btn', type: 'submit', testid: 'offline-submit' }, s.sendOffline);
  const form = h('form', { class: 'ccw-form', novalidate: true, testid: 'offline-form' },
    h('p', { class: 'ccw-intro' }, s.offlineIntro), field(s.name, name), field(s.email, email), field(s.message, text), error, button);
  const showError = (m: string) => { error.textContent = m; error.hidden = false; };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!name.value.trim()) return showError(s.nameRequired);
    if (!/^\S+@\S+\.\S+$/.test(email.value.trim())) return showError(s.emailRequired);
    if (!text.value.trim()) return showError(s.messageRequired);
    button.disabled = true;
    button.textContent = s.sendingOffline;
    try {
      await submit({ name: name.value.trim(), email: email.value.trim(), text: text.value.trim() });
      form.replaceChildren(h('p', { class: 'ccw-done', testid: 'offline-done', role: 'status' }, s.offlineDone));
    } catch (err) {
      showError((err as Error).message);
      button.disabled = false;
      button.textContent = s.sendOffline;
    }
  });
  return form;
}
