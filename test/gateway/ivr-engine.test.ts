/**
 * The IVR engine end to end over real media: a real RTP peer (RFC 4733 digits over UDP) on a trunk
 * leg of the real media engine (test/helpers/media-engine.ts), the real store (caller lookup, open
 * cases) and real espeak-ng prompts.
 *
 * The CallControl here is the test's record of what the IVR asked the call layer to do (the call layer
 * itself, gateway/call, is exercised by the sipp tests).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { seedIvrDemo, DEMO_CARDS } from '../../gateway/ivr/demo-flow.js';
import type { CallControl, IvrResult, PathStep } from '../../gateway/ivr/session.js';
import type { FlowBody } from '../../gateway/ivr/flow-schema.js';
import { parseWav } from '../../gateway/ivr/prompts/wav.js';
import type { CallMedia } from '../../media/contract.js';
import { readAll, startMediaEngine } from '../helpers/media-engine.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import type { MediaEngineImpl } from '../../media/engine.js';

type RtpPeerLike = RtpPeer;
let engine: MediaEngineImpl;
let h: TestHub;
let n = 0;

class RecordedCall implements CallControl {
  readonly callId = `ivr-test-${++n}`;
  readonly did: { what: string; req: Record<string, unknown> }[] = [];
  constructor(
    readonly caller: string,
    readonly called = '95588',
  ) {}
  private rec = (what: string) => async (req: object) => void this.did.push({ what, req: req as Record<string, unknown> });
  queue: CallControl['queue'] = this.rec('queue');
  callback: CallControl['callback'] = this.rec('callback');
  voicemail: CallControl['voicemail'] = this.rec('voicemail');
  transfer: CallControl['transfer'] = this.rec('transfer');
  hangup: CallControl['hangup'] = this.rec('hangup');
}

/** A call answered on the trunk leg, the RTP peer sending silence (comedia latches on it). */
async function answered(): Promise<{ call: CallMedia; peer: RtpPeerLike }> {
  const call = await engine.createCall(`c${Date.now()}${n}`);
  const peer = await RtpPeer.open();
  peer.useAnswer(await call.answerTrunk(peer.offer()));
  void peer.sendSilence(300);
  return { call, peer };
}

const en = (text: string) => ({ text, lang: 'en' as const });
/** A small flow with short timeouts so every path is quick. */
const QUICK: FlowBody = {
  name: 'quick',
  start: 'menu',
  maxIvrSec: 60,
  onMaxTime: 'late',
  nodes: [
    { id: 'menu', type: 'menu', prompt: en('For cards press 1. To enter a number press 2. To wait press 3.'), options: [{ digit: '1', intent: 'cards', next: 'cards' }, { digit: '2', intent: 'number', next: 'num' }, { digit: '3', intent: 'wait', next: 'slow' }, { digit: '4', intent: 'message', next: 'vm' }, { digit: '5', intent: 'callback', next: 'cb' }, { digit: '6', intent: 'transfer', next: 'xfer' }], timeoutSec: 1, retries: 1, invalidPrompt: en('Invalid.'), onFail: 'fail' },
    { id: 'num', type: 'collect', prompt: en('Enter four to six digits and hash.'), var: 'n', minLength: 4, maxLength: 6, terminator: '#', timeoutSec: 1, interDigitSec: 1, retries: 1, next: 'cards', onFail: 'fail' },
    { id: 'slow', type: 'menu', prompt: en('Hold on.'), options: [{ digit: '1', intent: 'x', next: 'cards' }], timeoutSec: 30, retries: 5, onFail: 'fail' },
    { id: 'cards', type: 'queue', queue: 'cards' },
    { id: 'fail', type: 'hangup', prompt: en('Goodbye.') },
    { id: 'late', type: 'queue', queue: 'general' },
    { id: 'vm', type: 'voicemail', queue: 'general', prompt: en('Leave a message, then press hash.'), maxSec: 20 },
    { id: 'cb', type: 'callback', queue: 'cards', prompt: en('We will call you back.') },
    { id: 'xfer', type: 'transfer', to: '+862112345678' },
  ],
};

