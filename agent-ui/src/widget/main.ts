// Entry of widget.js. The bank page includes <script src="https://HUB/widget.js" async>;
// everything (API, socket, attachments) goes to the origin this script was loaded from.
import css from './widget.css?inline';
import { Widget } from './widget';
import { pickLocale } from './i18n';

declare global { interface Window { __cchubWidget?: Widget } }

// document.currentScript is only set while this file first runs (also for async scripts).
const script = document.currentScript as HTMLScriptElement | null;

function hubOrigin(): string {
  const override = script?.dataset.hub;
  if (override) return override.replace(/\/$/, '');
  if (script?.src) return new URL(script.src, location.href).origin;
  return location.origin; // dev server: loaded as a module, no currentScript
}

function boot() {
  if (window.__cchubWidget) return; // included twice
  const host = document.createElement('div');
  host.id = 'cchub-webchat';
  host.setAttribute('data-testid', 'webchat-host');
  // shadow root: the bank's CSS cannot restyle the widget and ours cannot leak out
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = css;
  root.append(style);
  document.body.append(host);
  window.__cchubWidget = new Widget(root, hubOrigin(), pickLocale(script?.dataset.locale), { consent: script?.dataset.consent });
}

if (document.body) boot();
else document.addEventListener('DOMContentLoaded', boot, { once: true });
