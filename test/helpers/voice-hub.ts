/**
 * A real hub with the voice connector on (SIP on 127.0.0.1, a free UDP port; trunk `carrier` on
 * 127.0.0.2 for 95588; RTP from the test file's own port slice), the demo hotline flow seeded and its
 * prompts generated, and a sipp call against it (tests/channels/sipp/*.xml).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VoiceConnector } from '../../channels/voice/connector.js';
import { seedDemoFlow, warmPrompts } from '../../gateway/ivr/demo-flow.js';
import { startTestHub, type TestHub } from './hub.js';
import { runSipp, type SippResult } from './sipp.js';

export interface VoiceHub extends TestHub {
  voice: VoiceConnector;
  sipPort: number;
  /** Calls 95588 from `caller` with a scenario of test/channels/sipp; sipp's RTP on mediaPort. */
  call(scenario: string, caller: string, mediaPort: number, timeoutSec?: number): Promise<SippResult>;
}

export async function startVoiceHub(name: string, rtpMinPort: number, overrides: Record<string, unknown> = {}): Promise<VoiceHub> {
  const h = await startTestHub({
    name,
    overrides: {
      dataDir: mkdtempSync(join(tmpdir(), `${name}-`)),
      voice: {
        enabled: true,
        sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] },
        trunks: [{ name: 'carrier', addresses: ['127.0.0.2'], numbers: ['95588'] }],
        // The caller is silent between digits: no stall within a test.
        rtp: { minPort: rtpMinPort, maxPort: rtpMinPort + 199, announcedAddress: '127.0.0.1', stallSeconds: 300 },
      },
      ...overrides,
    },
  });
  const stored = await seedDemoFlow(h.hub.ivr);
  await warmPrompts(h.hub.ivr, stored.flow);
  const voice = h.hub.connectors.byChannel.get('voice') as VoiceConnector;
  const sipPort = voice.listening.find((l) => l.transport === 'udp')!.port;
  return {
    ...h,
    voice,
    sipPort,
    call: (scenario, caller, mediaPort, timeoutSec = 120) =>
      runSipp({
        scenario: fileURLToPath(new URL(`../channels/sipp/${scenario}`, import.meta.url)),
        target: `127.0.0.1:${sipPort}`,
        transport: 'udp',
        timeoutSec,
        vars: { caller },
        extraArgs: ['-mp', String(mediaPort)],
      }),
  };
}
