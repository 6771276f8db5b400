// The agent's browser leg: headless Chromium with mediasoup-client and a fake microphone (a WAV
// tone), a real worker, a real UDP caller on PCMA (so Node's PCMU↔PCMA bridge is in the path).
// Audio energy must flow both ways and the recording must hold both voices.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MediaEngineImpl } from '../../media/engine.js';
import { monoWav } from '../../media/rtp/wav.js';
import { CHROMIUM_WEBRTC_ARGS, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { readAll, startMediaEngine, stereoChannels } from '../helpers/media-engine.js';
import { RtpPeer, rms, tone } from '../helpers/rtp-peer.js';

let engine: MediaEngineImpl;
let browser: TestBrowser;
let server: Server;
const dir = mkdtempSync(join(tmpdir(), 'cchub-agent-leg-'));
const mic = join(dir, 'mic.wav');
writeFileSync(mic, monoWav(tone(700, 30_000, 9000)));

beforeAll(async () => {
  engine = await startMediaEngine(42800);
  // getUserMedia needs a secure context: an http://127.0.0.1 page is one, about:blank is not.
  server = createServer((_req, res) => res.end('<!doctype html><title>agent</title>'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  browser = await launchBrowser({ name: 'agent-leg', args: [...CHROMIUM_WEBRTC_ARGS, `--use-file-for-fake-audio-capture=${mic}`] });
});
afterAll(async () => {
  await browser?.close();
  await engine?.close();
  server?.close();
});

async function mediasoupClientBundle(): Promise<string> {
  const out = await build({
    stdin: { contents: "export * from 'mediasoup-client';", resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'msc',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

it('bridges the caller and the agent’s browser both ways and records both voices', async () => {
  const call = await engine.createCall('agent-call');
  const peer = await RtpPeer.open();
  peer.useAnswer(await call.answerTrunk(peer.offer(['PCMA', 'telephone-event'])));
  const rec = call.record();
  const leg = await call.createAgentLeg('agent-1');
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  await page.addScriptTag({ content: await mediasoupClientBundle() });
  await page.exposeFunction('legConnect', (p: unknown) => leg.connect(p));
  await page.exposeFunction('legProduce', (kind: 'audio', rtpParameters: unknown) => leg.produce(kind, rtpParameters));
  await page.exposeFunction('legConsume', (caps: unknown) => leg.consume(caps));

  // The browser side, as the console will do it.
  await page.evaluate(
    async ({ params, caps }) => {
      const w = window as any;
      // Headless Chromium's user agent is not one mediasoup-client recognises: name the handler.
      const device = new w.msc.Device({ handlerName: 'Chrome111' });
      await device.load({ routerRtpCapabilities: caps });
      const send = device.createSendTransport(params.send);
      send.on('connect', ({ dtlsParameters }: any, ok: () => void, fail: (e: Error) => void) => w.legConnect({ transportId: send.id, dtlsParameters }).then(ok, fail));
      send.on('produce', ({ kind, rtpParameters }: any, ok: (r: { id: string }) => void, fail: (e: Error) => void) => w.legProduce(kind, rtpParameters).then(ok, fail));
      const recv = device.createRecvTransport(params.recv);
      recv.on('connect', ({ dtlsParameters }: any, ok: () => void, fail: (e: Error) => void) => w.legConnect({ transportId: recv.id, dtlsParameters }).then(ok, fail));
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      w.producer = await send.produce({ track: stream.getAudioTracks()[0] });
      const c = await w.legConsume(device.rtpCapabilities);
      w.consumer = await recv.consume(c);
      const audio = new Audio();
      audio.srcObject = new MediaStream([w.consumer.track]);
      await audio.play().catch(() => {});
    },
    { params: leg.transportParams as any, caps: leg.routerRtpCapabilities as any },
  );

  // Agent → caller: the fake microphone's tone reaches the RTP caller (as PCMA).
  await peer.waitFor(() => peer.stats().packets >= 100 && rms(peer.receivedAudio().subarray(-8000)) > 1000, 20_000, 'the agent’s voice at the caller');

  // Caller → agent: the browser's inbound RTP carries energy.
  const talking = peer.sendTone(440, 3000, 8000);
  const inbound = async () =>
    page.evaluate(async () => {
      const stats = await (window as any).consumer.getStats();
      let r = { packets: 0, energy: 0 };
      stats.forEach((s: any) => {
        if (s.type === 'inbound-rtp') r = { packets: s.packetsReceived ?? 0, energy: s.totalAudioEnergy ?? 0 };
      });
      return r;
    });
  let seen = { packets: 0, energy: 0 };
  const deadline = Date.now() + 20_000;
  // getStats has no event to wait on: poll it (the caller's 3 s of tone is the time budget).
  while (!(seen.packets >= 50 && seen.energy > 0.01) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    seen = await inbound();
  }
  expect(seen.packets).toBeGreaterThanOrEqual(50);
  expect(seen.energy).toBeGreaterThan(0.01);
  await talking;

  const { wav } = await rec.stop();
  const { left, right } = stereoChannels(await readAll(wav));
  expect(rms(left)).toBeGreaterThan(1000); // the caller's tone
  expect(rms(right)).toBeGreaterThan(1000); // the agent's microphone
  call.close();
  peer.close();
});
