/**
 * Customer HTML as we store it: an allowlist of tags and attributes (sanitize-html), so nothing in a
 * mail can run or phone home from the console by itself. Scripts, event handlers, iframes (srcdoc
 * too), forms, meta refresh, <style>/style="" (CSS can fetch url() and overlay the page), svg and
 * javascript:/data: links are gone; images keep http(s) (the console blocks remote content until
 * the agent asks), cid: (inline parts of the same mail) and data: (inert in <img>).
 */
import sanitizeHtml from 'sanitize-html';

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'center', 'code', 'div', 'em', 'font', 'h1', 'h2', 'h3',
    'h4', 'h5', 'h6', 'hr', 'i', 'img', 'li', 'ol', 'p', 'pre', 's', 'small', 'span', 'strike', 'strong', 'sub',
    'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul',
  ],
  allowedAttributes: {
    a: ['href', 'title'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    td: ['colspan', 'rowspan', 'align', 'valign'],
    th: ['colspan', 'rowspan', 'align', 'valign'],
    table: ['border', 'cellpadding', 'cellspacing', 'width'],
    font: ['color'],
    '*': ['dir', 'lang'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  allowProtocolRelative: false,
  // Dropped with their content, not unwrapped into text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'iframe', 'object', 'svg', 'math', 'template'],
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
  },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
};
// rel/target are added by the transform after filtering: allow them on <a> only through it.
(OPTIONS.allowedAttributes as Record<string, string[]>).a.push('rel', 'target');

export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
