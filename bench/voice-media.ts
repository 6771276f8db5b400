/**
 * The G.711 media plane under load: N concurrent answered calls, each with a caller (a real UDP RTP
 * peer in another process) talking for the whole run while the engine plays music on hold to it
 * (looped WAV, paced by the engine's frame clock) and records both directions. Measured at the
 * callers: packets lost and interarrival jitter of what the engine sent; at the engine: packets
 * received, and the CPU of this process per call. In the same run the floor: the same callers
 * against a bare UDP loop in this process (one socket per call, a pre-encoded frame every 20 ms from
 * one timer, received packets only counted).
 *   npm run bench:voice-media          (CALLS=50,100,200 SECONDS=10 by default)
 */
import dgram from 'node:dgram';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TrunkAnswer } from '../media/contract.js';
import { createMediaEngine } from '../media/engine.js';
import { FrameClock } from '../media/clock.js';
import { buildRtp } from '../media/rtp/packet.js';
import { toneFiles } from '../test/helpers/media-engine.js';

const CALLS = (process.env.CALLS ?? '50,100,200').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 10);
const moh = toneFiles([{ name: 'moh', hz: 440, ms: 3000 }]).moh;

interface PeerStats { packets: number; lost: number; jitterMs: number }

function ask<T>(child: ChildProcess, msg: unknown): Promise<T> {
  const reply = once(child, 'message').then(([m]) => m as T);
  child.send(msg as never);
  return reply;
}

function summary(stats: PeerStats[], expected: number) {
  const received = stats.reduce((a, s) => a + s.packets, 0);
  const lost = stats.reduce((a, s) => a + Math.max(0, s.lost), 0);
  const jitters = stats.map((s) => s.jitterMs).sort((a, b) => a - b);
  return {
    // Sequence gaps at the callers (RFC 3550 §6.4.1): packets sent and never received.
    lossPct: +((100 * lost) / Math.max(1, received + lost)).toFixed(3),
    // Frames the callers got against 50/s for the run's wall time (a late sender shows here).
    deliveredPct: +((100 * received) / expected).toFixed(1),
    jitterMeanMs: +(jitters.reduce((a, b) => a + b, 0) / jitters.length).toFixed(2),
    jitterP99Ms: +jitters[Math.floor(jitters.length * 0.99)].toFixed(2),
  };
}

async function engineRun(child: ChildProcess, n: number) {
  const engine = await createMediaEngine({ rtp: { minPort: 46000, maxPort: 49999, announcedAddress: '127.0.0.1' } });
  const { ports } = await ask<{ ports: number[] }>(child, { cmd: 'open', n });
  const calls = await Promise.all(ports.map((port, i) => engine.createCall(`bench-${i}`)));
  const answers: TrunkAnswer[] = [];
  for (let i = 0; i < n; i++) {
    answers.push(await calls[i].answerTrunk({ remote: { address: '127.0.0.1', port: ports[i] }, codecs: [{ name: 'PCMU', payloadType: 0, clockRate: 8000 }, { name: 'telephone-event', payloadType: 101, clockRate: 8000 }] }));
  }
  const recorders = calls.map((c) => c.record());
  const players = calls.map((c) => c.play(moh, { loop: true }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const talk = ask<{ stats: PeerStats[] }>(child, { cmd: 'talk', answers, seconds: SECONDS });
  // The engine plays for as long as the callers talk.
  const { stats } = await talk;
  players.forEach((p) => p.stop());
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const recorded = await Promise.all(recorders.map((r) => r.stop()));
  for (const r of recorded) r.wav.resume(); // drain (and so delete) the temporary files
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  const res = { calls: n, ...summary(stats, Math.round((wallMs / 20) * n)), cpuPctTotal: +cpuPct.toFixed(1), cpuPctPerCall: +(cpuPct / n).toFixed(3) };
  for (const c of calls) c.close();
  await engine.close();
  return res;
}

async function floorRun(child: ChildProcess, n: number) {
  const { ports } = await ask<{ ports: number[] }>(child, { cmd: 'open', n });
  const sockets = await Promise.all(ports.map(async () => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    return s;
  }));
  let received = 0;
  for (const s of sockets) s.on('message', () => received++);
  const frame = Buffer.alloc(160, 0xff);
  let seq = 0;
  const clock = new FrameClock(() => {});
  const answers: TrunkAnswer[] = sockets.map((s) => ({ local: { address: '127.0.0.1', port: s.address().port }, codec: { name: 'PCMU', payloadType: 0 } }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = clock.subscribe(() => {
    seq++;
    sockets.forEach((s, i) => s.send(buildRtp({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: i + 1, payload: frame }), ports[i], '127.0.0.1'));
  });
  const { stats } = await ask<{ stats: PeerStats[] }>(child, { cmd: 'talk', answers, seconds: SECONDS });
  stop();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  for (const s of sockets) s.close();
  clock.stop();
  return { calls: n, ...summary(stats, Math.round((wallMs / 20) * n)), cpuPctTotal: +cpuPct.toFixed(1), cpuPctPerCall: +(cpuPct / n).toFixed(3), receivedFromCallers: received };
}

const child = fork(fileURLToPath(new URL('./voice-media-peers.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
console.log(`voice media bench: ${SECONDS} s per run, callers in pid ${child.pid}, engine in pid ${process.pid}`);
for (const n of CALLS) {
  const ours = await engineRun(child, n);
  const floor = await floorRun(child, n);
  console.log(JSON.stringify({ engine: ours, bareUdpFloor: floor }));
}
child.send({ cmd: 'close' });
