// How new work announces itself (issue 23: "new work arrives silently"): a short tone, a desktop
// notification and an unread count in the tab title, each switched in the agent's preferences.
import { usePrefsStore } from './stores/prefs';

let audio: AudioContext | null = null;

/** A short two-note tone made with Web Audio (no sound file to fetch). Browsers allow it after the first click. */
function tone(kind: 'offer' | 'message') {
  try {
    audio ??= new AudioContext();
    const t0 = audio.currentTime;
    const notes = kind === 'offer' ? [880, 1175] : [660];
    notes.forEach((f, i) => {
      const osc = audio!.createOscillator();
      const gain = audio!.createGain();
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.18 + 0.16);
      osc.connect(gain).connect(audio!.destination);
      osc.start(t0 + i * 0.18);
      osc.stop(t0 + i * 0.18 + 0.17);
    });
  } catch { /* no audio device: the other signals still work */ }
}

/**
 * Announce new work. `tag` collapses repeats (one notification per conversation, replaced by the next),
 * and a click on the notification brings the console forward and opens the conversation.
 */
export function announce(kind: 'offer' | 'message', title: string, body: string, tag: string, open?: () => void) {
  const { prefs } = usePrefsStore();
  if (prefs.sound) tone(kind);
  const N = globalThis.Notification;
  if (prefs.desktop && N?.permission === 'granted') {
    try {
      const n = new N(title, { body, tag, silent: true });
      n.onclick = () => { globalThis.focus?.(); open?.(); n.close(); };
    } catch { /* some browsers only allow notifications from a service worker */ }
  }
}

/** The tab title with the count of what waits for us ("(3) Contact Center"), or the plain title. */
export function titleWith(base: string, count: number, on: boolean): string {
  return on && count > 0 ? `(${count > 99 ? '99+' : count}) ${base}` : base;
}