beforeAll(async () => {
  // This file's slice of RTP ports (each media test file has its own).
  engine = await startMediaEngine(47_000);
  h = await startTestHub({ name: 'ivr-engine', overrides: { dataDir: mkdtempSync(join(tmpdir(), 'ivr-engine-')) } });
  await seedIvrDemo(h.hub.ivr, { info: () => undefined, warn: () => undefined });
  await h.hub.ivr.flows.create('quick', QUICK, 'test');
  // The same with the shortest maximum time in IVR (10 s).
  await h.hub.ivr.flows.create('quick10', { ...QUICK, name: 'quick10', maxIvrSec: 10 }, 'test');
});
afterAll(async () => {
  await engine?.close();
  await h?.close();
});

/** Runs a flow, pressing `digits` (with pauses) once the call is up; returns the result and what the call was asked. */
async function run(flowId: string, caller: string, press: (peer: RtpPeerLike) => Promise<void>, called = '95588') {
  const { call, peer } = await answered();
  const control = new RecordedCall(caller, called);
  try {
    const [result] = await Promise.all([h.hub.ivr.run(control, call, { flowId }), press(peer)]);
    return { result, control, peer, call };
  } finally {
    peer.close();
    call.close('test');
  }
}
const step = (r: IvrResult, node: string): PathStep | undefined => r.path.find((s) => s.node === node);
/** Waits until the IVR is in a node (its prompt started: audio is arriving). */
const audio = (peer: RtpPeerLike) => peer.waitFor(() => peer.stats().packets > 10, 15_000, 'prompt audio');

