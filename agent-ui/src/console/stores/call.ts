// The agent's call (voice): one at a time (voice capacity is 1). Joined when a voice conversation
// assigned to this agent is open; it outlives the panel (opening another conversation keeps the
// call up). Ends on the hub's `call.ended` (either side hung up), whatever this console did.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { callLeg } from '../../realtime';
import type { CallMediaHandle, JoinAnswer } from '../call/media';
import type { Attachment } from '../../types';

export interface IvrStep { node: string; type: string; digits?: string; result?: string; durationMs: number }
export type CallState = 'connecting' | 'live' | 'ended' | 'failed';
export interface CurrentCall {
  conversationId: string;
  state: CallState;
  caller?: string;
  called?: string;
  ivrPath: IvrStep[];
  joinedAt?: number;
  muted: boolean;
  error?: string;
  endReason?: string;
  recording?: Attachment | null;
}

let media: CallMediaHandle | null = null;

export const useCallStore = defineStore('call', () => {
  const current = ref<CurrentCall | null>(null);
  const hangingUp = ref(false);

  function drop() {
    media?.close();
    media = null;
  }

  /** Takes the call of this conversation (assigned to me); no-op when it is already the current one. */
  async function join(conversationId: string): Promise<void> {
    const c = current.value;
    if (c && c.conversationId === conversationId && c.state !== 'failed') return;
    if (c && (c.state === 'connecting' || c.state === 'live')) return; // one call at a time
    drop();
    current.value = { conversationId, state: 'connecting', ivrPath: [], muted: false };
    try {
      const j = (await callLeg(conversationId, 'join')) as JoinAnswer & { caller: string; called: string; ivrPath: IvrStep[]; joinedAt: string };
      if (current.value?.conversationId !== conversationId) return;
      Object.assign(current.value, { caller: j.caller, called: j.called, ivrPath: j.ivrPath ?? [], joinedAt: Date.parse(j.joinedAt) });
      // mediasoup-client only for agents who take calls: loaded on the first one.
      const { startCallMedia } = await import('../call/media');
      media = await startCallMedia(j, (op, data) => callLeg(conversationId, op, data));
      if (current.value?.conversationId !== conversationId || current.value.state !== 'connecting') return drop();
      current.value.state = 'live';
    } catch (e) {
      drop();
      const code = (e as { code?: string }).code;
      if (current.value?.conversationId === conversationId) {
        current.value.state = code === 'no_call' ? 'ended' : 'failed';
        current.value.error = code === 'no_call' ? undefined : (e as Error).message;
      }
    }
  }

  function toggleMute() {
    const c = current.value;
    if (!c || c.state !== 'live') return;
    c.muted = !c.muted;
    media?.mute(c.muted);
  }

  async function hangup(): Promise<void> {
    const c = current.value;
    if (!c || (c.state !== 'live' && c.state !== 'connecting') || hangingUp.value) return;
    hangingUp.value = true;
    try {
      await callLeg(c.conversationId, 'hangup');
      ended({ conversationId: c.conversationId, reason: 'agent-hangup' });
    } catch (e) {
      if ((e as { code?: string }).code === 'no_call') ended({ conversationId: c.conversationId, reason: 'ended' });
      else c.error = (e as Error).message;
    } finally {
      hangingUp.value = false;
    }
  }

  /** The hub's call.ended (or our own hang-up's answer). */
  function ended(p: { conversationId: string; reason: string; recording?: Attachment | null }) {
    const c = current.value;
    if (!c || c.conversationId !== p.conversationId) return;
    drop();
    c.state = 'ended';
    c.endReason ??= p.reason;
    if (p.recording !== undefined) c.recording = p.recording;
  }

  /** The conversation was closed or taken away: forget its call. */
  function forget(conversationId: string) {
    if (current.value?.conversationId !== conversationId) return;
    drop();
    current.value = null;
  }

  function reset() {
    drop();
    current.value = null;
  }

  return { current, hangingUp, join, toggleMute, hangup, ended, forget, reset };
});
