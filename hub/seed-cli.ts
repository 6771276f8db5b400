/**
 * `npm run seed`: create the demo users, queues and customers (idempotent). Uses MONGODB_URI, or the
 * embedded store under the data directory like `npm start`.
 */
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import { ConfigError, loadConfig } from '../config/index.js';
import { startEmbedded } from '../scripts/embedded.js';
import { createModels } from './models/index.js';
import { DEMO_USERS, seedDemo } from './seed.js';

try {
  const config = loadConfig();
  const embedded = config.mongoUri ? undefined : await startEmbedded({ dir: join(resolve(config.dataDir), 'embedded'), persistent: true });
  const uri = config.mongoUri ?? `${embedded!.mongoUri}cchub`;
  const conn = await mongoose.createConnection(uri).asPromise();
  const m = createModels(conn);
  await Promise.all(Object.values(m).map((model) => model.createIndexes()));
  const { created } = await seedDemo(m);
  console.log(`seeded: ${created} new records. Demo logins:`);
  for (const u of DEMO_USERS) console.log(`  ${u.role.padEnd(10)} ${u.username} / ${u.password}`);
  await conn.close();
  await embedded?.stop();
} catch (e) {
  console.error(`seed: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
  process.exit(e instanceof ConfigError ? 2 : 1);
}
