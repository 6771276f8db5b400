// The agent's own settings for this browser (kept in localStorage): how the reply box sends, and how
// new work announces itself (sound, desktop notification, unread count in the tab title).
import { defineStore } from 'pinia';
import { reactive, watch } from 'vue';

export interface Prefs {
  /** Enter sends and Shift+Enter adds a line (true), or Enter adds a line and Ctrl/⌘+Enter sends (false). */
  enterSends: boolean;
  /** A short tone for a new offer or customer message. */
  sound: boolean;
  /** A desktop notification (the browser asks for permission when this is switched on). */
  desktop: boolean;
  /** "(3) Contact Center" in the tab title: offers ringing plus unread messages of my conversations. */
  titleCount: boolean;
}

export const DEFAULT_PREFS: Prefs = { enterSends: true, sound: true, desktop: false, titleCount: true };
const KEY = 'cchub.console.prefs';

/** Stored settings over the defaults; anything unreadable or of the wrong type falls back to the default. */
export function readPrefs(raw: string | null): Prefs {
  let stored: Record<string, unknown> = {};
  try { stored = raw ? (JSON.parse(raw) as Record<string, unknown>) ?? {} : {}; } catch { /* keep defaults */ }
  const out = { ...DEFAULT_PREFS };
  for (const k of Object.keys(DEFAULT_PREFS) as (keyof Prefs)[]) if (typeof stored[k] === 'boolean') out[k] = stored[k] as boolean;
  return out;
}

export const usePrefsStore = defineStore('prefs', () => {
  const prefs = reactive<Prefs>(readPrefs(globalThis.localStorage?.getItem(KEY) ?? null));
  watch(prefs, (p) => globalThis.localStorage?.setItem(KEY, JSON.stringify(p)), { deep: true });

  /** Switching desktop notifications on asks the browser; refused permission leaves it off. */
  async function setDesktop(on: boolean): Promise<boolean> {
    if (!on) { prefs.desktop = false; return true; }
    const N = globalThis.Notification;
    if (!N) return false;
    const perm = N.permission === 'granted' ? 'granted' : await N.requestPermission();
    prefs.desktop = perm === 'granted';
    return prefs.desktop;
  }
  return { prefs, setDesktop };
});
