// A mail's inline images (cid: parts): fetched from the stored file through the agent's authorised
// attachment route (GET /api/attachments/:id with the bearer token), shown through blob: URLs, which
// the mail document's CSP admits (img-src blob:) while the iframe stays sandboxed without scripts.
// The hub links a mail's files to its conversation just after the agent hears of the message, so a
// first fetch can get 404: retried a few times, as AttachmentView does.
import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import type { Attachment } from '../types';
import { api, type ApiError } from './api';

const DELAYS_MS = [300, 600, 1200, 2400];

/** The inline images of a mail whose HTML names them (lower-cased Content-ID → attachment). */
export function inlineParts(html: string | undefined, attachments: Attachment[]): Map<string, Attachment> {
  const named = new Set([...(html ?? '').matchAll(/\bsrc\s*=\s*["']?cid:([^"'\s>]+)/gi)].map((m) => decodeURIComponent(m[1]).toLowerCase()));
  return new Map(attachments.filter((a) => a.cid && a.contentType.startsWith('image/') && named.has(a.cid.toLowerCase())).map((a) => [a.cid!.toLowerCase(), a]));
}

/** Content-ID → blob URL, filled in as each part arrives; every URL revoked on unmount. */
export function useCidImages(parts: () => Map<string, Attachment>): Ref<Record<string, string>> {
  const urls = ref<Record<string, string>>({});
  let alive = true;
  const started = new Set<string>();
  async function load(cid: string, att: Attachment) {
    for (let attempt = 0; alive; attempt++) {
      try {
        const blob = await api.attachmentBlob(att.id);
        if (!alive) return;
        urls.value = { ...urls.value, [cid]: URL.createObjectURL(blob) };
        return;
      } catch (e) {
        const status = (e as ApiError).status;
        if (!(status === 0 || status === 404 || status === 429 || status >= 500) || attempt >= DELAYS_MS.length) return;
        await new Promise((r) => setTimeout(r, DELAYS_MS[attempt]));
      }
    }
  }
  watch(parts, (p) => { for (const [cid, att] of p) if (!started.has(cid)) { started.add(cid); void load(cid, att); } }, { immediate: true });
  onBeforeUnmount(() => { alive = false; for (const u of Object.values(urls.value)) URL.revokeObjectURL(u); });
  return urls;
}
