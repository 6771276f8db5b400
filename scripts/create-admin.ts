/**
 * `npm run create-admin`: the first administrator of a deployment without demo data. Asks for the
 * username, name and password (typed twice, not echoed) on the terminal, so no password is left in
 * shell history, environment or compose files; refuses short and published demo passwords. Uses
 * MONGODB_URI, or the embedded store under the data directory like `npm start`.
 * In Docker: `docker compose exec hub1 npx tsx scripts/create-admin.ts`.
 */
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import { ConfigError, loadConfig } from '../config/index.js';
import { hashPassword } from '../hub/auth/password.js';
import { createModels } from '../hub/models/index.js';
import { DEMO_USERS } from '../hub/seed.js';
import { isDuplicateKey } from '../lib/errors.js';
import { startEmbedded } from './embedded.js';

const tty = process.stdin.isTTY === true;
const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
let muted = false;
// While a password is typed, echo nothing of it (the prompt itself is written before muting).
const write = (rl as unknown as { _writeToOutput(s: string): void })._writeToOutput.bind(rl);
(rl as unknown as { _writeToOutput(s: string): void })._writeToOutput = (s: string) => {
  if (!muted || s === '\r\n' || s === '\n') write(s);
};
const lines = rl[Symbol.asyncIterator]();

async function ask(question: string, hidden = false): Promise<string> {
  process.stdout.write(question);
  muted = hidden && tty;
  const { value, done } = await lines.next();
  muted = false;
  if (hidden && tty) process.stdout.write('\n');
  if (done) throw new Error('input ended');
  return String(value).trim();
}

function fail(message: string): never {
  console.error(`create-admin: ${message}`);
  process.exit(2);
}

try {
  const config = loadConfig();
  const username = (await ask('Username [admin]: ')) || 'admin';
  if (!/^[A-Za-z0-9._-]{3,64}$/.test(username)) fail('a username is 3-64 letters, digits, . _ -');
  const name = (await ask('Full name [Administrator]: ')) || 'Administrator';
  const password = await ask('Password (at least 10 characters): ', true);
  if (password.length < 10) fail('the password is shorter than 10 characters');
  if (DEMO_USERS.some((u) => u.password === password)) fail('that is a published demo password');
  if ((await ask('Password again: ', true)) !== password) fail('the passwords differ');
  rl.close();

  const embedded = config.mongoUri ? undefined : await startEmbedded({ dir: join(resolve(config.dataDir), 'embedded'), persistent: true });
  const conn = await mongoose.createConnection(config.mongoUri ?? `${embedded!.mongoUri}cchub`).asPromise();
  try {
    const m = createModels(conn);
    await m.User.createIndexes();
    const u = await m.User.create({ username, name, role: 'admin', passwordHash: await hashPassword(password), queues: ['general'], locale: 'en' }).catch((e) => {
      if (isDuplicateKey(e)) fail(`the username ${username} is taken`);
      throw e;
    });
    await m.Audit.create({ actor: { type: 'system', id: 'create-admin' }, action: 'user.create', target: { type: 'user', id: String(u._id) }, details: { username, role: 'admin' } });
    console.log(`created admin ${username}`);
  } finally {
    await conn.close();
    await embedded?.stop();
  }
} catch (e) {
  fail(e instanceof ConfigError ? e.message : (e as Error).message);
}
