import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { ConfigError, loadConfig, redactConfig, redactNamed } from '../../config/index.js';

test('defaults load with nothing set', () => {
  const c = loadConfig({}, {});
  expect(c.port).toBe(8080);
  expect(c.webchat.maxAttachmentBytes).toBe(10 * 1024 * 1024);
  expect(c.ingest.maxInFlight).toBe(1);
});

test('environment overrides the defaults, overrides win over the environment', () => {
  const c = loadConfig({ port: 9000 }, { PORT: '8181', CCHUB_WEBCHAT_MESSAGES_PER_10S: '5', CCHUB_SEED_DEMO: '0' });
  expect(c.port).toBe(9000);
  expect(c.webchat.messagesPer10s).toBe(5);
  expect(c.seedDemo).toBe(false);
});

test('a bad value names the key and what is wrong', () => {
  expect(() => loadConfig({}, { PORT: 'eighty' })).toThrow(ConfigError);
  expect(() => loadConfig({}, { PORT: '70000' })).toThrow(/port:/);
  expect(() => loadConfig({}, { CCHUB_JWT_SECRET: 'short' })).toThrow(/jwtSecret: must be at least 32 characters/);
  expect(() => loadConfig({}, { LOG_LEVEL: 'loud' })).toThrow(/logLevel/);
});

test('secrets never appear in errors or in the printable config', () => {
  const secretUri = 'postgres://admin:hunter2@db.example/x';
  let msg = '';
  try {
    loadConfig({}, { MONGODB_URI: secretUri });
  } catch (e) {
    msg = (e as Error).message;
  }
  expect(msg).toMatch(/mongoUri: must start with mongodb:\/\//);
  expect(msg).not.toContain('hunter2');
  const c = loadConfig({}, { MONGODB_URI: 'mongodb://u:hunter2@127.0.0.1/x', CCHUB_JWT_SECRET: 'x'.repeat(40) });
  const printed = JSON.stringify(redactConfig(c));
  expect(printed).not.toContain('hunter2');
  expect(printed).not.toContain('x'.repeat(40));
});

test('npm start refuses a bad setting before starting anything, naming the key', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env: { ...process.env, PORT: 'not-a-port', CCHUB_JWT_SECRET: 'y'.repeat(40) }, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/invalid configuration:\n\s+port:/);
  expect(r.stderr + r.stdout).not.toContain('y'.repeat(40));
});

test('each connector section (channels/index.ts) is validated with the rest: env variables, on/off, a bad value names the key', () => {
  expect(loadConfig({}, {}).webchat.enabled).toBe(true);
  expect(loadConfig({}, { CCHUB_WEBCHAT_ENABLED: '0' }).webchat.enabled).toBe(false);
  expect(loadConfig({}, { CCHUB_WEBCHAT_EVENT_BURST: '7' }).webchat.eventBurst).toBe(7);
  expect(() => loadConfig({}, { CCHUB_WEBCHAT_MESSAGES_PER_10S: 'lots' })).toThrow(/webchat\.messagesPer10s:/);
  expect(() => loadConfig({ 'webchat.defaultQueue': '' })).toThrow(/webchat\.defaultQueue:/);
});

test('connector secrets are redacted wherever they sit in the section, lists included', () => {
  const section = { mailboxes: [{ name: 'a', imap: { user: 'u', password: 'hunter2' }, smtp: { password: 'swordfish' } }], token: 'tok-123', other: 'kept' };
  const printed = JSON.stringify(redactNamed(section, new Set(['password', 'token'])));
  expect(printed).not.toMatch(/hunter2|swordfish|tok-123/);
  expect(printed).toContain('kept');
  expect(printed).toContain('"user":"u"');
});
