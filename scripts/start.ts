/**
 * `npm start`: the hub on embedded defaults. Starts PostgreSQL + the MongoDB-compatible store and
 * redis-server under .data/ unless MONGODB_URI / REDIS_URL are set, seeds demo data when asked
 * (CCHUB_SEED_DEMO=1, which `npm start` sets; refused beyond loopback), serves the
 * console, the widget and a demo page, and prints the URLs and demo logins.
 * Also the process entry for production (with MONGODB_URI, REDIS_URL and CCHUB_JWT_SECRET set).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig, redactConfig } from '../config/index.js';
import { Hub } from '../hub/hub.js';
import { DEMO_USERS, isLoopbackHost, seedDemo } from '../hub/seed.js';
import { startEmbedded, type Embedded } from './embedded.js';
import { seedIvrDemo } from '../gateway/ivr/demo-flow.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`cchub: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ level: config.logLevel });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let embedded: Embedded | undefined;
  /** The embedded services' addresses (never a configured one: it may carry credentials). */
  const embeddedAddrs: string[] = [];
  if (!config.mongoUri || !config.redisUrl) {
    log.info({ dir: join(dataDir, 'embedded') }, 'starting embedded PostgreSQL + MongoDB-compatible store + Redis');
    // Supervised: a service that dies (killed, crashed) comes back on its port; the hub reconnects.
    embedded = await startEmbedded({ dir: join(dataDir, 'embedded'), persistent: true, supervise: { log: (m) => log.warn(m) } });
    if (!config.mongoUri) embeddedAddrs.push(`Embedded store: ${embedded.mongoUri}cchub  (MongoDB wire protocol; FerretDB on PostgreSQL)`);
    if (!config.redisUrl) embeddedAddrs.push(`Embedded Redis: ${embedded.redisUrl}`);
    config = { ...config, mongoUri: config.mongoUri ?? embedded.mongoUri + 'cchub', redisUrl: config.redisUrl ?? embedded.redisUrl };
  }
  if (!config.jwtSecret) {
    // A local secret kept beside the data, so sessions survive restarts of a local hub.
    const f = join(dataDir, 'jwt-secret');
    if (!existsSync(f)) writeFileSync(f, randomBytes(32).toString('hex'), { mode: 0o600 });
    config = { ...config, jwtSecret: readFileSync(f, 'utf8').trim() };
  }
  log.debug({ config: redactConfig(config) }, 'configuration');
  // The demo logins' passwords are in the README: never on a hub others can reach.
  if (config.seedDemo && !isLoopbackHost(config.host)) {
    console.error(`cchub: refusing to seed the demo logins on ${config.host}: their passwords are public. Set CCHUB_SEED_DEMO=0 and create the first admin with \`npm run create-admin\`.`);
    await embedded?.stop().catch(() => undefined);
    process.exit(2);
  }
  const hub = await Hub.create(config, log);
  if (config.seedDemo) {
    await seedDemo(hub.m);
    await seedIvrDemo(hub.ivr, log.child({ mod: 'ivr' }));
  }
  const url = await hub.listen();
  console.log(`hub listening on ${url}`);
  if (config.seedDemo) {
    console.log(`\n  Agent console:  ${url}/console/\n  Demo bank page: ${url}/demo/  (web chat widget)\n  Metrics:        ${url}/metrics\n\n  Demo logins:`);
    for (const u of DEMO_USERS) console.log(`    ${u.role.padEnd(10)} ${u.username} / ${u.password}`);
    console.log('');
  }
  // So the data can be looked at with one's own tools (mongosh, Compass, redis-cli); loopback only.
  for (const a of embeddedAddrs) console.log(`  ${a}`);
  if (embeddedAddrs.length) console.log('');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await hub.close().catch((e) => log.error({ err: e }, 'hub close failed'));
    await embedded?.stop().catch(() => undefined);
    process.exit(0);
  };
  // A stray rejected promise in one socket or job handler must not take every connection down with
  // it: log it loudly (each is a bug to fix) and keep serving.
  process.on('unhandledRejection', (e) => log.error({ err: e }, 'unhandled promise rejection'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e) => {
  console.error('cchub: failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