describe('IVR over real media', () => {
  test('DTMF through the demo menus (unknown caller: language, no shortcuts, main): card loss → tagged, priority 50, cards queue; path recorded', async () => {
    const { result, control } = await run('default', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('1');
      await peer.sendDigit('2');
    });
    expect(control.did).toEqual([{ what: 'queue', req: expect.objectContaining({ queue: 'cards', skill: 'cards', tags: ['card_loss'], priority: 50 }) }]);
    expect(result.path.map((s) => s.node)).toEqual(['welcome', 'whoCalls', 'language', 'likely', 'main', 'tagLoss', 'urgent', 'toCards']);
    expect(step(result, 'likely')).toMatchObject({ result: 'nothing-likely' });
    expect(step(result, 'main')).toMatchObject({ digits: '2', result: 'card_loss' });
    expect(result.path.every((s) => s.durationMs >= 0 && s.at >= 0)).toBe(true);
  });

  test('dynamic: a known caller with a card-service contact last week skips the language menu and is offered card loss first', async () => {
    const m = h.hub.m;
    const c = await m.Customer.create({ name: '刘洋 Liu Yang', tier: 'standard', segment: 'retail', language: 'zh' });
    await m.Identity.create({ _id: 'phone:+8613722223333', customerId: c._id, kind: 'phone', address: '+8613722223333', channels: ['voice'], verified: true });
    await m.Conversation.create({ customerId: c._id, channel: 'voice', status: 'resolved', openKey: `closed:${c._id}`, disposition: { code: 'card_service' } });
    const { result } = await run('default', '+8613722223333', async (peer) => {
      await audio(peer);
      await peer.sendDigit('2');
    });
    expect(result.customer).toMatchObject({ name: '刘洋 Liu Yang' });
    expect(result.path.map((s) => s.node)).toEqual(['welcome', 'whoCalls', 'knownLanguage', 'likely', 'tagLoss', 'urgent', 'toCards']);
    expect(step(result, 'likely')).toMatchObject({ digits: '2', result: 'card_loss' });
  });

  test('barge-in: a digit during the prompt stops it; the menu takes that digit', async () => {
    const { result } = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('1');
    });
    // The prompt is ~4 s; the digit came within ~0.5 s of its start.
    expect(step(result, 'menu')!.durationMs).toBeLessThan(2500);
    expect(result.outcome).toEqual({ kind: 'queue', queue: 'cards' });
  });

  test('collect: digits ended by the terminator, masked in the path', async () => {
    const { result } = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('2');
      for (const d of '12345#') await peer.sendDigit(d);
    });
    expect(step(result, 'num')).toMatchObject({ digits: '*2345', result: 'collected' });
    expect(result.outcome).toEqual({ kind: 'queue', queue: 'cards' });
  });

  test('collect: too few digits, then silence → retries spent → onFail', async () => {
    const { result, control } = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('2');
      for (const d of '12#') await peer.sendDigit(d);
    });
    expect(step(result, 'num')).toMatchObject({ result: 'failed:timeout' });
    expect(control.did.map((d) => d.what)).toEqual(['hangup']);
  });

  test('invalid input twice → invalid prompt, asked again, then onFail', async () => {
    const { result } = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('7');
      await peer.sendDigit('8');
    });
    expect(step(result, 'menu')).toMatchObject({ digits: '78', result: 'failed:invalid' });
    expect(result.outcome).toEqual({ kind: 'hangup', reason: 'flow' });
  });

  test('silence → timeout, retried, then onFail', async () => {
    const { result } = await run('quick', '+8613911112222', async () => undefined);
    expect(step(result, 'menu')).toMatchObject({ result: 'failed:timeout' });
  });

  test('maximum time in IVR: a caller who never chooses leaves by onMaxTime after 10 s', async () => {
    const { result, control } = await run('quick10', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('3');
    });
    expect(result.maxTimeReached).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(10_000);
    expect(result.durationMs).toBeLessThan(14_000);
    expect(step(result, 'slow')).toMatchObject({ result: 'max-time' });
    expect(control.did).toEqual([{ what: 'queue', req: expect.objectContaining({ queue: 'general' }) }]);
  });

  test('VIP: the demo VIP customer goes straight to the VIP queue, greeted by name; a card typed in identifies a caller', async () => {
    const vip = await run('default', DEMO_CARDS[0].phone, async () => undefined);
    expect(vip.result).toMatchObject({ vip: true, outcome: { kind: 'queue', queue: 'vip' }, customer: { name: '张伟 Zhang Wei' } });
    expect(vip.result.path.map((s) => s.node)).toEqual(['vip']);
    const byCard = await run('default', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('1'); // Mandarin
      await peer.sendDigit('1'); // balance
      for (const d of `${DEMO_CARDS[0].card}#`) await peer.sendDigit(d, 60);
      await peer.sendDigit('9');
    });
    expect(step(byCard.result, 'findCard')).toMatchObject({ result: 'found' });
    expect(step(byCard.result, 'askCard')!.digits).toBe(`************${DEMO_CARDS[0].card.slice(-4)}`);
    expect(byCard.control.did.map((d) => d.what)).toEqual(['hangup']);
  });

  test('voicemail: recorded after the prompt until #, handed to the call with the recording', async () => {
    let recording: Buffer | undefined;
    const { call, peer } = await answered();
    const control = new RecordedCall('+8613911112222');
    control.voicemail = async (req: Parameters<CallControl['voicemail']>[0]) => {
      control.did.push({ what: 'voicemail', req: req as never });
      recording = await readAll(req.recording.wav);
    };
    const running = h.hub.ivr.run(control, call, { flowId: 'quick' });
    await audio(peer);
    await peer.sendDigit('4');
    // The message prompt plays out (no barge-in): wait for about as many 20 ms packets as it lasts
    // (media sends only while it plays), then
    // the caller speaks ~1.5 s and presses #.
    const promptMs = parseWav(readFileSync(await h.hub.ivr.prompts.path(en('Leave a message, then press hash.')))).durationMs;
    const before = peer.stats().packets;
    await peer.waitFor(() => peer.stats().packets >= before + promptMs / 20 - 5, 15_000, 'message prompt');
    await peer.sendTone(440, 1500);
    await peer.sendDigit('#');
    const result = await running;
    peer.close();
    call.close('test');
    expect(result.outcome).toMatchObject({ kind: 'voicemail', queue: 'general' });
    expect((result.outcome as { durationMs: number }).durationMs).toBeGreaterThan(1000);
    expect(control.did.map((d) => d.what)).toEqual(['voicemail']);
    expect(recording!.length).toBeGreaterThan(44 + 8000);
  });

  test('callback and transfer: the call is asked once, with the number and the destination', async () => {
    const cb = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('5');
    });
    expect(cb.control.did).toEqual([{ what: 'callback', req: expect.objectContaining({ queue: 'cards', number: '+8613911112222' }) }]);
    const xfer = await run('quick', '+8613911112222', async (peer) => {
      await audio(peer);
      await peer.sendDigit('6');
    });
    expect(xfer.control.did).toEqual([{ what: 'transfer', req: expect.objectContaining({ to: '+862112345678' }) }]);
  });

  test('the caller hangs up mid-menu: abandoned, no outcome asked of the call', async () => {
    const { call, peer } = await answered();
    const control = new RecordedCall('+8613911112222');
    const running = h.hub.ivr.run(control, call, { flowId: 'quick' });
    await audio(peer);
    call.close('caller-hangup');
    const result = await running;
    peer.close();
    expect(result.outcome).toEqual({ kind: 'abandoned' });
    expect(control.did).toEqual([]);
  });
});
