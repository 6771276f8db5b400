// HTML bodies (email) are sanitised by the hub already; we sanitise again with DOMPurify because
// the console must never trust markup, then mask card/ID numbers inside the text nodes.
import DOMPurify from 'dompurify';
import { maskSensitive } from '../mask';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

export function safeHtml(html: string): string {
  const frag = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'img'], // remote images would track the reader
    FORBID_ATTR: ['style'],
  });
  const walker = document.createTreeWalker(frag, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) n.nodeValue = maskSensitive(n.nodeValue);
  const div = document.createElement('div');
  div.appendChild(frag);
  return div.innerHTML;
}
