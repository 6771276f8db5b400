/**
 * The far ends for bench/voice-media.ts, in a process of their own so the CPU the bench reports is
 * the media plane's alone. Driven over IPC: open N peers, then talk to the given answers for S seconds
 * and report what each received.
 */
import type { TrunkAnswer } from '../media/contract.js';
import { RtpPeer } from '../test/helpers/rtp-peer.js';

let peers: RtpPeer[] = [];

process.on('message', async (msg: { cmd: 'open'; n: number } | { cmd: 'talk'; answers: TrunkAnswer[]; seconds: number } | { cmd: 'close' }) => {
  if (msg.cmd === 'open') {
    for (const p of peers) p.close();
    peers = await Promise.all(Array.from({ length: msg.n }, () => RtpPeer.open()));
    process.send!({ ports: peers.map((p) => p.local.port) });
  } else if (msg.cmd === 'talk') {
    peers.forEach((p, i) => p.useAnswer(msg.answers[i]));
    await Promise.all(peers.map((p) => p.sendTone(300 + (peers.indexOf(p) % 20) * 50, msg.seconds * 1000, 6000)));
    // What was in flight towards us arrives within a frame or two.
    await new Promise((r) => setTimeout(r, 200));
    process.send!({ stats: peers.map((p) => { const s = p.stats(); return { packets: s.packets, lost: s.lost, jitterMs: s.jitterMs }; }) });
  } else {
    for (const p of peers) p.close();
    process.exit(0);
  }
});
