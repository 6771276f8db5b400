/**
 * The registry and connector lifecycle (issue 15): a connector the hub has never heard of is built from
 * its definition alone, gets a logger tagged with it, and its lifecycle (started, degraded with a
 * reason, reconnected, stopped) shows in /readyz — listed, without making the hub not-ready — and in
 * the /metrics gauge. A connector switched off in config is not built at all.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, expect, test } from 'vitest';
import { z } from 'zod';
import { defineConnector, type ChannelConnector, type ConnectorContext } from '../../channels/contract.js';
import { connectors as registry } from '../../channels/index.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';

class ProbeConnector implements ChannelConnector {
  readonly kind = 'fax' as const;
  ctx?: ConnectorContext;
  constructor(readonly config: { token: string }) {}
  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    ctx.log.info('probe transport up');
    ctx.lifecycle({ type: 'started' });
  }
  async stop(): Promise<void> {}
  async send() {
    return { status: 'sent' as const };
  }
  mapStatus() {
    return undefined;
  }
}

let probe: ProbeConnector | undefined;
const probeDef = defineConnector({
  kind: 'fax',
  config: z.object({ token: z.string().default('probe-secret-token') }),
  enabledByDefault: true,
  secrets: ['token'],
  create: (c) => (probe = new ProbeConnector(c)),
});

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
    cb();
  },
});

const hubs: TestHub[] = [];
afterAll(async () => {
  for (const h of hubs) await h.close().catch(() => undefined);
});

const metric = async (url: string, connector: string, state: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(new RegExp(`^cchub_connector_state\\{connector="${connector}",state="${state}"\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
};

test('a connector unknown to the hub is built from its definition; its lifecycle shows in /readyz and /metrics; its log lines carry its name', async () => {
  const h = await startTestHub({ name: 'registry_probe', connectors: [...registry, probeDef], log: pino({ level: 'info' }, sink) });
  hubs.push(h);
  expect(probe?.config.token).toBe('probe-secret-token');
  expect(lines.find((l) => l.msg === 'probe transport up')).toMatchObject({ connector: 'fax' });

  let r = await api(h.url, '/readyz');
  expect(r.status).toBe(200);
  expect(r.body.connectors).toMatchObject({ webchat: { state: 'up' }, fax: { state: 'up' } });
  expect(await metric(h.url, 'fax', 'up')).toBe(1);
  expect(await metric(h.url, 'fax', 'degraded')).toBe(0);

  // Degraded: listed with its reason, and the hub stays ready (other channels and consoles still work).
  probe!.ctx!.lifecycle({ type: 'degraded', reason: 'gateway refused the registration' });
  r = await api(h.url, '/readyz');
  expect(r.status).toBe(200);
  expect(r.body.ok).toBe(true);
  expect(r.body.connectors.fax).toMatchObject({ state: 'degraded', reason: 'gateway refused the registration' });
  expect(r.body.connectors.webchat).toMatchObject({ state: 'up' });
  expect(await metric(h.url, 'fax', 'degraded')).toBe(1);
  expect(await metric(h.url, 'fax', 'up')).toBe(0);
  expect(lines.find((l) => l.msg === 'connector degraded')).toMatchObject({ connector: 'fax', reason: 'gateway refused the registration' });

  probe!.ctx!.lifecycle({ type: 'reconnected' });
  r = await api(h.url, '/readyz');
  expect(r.body.connectors.fax).toMatchObject({ state: 'up' });
  expect(r.body.connectors.fax.reason).toBeUndefined();
  expect(await metric(h.url, 'fax', 'up')).toBe(1);

  await h.close();
  expect(h.hub.connectors.states()).toMatchObject({ webchat: { state: 'stopped' }, fax: { state: 'stopped' } });
  // The connector's secret never reached a log line.
  expect(JSON.stringify(lines)).not.toContain('probe-secret-token');
});

test('a connector switched off in config is not built: no routes, no namespace, not listed', async () => {
  const h = await startTestHub({ name: 'registry_off', overrides: { 'webchat.enabled': false } });
  hubs.push(h);
  expect(h.hub.connectors.get('webchat')).toBeUndefined();
  expect((await api(h.url, '/api/webchat/status')).status).toBe(404);
  const r = await api(h.url, '/readyz');
  expect(r.status).toBe(200);
  expect(r.body.connectors).toEqual({});
  // The agent side runs as before.
  expect(await loginAs(h.url, 'agent1')).toBeTruthy();
});
