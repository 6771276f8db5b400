/**
 * The seam from gateway/call to the IVR: answer an inbound call, run the flow for its called number
 * over its media, and hand the outcome to whoever takes it (the voice connector: a voice conversation
 * in the ACD, a callback, a voicemail conversation). Hang-ups and `hangup` outcomes are the call's own.
 *
 *   gateway.on('call', (call) => void runIvrOnCall(hub.ivr, call, outcomes).catch(log))
 *
 * When the caller hangs up, gateway/call closes the call's media, which ends the run (`abandoned`).
 * An outcome nobody handles yet is logged and the call is hung up rather than left in silence.
 */
import type { CallMedia } from '../../media/contract.js';
import type { Ivr } from './index.js';
import type { CallControl, IvrResult } from './session.js';

/** What the IVR needs of gateway/call's Call (structural, so this module imports nothing of it). */
export interface AnswerableCall {
  readonly id: string;
  readonly info: { caller: string; called: string };
  readonly media: CallMedia | undefined;
  answer(): Promise<void>;
  hangup(reason?: 'hangup'): Promise<void>;
}

export type IvrOutcomes = Partial<Pick<CallControl, 'queue' | 'callback' | 'voicemail' | 'transfer'>>;

export async function runIvrOnCall(ivr: Pick<Ivr, 'run'>, call: AnswerableCall, outcomes: IvrOutcomes, log?: { warn: (o: object, m: string) => void }): Promise<IvrResult> {
  await call.answer();
  const media = call.media;
  if (!media) throw new Error(`call ${call.id} answered without media`);
  const unhandled = (what: string) => async () => {
    log?.warn({ call: call.id, outcome: what }, 'IVR outcome has no handler yet; hanging up');
    await call.hangup('hangup');
  };
  const control: CallControl = {
    callId: call.id,
    caller: call.info.caller,
    called: call.info.called,
    queue: outcomes.queue ?? unhandled('queue'),
    callback: outcomes.callback ?? unhandled('callback'),
    voicemail: outcomes.voicemail ?? unhandled('voicemail'),
    transfer: outcomes.transfer ?? unhandled('transfer'),
    hangup: () => call.hangup('hangup'),
  };
  return ivr.run(control, media);
}
