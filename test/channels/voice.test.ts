/**
 * The voice connector on real calls: sipp as the carrier (127.0.0.2, digits as RFC 2833 from its
 * pcaps) calls 95588 on a hub with voice on; the demo hotline flow runs; pressing 2 (card loss) makes
 * a queued voice conversation in the ACD with the caller's identity, the IVR path, tags and priority,
 * while the caller hears the hold music and their place in the queue. A caller who hangs up in the queue is an abandoned contact:
 * resolved `abandoned`, its routing task gone. A second call is offered to a signed-in agent with
 * voice capacity; only its assignee may take the call (checked against what is stored, not before
 * the offer is accepted); the agent hangs up: sipp gets our BYE and the recording is on the conversation.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ConversationDoc } from '../../hub/models/conversation.js';
import { api, loginAs } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import type { SippResult } from '../helpers/sipp.js';
import { startVoiceHub, type VoiceHub } from '../helpers/voice-hub.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

let vh: VoiceHub;
const sockets = new Sockets();

beforeAll(async () => {
  vh = await startVoiceHub('voice-channel', 48_000);
}, 180_000);
afterAll(async () => {
  sockets.closeAll();
  await vh?.close();
});

const voiceConversation = (caller: string) =>
  waitFor(
    async () => ((await vh.hub.m.Conversation.find({ channel: 'voice' }).lean()) as ConversationDoc[]).find((c) => (c.channelData as { caller?: string }).caller === caller),
    60_000,
    `voice conversation from ${caller}`,
  );

/** Rejects if sipp ends before `p` settles (a scenario that failed early), with what sipp saw. */
function unlessSippEnds<T>(p: Promise<T>, run: Promise<SippResult>): Promise<T> {
  const early = run.then((r) => Promise.reject(new Error(`sipp ended first (${r.code}):\n${r.stderr}\n${r.errors}\n${r.messages.slice(-3000)}`)));
  early.catch(() => undefined);
  return Promise.race([p, early]);
}

const leg = (s: Socket, conversationId: string, op: string, data?: unknown) => s.timeout(15_000).emitWithAck('call.leg', { conversationId, op, data });

test('a call through the demo IVR (2: card loss) queues as a voice conversation with its path; the caller hangs up in the queue: abandoned, routing task gone', async () => {
  const run = vh.call('queue-caller-hangup.xml', '13900139000', 48_600);
  const c = await unlessSippEnds(voiceConversation('13900139000'), run);
  const id = String(c._id);
  expect(c.status).toBe('queued');
  expect(c.queue).toBe('cards');
  expect(c.tags).toContain('card_loss');
  expect(c.priority).toBeGreaterThanOrEqual(50);
  const data = c.channelData as { called: string; trunk: string; ivrPath: { node: string; digits?: string; result?: string }[] };
  expect(data.called).toBe('95588');
  expect(data.trunk).toBe('carrier');
  expect(data.ivrPath.some((s) => s.node === 'main' && s.digits === '2' && s.result === 'card_loss')).toBe(true);
  expect(data.ivrPath.at(-1)).toMatchObject({ node: 'toCards', result: 'queue:cards' });
  // The caller is the customer holding the number in E.164 (the region's default country is China).
  const identity = await vh.hub.m.Identity.findById('phone:+8613900139000').lean();
  expect(String((identity as { customerId?: unknown } | null)?.customerId)).toBe(String(c.customerId));
  // Routing hears of it, and the music starts, just after it is stored.
  await waitFor(async () => (await vh.hub.acd.snapshotTask(id))?.state === 'waiting', 10_000, 'routing task waiting');
  await waitFor(() => vh.voice.session(id)?.onHold, 10_000, 'caller on hold');
  // The ACD tells the connector the caller's place (every 5 s when it changes): it is spoken over the music.
  await waitFor(() => vh.voice.session(id)!.announcements > 0, 12_000, 'a position announcement');

  const r = await run;
  expect(r.code, `sipp failed:\n${r.stderr}\n${r.errors}\n${r.messages.slice(-3000)}`).toBe(0);
  const done = await waitFor(async () => {
    const x = (await vh.hub.m.Conversation.findById(id).lean()) as ConversationDoc | null;
    return x?.status === 'resolved' ? x : null;
  }, 20_000, 'abandoned conversation resolved');
  expect(done.disposition?.code).toBe('abandoned');
  expect(done.tags).toContain('abandoned');
  await waitFor(async () => (await vh.hub.acd.snapshotTask(id)) === null, 10_000, 'routing task released');
  expect(vh.voice.session(id)).toBeUndefined();
}, 180_000);

