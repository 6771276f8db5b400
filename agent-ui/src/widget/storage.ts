// localStorage wrappers; the page may block storage (privacy modes), so every access is guarded.
export interface KV { get(k: string): string | null; set(k: string, v: string | null): void }

export const localKV: KV = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) {
    try { if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch { /* storage full or blocked */ }
  },
};

export function memoryKV(): KV {
  const m = new Map<string, string>();
  return { get: (k) => m.get(k) ?? null, set: (k, v) => (v === null ? m.delete(k) : m.set(k, v)) };
}

export interface VisitorSession { visitorId: string; token: string; name: string }
const SESSION_KEY = 'cchub.webchat.session';

export function loadSession(kv: KV): VisitorSession | null {
  try {
    const s = JSON.parse(kv.get(SESSION_KEY) ?? 'null');
    return s && typeof s.token === 'string' && typeof s.visitorId === 'string' ? s : null;
  } catch { return null; }
}
export function saveSession(kv: KV, s: VisitorSession | null) { kv.set(SESSION_KEY, s ? JSON.stringify(s) : null); }

/** Conversations this browser rated (so the rating card does not come back after a reload); the last 20. */
const RATED_KEY = 'cchub.webchat.rated';
const rated = (kv: KV): string[] => {
  try { const v = JSON.parse(kv.get(RATED_KEY) ?? '[]'); return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []; } catch { return []; }
};
export const isRated = (kv: KV, conversationId: string) => rated(kv).includes(conversationId);
export function markRated(kv: KV, conversationId: string) {
  if (!isRated(kv, conversationId)) kv.set(RATED_KEY, JSON.stringify([...rated(kv), conversationId].slice(-20)));
}
