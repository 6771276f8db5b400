import { h, field } from './dom';
import type { Strings } from '../i18n';

export interface PrechatData { name: string; email?: string; phone?: string }

/** Pre-chat form; `submit` rejects with a message to show (the form stays usable). */
/** `consent`: the bank's own privacy/consent line (the script's data-consent), else the default wording. */
export function prechatForm(s: Strings, submit: (d: PrechatData) => Promise<void>, consent?: string): HTMLElement {
  const name = h('input', { testid: 'prechat-name', autocomplete: 'name', maxlength: '80', required: true });
  const email = h('input', { testid: 'prechat-email', type: 'email', autocomplete: 'email', maxlength: '120' });
  const phone = h('input', { testid: 'prechat-phone', type: 'tel', autocomplete: 'tel', maxlength: '30' });
  const error = h('p', { class: 'ccw-error', role: 'alert', testid: 'prechat-error', hidden: true });
  const button = h('button', { class: 'ccw-btn', type: 'submit', testid: 'prechat-submit' }, s.start);
  const form = h('form', { class: 'ccw-form', novalidate: true, testid: 'prechat-form' },
    h('p', { class: 'ccw-intro' }, s.prechatIntro),
    field(s.name, name), field(s.email, email, s.optional), field(s.phone, phone, s.optional),
    h('p', { class: 'ccw-consent', testid: 'prechat-consent', id: 'ccw-consent' }, consent || s.consent), error, button);
  button.setAttribute('aria-describedby', 'ccw-consent');
  const showError = (m: string) => { error.textContent = m; error.hidden = false; };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!name.value.trim()) { showError(s.nameRequired); name.focus(); return; }
    if (email.value.trim() && !/^\S+@\S+\.\S+$/.test(email.value.trim())) { showError(s.emailRequired); email.focus(); return; }
    button.disabled = true;
    button.textContent = s.starting;
    try {
      await submit({ name: name.value.trim(), email: email.value.trim() || undefined, phone: phone.value.trim() || undefined });
    } catch (err) {
      showError((err as Error).message || s.sessionError);
      button.disabled = false;
      button.textContent = s.start;
    }
  });
  setTimeout(() => name.focus(), 0);
  return form;
}