test('the ACD offers a queued call to a signed-in agent with voice capacity; only the assignee may take it; the agent hangs up: BYE, recording stored', async () => {
  const token = await loginAs(vh.url, 'agent1');
  const s = await sockets.connect(vh.url, '/agent', token);
  const other = await sockets.connect(vh.url, '/agent', await loginAs(vh.url, 'agent2'));
  const offered = nextEvent<any>(s, 'offer.created', (p) => p.conversation.channel === 'voice', 90_000);
  const run = vh.call('queue-agent-hangup.xml', '13700137000', 48_620);
  const offer = await unlessSippEnds(offered, run);
  const id = offer.conversation.id as string;
  // Ringing is not holding: nobody is the assignee until the offer is accepted.
  expect((await leg(s, id, 'join')).error.code).toBe('forbidden');
  const acc = await api(vh.url, `/api/acd/offers/${id}/accept`, { token, method: 'POST' });
  expect(acc.status).toBe(200);
  expect((await leg(other, id, 'join')).error.code).toBe('forbidden');
  expect((await leg(s, id, 'fly')).error.code).toBe('invalid_op');
  expect((await leg(s, id, 'produce', { rtpParameters: {} })).error.code).toBe('not_joined');

  const joined = await leg(s, id, 'join');
  expect(joined.ok).toBe(true);
  expect(joined.data.caller).toBe('13700137000');
  expect(joined.data.ivrPath.at(-1).node).toBe('toCards');
  expect(joined.data.routerRtpCapabilities.codecs.map((x: { mimeType: string }) => x.mimeType)).toContain('audio/PCMU');
  expect(joined.data.transportParams.send.id).toBeTruthy();
  expect(vh.voice.session(id)?.onHold).toBe(false);

  const ended = nextEvent<any>(s, 'call.ended', (p) => p.conversationId === id, 30_000);
  expect(await leg(s, id, 'hangup')).toEqual({ ok: true, data: null });
  const r = await run;
  expect(r.code, `sipp failed:\n${r.stderr}\n${r.errors}\n${r.messages.slice(-3000)}`).toBe(0);
  const e = await ended;
  expect(e.reason).toBe('agent-hangup');
  expect(e.recording.contentType).toBe('audio/wav');
  // The recording is a message of the conversation, and the assignee can fetch it.
  const msgs = await api(vh.url, `/api/conversations/${id}/messages`, { token });
  const withFile = msgs.body.items.find((m: { attachments: { id: string }[] }) => m.attachments.some((a) => a.id === e.recording.id));
  expect(withFile).toBeTruthy();
  const file = await fetch(`${vh.url}/api/attachments/${e.recording.id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(file.status).toBe(200);
  const wav = Buffer.from(await file.arrayBuffer());
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.readUInt16LE(22)).toBe(2); // stereo: caller left, agent right
  // The call is over: the conversation stays with its agent for wrap-up, and the call answers no more.
  expect((await vh.hub.m.Conversation.findById(id).lean())?.status).toBe('assigned');
  expect((await leg(s, id, 'join')).error.code).toBe('no_call');
  expect(await vh.hub.m.Audit.countDocuments({ action: 'call.join', 'target.id': id })).toBe(1);
}, 240_000);
