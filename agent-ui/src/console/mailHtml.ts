// A customer's mail HTML → the document shown in the mail view's sandboxed iframe (MailFrame.vue).
// The hub stored it sanitised (channels/email/sanitize.ts); it is sanitised again here (DOMPurify:
// the console trusts no markup) and then made safe to *look at*:
//  - remote images (http/https) lose their source until the agent asks for them (tracking pixels):
//    the source moves to data-remote-src and the image shows as a placeholder box; cid: images of
//    the same mail become the stored part's blob URL when known, else are dropped;
//  - every link shows its real target beside its text when the text does not already say it (a link
//    reading "https://bank.example" that goes to evil.example shows "evil.example");
//  - quoted history (<blockquote>) is folded into <details>, opened with a click (no script needed);
//  - the document carries its own Content-Security-Policy (no script at all, images only from
//    data:/blob: and, once allowed, http/https) on top of the console's, and <base target=_blank>.
// The iframe itself has no allow-scripts, so even markup that slipped through could not run.
import DOMPurify from 'dompurify';
import { maskSensitive } from '../mask';

export interface MailDoc {
  /** The full document for iframe srcdoc. */
  html: string;
  /** Remote images held back (0: nothing to show). */
  blockedImages: number;
}

const REMOTE = /^https?:\/\//i;

function host(href: string): string {
  try {
    return new URL(href).host;
  } catch {
    return href;
  }
}

/** Whether a link's visible text already names where it goes (then the target is not repeated). */
function textSaysTarget(text: string, href: string): boolean {
  const t = text.trim().toLowerCase();
  if (!t) return false;
  if (href.toLowerCase().startsWith('mailto:')) return t === href.slice(7).toLowerCase();
  const h = host(href).toLowerCase();
  // The text must name the same host, not merely contain it ("bank.example.evil.example").
  const m = /^(?:https?:\/\/)?([^/\s?#]+)/.exec(t);
  return !!m && m[1] === h;
}

export function mailDocument(html: string, opts: { remoteImages: boolean; cid?: Record<string, string>; lang?: string }): MailDoc {
  const frag = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'frame', 'object', 'embed', 'svg', 'math', 'meta', 'link', 'base'],
    FORBID_ATTR: ['style', 'srcset', 'background', 'poster', 'formaction', 'action'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|tel:|cid:|data:image\/(?:png|gif|jpeg|webp);base64,)/i,
  });
  let blocked = 0;
  frag.querySelectorAll('img').forEach((img) => {
    const src = img.getAttribute('src') ?? '';
    if (REMOTE.test(src)) {
      blocked++;
      if (!opts.remoteImages) {
        img.removeAttribute('src');
        img.setAttribute('data-remote-src', src);
        img.setAttribute('alt', img.getAttribute('alt') || host(src));
        img.classList.add('blocked');
      }
    } else if (/^cid:/i.test(src)) {
      const blob = opts.cid?.[src.slice(4).toLowerCase()];
      if (blob) img.setAttribute('src', blob);
      else img.remove();
    } else if (!/^data:image\//i.test(src)) img.remove();
  });
  frag.querySelectorAll('a').forEach((a) => {
    const href = a.getAttribute('href') ?? '';
    a.setAttribute('rel', 'noopener noreferrer nofollow');
    a.setAttribute('target', '_blank');
    if (!href) return;
    a.setAttribute('title', href);
    if (!textSaysTarget(a.textContent ?? '', href)) {
      const shown = document.createElement('span');
      shown.className = 'real-target';
      shown.textContent = ` [${href.toLowerCase().startsWith('mailto:') ? href.slice(7) : host(href)}]`;
      a.after(shown);
    }
  });
  // Quoted history: the outermost blockquotes fold (inner ones go with them).
  frag.querySelectorAll('blockquote').forEach((q) => {
    if (q.parentElement?.closest('blockquote')) return;
    const d = document.createElement('details');
    d.className = 'quoted';
    const s = document.createElement('summary');
    s.textContent = '···';
    s.setAttribute('aria-label', opts.lang?.startsWith('zh') ? '显示引用的历史邮件' : 'Show quoted history');
    q.replaceWith(d);
    d.append(s, q);
  });
  const walker = document.createTreeWalker(frag, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) n.nodeValue = maskSensitive(n.nodeValue);
  const body = document.createElement('div');
  body.appendChild(frag);
  const csp = `default-src 'none'; img-src data: blob:${opts.remoteImages ? ' https: http:' : ''}; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'`;
  const doc =
    `<!doctype html><html lang="${opts.lang ?? 'zh'}"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_blank">` +
    `<style>html,body{margin:0;padding:0;font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;color:#1f2937;word-break:break-word;overflow-wrap:anywhere}` +
    `img{max-width:100%;height:auto}img.blocked{display:inline-block;min-width:24px;min-height:16px;border:1px dashed #9ca3af;color:#6b7280;font-size:12px}` +
    `table{max-width:100%}.real-target{color:#6b7280;font-size:12px}details.quoted>summary{cursor:pointer;color:#6b7280;width:max-content;padding:0 6px;border:1px solid #d1d5db;border-radius:4px;list-style:none}` +
    `blockquote{margin:4px 0 4px 4px;padding-left:8px;border-left:2px solid #d1d5db;color:#4b5563}</style></head>` +
    `<body>${body.innerHTML}</body></html>`;
  return { html: doc, blockedImages: blocked };
}

/** Plain-text mail split into what was written and the quoted history below it ("> " lines, "On … wrote:"). */
export function splitQuoted(text: string): { own: string; quoted: string } {
  const lines = text.split(/\r?\n/);
  const intro = /^(on .{4,200} wrote:|在 .{2,200}写道[:：]|.{2,200} 于 .{2,200}写道[:：]|-{2,} ?(original message|原始邮件) ?-{2,}|from: .+)$/i;
  let cut = -1;
  for (let i = 0; i < lines.length; i++) {
    if (intro.test(lines[i].trim()) && lines.slice(i + 1).some((l) => l.startsWith('>'))) { cut = i; break; }
    if (lines[i].startsWith('>')) { cut = i; break; }
  }
  if (cut < 0) return { own: text, quoted: '' };
  return { own: lines.slice(0, cut).join('\n').trimEnd(), quoted: lines.slice(cut).join('\n') };
}
