/**
 * A phone call answered in the browser, end to end: sipp as the carrier calls 95588 with speech
 * (G.711 from its pcap) and presses 2 in the demo IVR; the call queues; the agent signed in to the
 * console in headless Chromium (a fake microphone playing a WAV tone) gets the offer, accepts it, and
 * the call panel takes the call (mediasoup-client over the /agent socket). Audio flows both ways
 * (the browser's getStats: caller audio in with energy, microphone out), the agent hangs up with
 * Alt+H, sipp gets our BYE, the stereo recording holds both voices and plays in the console, and the
 * agent wraps up. Screenshots at 1366×768 and 375×667.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { monoWav } from '../../media/rtp/wav.js';
import type { MessageDoc } from '../../hub/models/message.js';
import { CHROMIUM_WEBRTC_ARGS, launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';
import { stereoChannels } from '../helpers/media-engine.js';
import { rms, tone } from '../helpers/rtp-peer.js';
import { startVoiceHub, type VoiceHub } from '../helpers/voice-hub.js';
import { waitFor } from '../helpers/wait.js';

const T = 20_000;
const shots = screenshotDir('e2e');
const mic = join(mkdtempSync(join(tmpdir(), 'cchub-voice-e2e-')), 'mic.wav');
writeFileSync(mic, monoWav(tone(700, 60_000, 9000)));

let vh: VoiceHub;
let browser: TestBrowser;
let a: Page;

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run scripts/setup.sh');
  vh = await startVoiceHub('e2e_voice', 48_200);
  browser = await launchBrowser({ name: 'voice-agent', locale: 'zh-CN', viewport: { width: 1366, height: 768 }, args: [...CHROMIUM_WEBRTC_ARGS, `--use-file-for-fake-audio-capture=${mic}`] });
  a = browser.page;
  // Every peer connection the page makes, for getStats (mediasoup-client keeps its own out of reach).
  await a.addInitScript(() => {
    const Orig = window.RTCPeerConnection;
    const w = window as unknown as { __pcs: RTCPeerConnection[]; RTCPeerConnection: typeof RTCPeerConnection };
    w.__pcs = [];
    w.RTCPeerConnection = class extends Orig {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
        super(...args);
        w.__pcs.push(this);
      }
    };
  });
  await consoleLogin(a, vh.url, 'agent1', { until: 'submitted' });
  await a.locator('[data-testid=agent-state][data-state=available]').waitFor({ timeout: T });
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await vh?.close();
});

/** The page's RTP so far: caller audio in (bytes, energy), microphone out (bytes). */
const rtp = () =>
  a.evaluate(async () => {
    const r = { inBytes: 0, energy: 0, outBytes: 0 };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          r.inBytes += s.bytesReceived ?? 0;
          r.energy += s.totalAudioEnergy ?? 0;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'audio') r.outBytes += s.bytesSent ?? 0;
      });
    }
    return r;
  });

it('an agent answers a queued call in the browser, talks both ways, hangs up (BYE), and the recording holds both voices', async () => {
  const run = vh.call('queue-agent-hangup.xml', '13600136000', 48_820, 240);
  const card = a.getByTestId('offer-card');
  await card.waitFor({ timeout: 90_000 });
  await card.focus();
  await a.keyboard.press('a');
  const panel = a.locator('[data-testid=call-panel][data-state=live]');
  await panel.waitFor({ timeout: T });
  await expect.poll(() => a.getByTestId('call-caller').textContent(), { timeout: T }).toBe('13600136000');
  expect(await a.getByTestId('call-ivr-path').textContent()).toContain('card_loss');
  const convId = (await a.getByTestId('conversation').getAttribute('data-conv-id'))!;

  // getStats has no event to wait on: polled, with the caller's looping speech as the time budget.
  await expect
    .poll(async () => {
      const s = await rtp();
      return s.inBytes > 8000 && s.energy > 0.001 && s.outBytes > 8000;
    }, { timeout: 30_000, interval: 500 })
    .toBe(true);
  const seen = await rtp();
  await expect.poll(() => a.getByTestId('call-timer').textContent(), { timeout: T }).toMatch(/^0:0[2-9]|^0:[1-5]\d/);
  await a.screenshot({ path: join(shots, 'voice-call-1366.png') });
  await a.setViewportSize({ width: 375, height: 667 });
  await a.screenshot({ path: join(shots, 'voice-call-375.png') });
  await a.setViewportSize({ width: 1366, height: 768 });

  // Mute is the microphone's producer paused; the panel says so.
  await a.getByTestId('call-mute').click();
  await expect.poll(() => a.getByTestId('call-mute').getAttribute('aria-pressed'), { timeout: T }).toBe('true');
  await a.keyboard.press('Alt+M');
  await expect.poll(() => a.getByTestId('call-mute').getAttribute('aria-pressed'), { timeout: T }).toBe('false');

  await a.keyboard.press('Alt+H');
  await a.locator('[data-testid=call-panel][data-state=ended]').waitFor({ timeout: T });
  const r = await run;
  expect(r.code, `sipp failed:\n${r.stderr}\n${r.errors}\n${r.messages.slice(-3000)}`).toBe(0);

  // The recording: a message of the conversation with a stereo WAV, caller left, agent right.
  const msg = await waitFor(async () => ((await vh.hub.m.Message.find({ conversationId: convId }).lean()) as MessageDoc[]).find((m) => m.attachments?.some((x) => x.contentType === 'audio/wav')), T, 'recording message');
  const file = msg.attachments!.find((x) => x.contentType === 'audio/wav')!;
  const token = await a.evaluate(() => localStorage.getItem('cchub.agent.token') ?? '');
  const res = await fetch(`${vh.url}/api/attachments/${String(file.id)}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const { left, right, channels } = stereoChannels(Buffer.from(await res.arrayBuffer()));
  expect(channels).toBe(2);
  expect(left.length).toBeGreaterThanOrEqual(8000 * 2); // seconds of the call (shorter when the machine is loaded)
  expect(rms(left)).toBeGreaterThan(200); // the caller's speech
  expect(rms(right)).toBeGreaterThan(500); // the agent's microphone (the WAV tone)
  console.info(`voice e2e: browser in ${seen.inBytes} B (energy ${seen.energy.toFixed(3)}), out ${seen.outBytes} B; recording ${(left.length / 8000).toFixed(1)} s, rms caller ${rms(left).toFixed(0)}, agent ${rms(right).toFixed(0)}`);

  // It plays in the console, and the agent wraps up.
  const player = a.locator('[data-testid=attachment-audio]').first();
  await player.waitFor({ timeout: T });
  // The browser read the WAV it fetched with the agent's token: it knows how long the call was.
  await expect.poll(() => player.evaluate((el: HTMLAudioElement) => el.duration), { timeout: T }).toBeGreaterThan(1);
  await a.screenshot({ path: join(shots, 'voice-call-ended-1366.png') });
  await a.getByTestId('resolve').click();
  await a.locator('[data-testid=wrapup-select] option[value="card_service"]').waitFor({ state: 'attached', timeout: T });
  await a.getByTestId('wrapup-select').selectOption('card_service');
  await a.getByTestId('resolve-confirm').click();
  await a.locator(`[data-testid=conversation][data-conv-id="${convId}"][data-status=resolved]`).waitFor({ timeout: T });
  await a.locator('[data-testid=agent-state][data-state=wrapup]').waitFor({ timeout: T });
}, 300_000);
