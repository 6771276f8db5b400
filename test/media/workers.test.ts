// Worker supervision, resource release and where the worker binary is found.
import { execFileSync } from 'node:child_process';
import * as mediasoup from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaEngineImpl } from '../../media/engine.js';
import { workerBinPath } from '../../media/worker-bin.js';
import { startMediaEngine, toneFiles } from '../helpers/media-engine.js';
import { RtpPeer } from '../helpers/rtp-peer.js';

let engine: MediaEngineImpl;
const files = toneFiles([{ name: 'beep', hz: 1000, ms: 200 }]);
beforeAll(async () => {
  engine = await startMediaEngine(42600, { maxPort: 42619 }); // 10 even ports: a leak runs out fast
});
afterAll(() => engine?.close());

describe('workers', () => {
  it('finds the worker where scripts/build-mediasoup.sh put it', () => {
    const built = execFileSync('bash', ['scripts/build-mediasoup.sh'], { encoding: 'utf8' }).trim();
    expect(workerBinPath(mediasoup.version)).toBe(built);
  });

  it('a killed worker closes its calls with worker-died, is reported, and a replacement takes the next call', async () => {
    const [pid] = engine.workerPids;
    const a = await engine.createCall('victim-a');
    const b = await engine.createCall('victim-b');
    const peer = await RtpPeer.open();
    await a.answerTrunk(peer.offer());
    const reasons: string[] = [];
    a.on('close', ({ reason }) => reasons.push(reason));
    b.on('close', ({ reason }) => reasons.push(reason));
    const died = new Promise<{ pid: number; calls: string[] }>((r) => engine.on('workerDied', r));
    process.kill(pid, 'SIGKILL');
    const report = await died;
    expect(report).toEqual({ pid, calls: ['victim-a', 'victim-b'] });
    expect(reasons).toEqual(['worker-died', 'worker-died']);
    expect(engine.calls.size).toBe(0);
    // The next call works (on the replacement).
    const c = await engine.createCall('after');
    peer.useAnswer(await c.answerTrunk(peer.offer()));
    await c.play(files.beep).done;
    await peer.waitFor(() => peer.stats().packets >= 10, 5000, 'audio after the replacement');
    expect(engine.workerPids).toHaveLength(1);
    expect(engine.workerPids[0]).not.toBe(pid);
    c.close();
    peer.close();
  });

  it('closing calls frees their ports and transports: 200 create/answer/close cycles on 10 ports, some with agent legs', async () => {
    const peer = await RtpPeer.open();
    const transportsBefore = await engine.transportCount();
    for (let i = 0; i < 200; i++) {
      const call = await engine.createCall(`cycle-${i}`);
      await call.answerTrunk(peer.offer());
      // Every tenth call also gets an agent leg: its WebRTC and bridge transports must go too.
      if (i % 10 === 0) await call.createAgentLeg('agent');
      call.close();
    }
    expect(engine.portsInUse).toBe(0);
    expect(engine.calls.size).toBe(0);
    expect(await engine.transportCount()).toBe(transportsBefore);
    peer.close();
  });
});
