/**
 * A hub child process with the SMS connector bound to an SMSC simulator (test/helpers/smsc.ts, real
 * SMPP over TCP), on embedded services of its own: for tests that SIGKILL the hub (restart()) or
 * freeze its store (svc.stall()) without touching any other test file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { restartHubProcess, startHubProcess, type HubProcess } from './hub-process.js';
import { startOwnServices, type OwnServices } from './own-services.js';
import { Smsc } from './smsc.js';
import { waitFor } from './wait.js';

export interface SmsHub {
  svc: OwnServices;
  smsc: Smsc;
  db: Connection;
  hub(): HubProcess;
  /** SIGKILL the hub now (the signal goes out before the first await) and start the next one; resolves once it is bound. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmsHub(name: string, sms: Record<string, unknown> = {}): Promise<SmsHub> {
  const svc = await startOwnServices(name);
  const smsc = new Smsc();
  const port = await smsc.listen();
  const dir = mkdtempSync(join(tmpdir(), `cchub-${name}-`));
  const configFile = join(dir, 'cchub.config.json');
  const account = { name: 'cmcc', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: 10, tps: 1000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general' };
  writeFileSync(configFile, JSON.stringify({ sms: { enabled: true, accounts: [account], responseTimeoutSec: 2, ...sms } }));
  const mongoUri = `${svc.mongoUri}${name.replace(/\W/g, '_')}`;
  const opts = { mongoUri, redisUrl: svc.redisUrl, redisPrefix: `${name.replace(/\W/g, '')}${randomBytes(4).toString('hex')}`, env: { CCHUB_CONFIG: configFile } };
  let db: Connection | undefined;
  let h: HubProcess | undefined;
  try {
    h = await startHubProcess(opts);
    db = await mongoose.createConnection(mongoUri).asPromise();
    await waitFor(() => smsc.sessions.size === 1, 20_000, 'the hub binds to the SMSC');
  } catch (e) {
    await h?.kill9();
    await db?.close();
    await smsc.close();
    await svc.stop();
    throw e;
  }
  let hub = h;
  return {
    svc,
    smsc,
    db,
    hub: () => hub,
    restart() {
      const next = restartHubProcess(hub, opts);
      return (async () => {
        hub = await next;
        await waitFor(() => smsc.sessions.size === 1, 30_000, 'the new hub binds');
      })();
    },
    async close() {
      await hub.kill9();
      await db!.close();
      await smsc.close();
      await svc.stop();
    },
  };
}
