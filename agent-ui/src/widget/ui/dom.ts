// A tiny element builder: the widget has no framework, so views are plain functions returning nodes.
type Child = Node | string | null | undefined | false;
type Props = Record<string, unknown> & { class?: string; testid?: string };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function field(label: string, input: HTMLInputElement | HTMLTextAreaElement, hint = ''): HTMLLabelElement {
  return h('label', { class: 'ccw-field' }, h('span', {}, label, hint ? h('small', {}, ' ', hint) : null), input);
}
