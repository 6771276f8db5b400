/**
 * Demo data so a newcomer can sign in at once: users of every role, queues and a few customers with
 * past conversations. Idempotent: running it again changes nothing that exists.
 */
import { Types } from 'mongoose';
import type { Models } from './models/index.js';
import { hashPassword } from './auth/password.js';
import { isDuplicateKey } from '../lib/errors.js';
import { identityKey, normaliseAddress } from './identities.js';

export const DEMO_USERS = [
  { username: 'agent1', password: 'agent1pass', name: '李娜 Li Na', role: 'agent', queues: ['general', 'cards'], skills: ['mandarin', 'cards'], team: 'retail', locale: 'zh' },
  { username: 'agent2', password: 'agent2pass', name: 'Chan Tai Man', role: 'agent', queues: ['general', 'wealth'], skills: ['cantonese', 'english', 'wealth'], team: 'retail', locale: 'en' },
  { username: 'super1', password: 'super1pass', name: '王强 Wang Qiang', role: 'supervisor', queues: ['general', 'cards', 'wealth', 'vip'], skills: [], locale: 'zh' },
  { username: 'market1', password: 'market1pass', name: 'Mia Marketing', role: 'marketing', queues: [], skills: [], locale: 'en' },
  { username: 'admin', password: 'adminpass', name: 'Administrator', role: 'admin', queues: ['general', 'cards', 'wealth', 'vip'], skills: [], locale: 'en' },
] as const;

const QUEUES = [
  { _id: 'general', label: { en: 'General service', zh: '综合服务' }, skills: [] },
  { _id: 'cards', label: { en: 'Credit cards', zh: '信用卡' }, skills: ['cards'] },
  { _id: 'wealth', label: { en: 'Wealth management', zh: '财富管理' }, skills: ['wealth'] },
  { _id: 'vip', label: { en: 'VIP line', zh: '贵宾专线' }, skills: [] },
];

/** Capacity per channel for the team's agents (an agent's own capacity overrides it). */
const TEAMS = [{ _id: 'retail', name: '零售客服 Retail service', capacity: { voice: 1, webchat: 3, email: 5, sms: 3, fax: 2 } }];

const CUSTOMERS = [
  { name: '张伟 Zhang Wei', tier: 'vip', segment: 'private banking', language: 'zh', identities: [{ channel: 'voice', address: '+8613800138000' }, { channel: 'email', address: 'zhang.wei@example.com' }] },
  { name: 'Wong Siu Ling', tier: 'gold', segment: 'retail', language: 'en', identities: [{ channel: 'sms', address: '+85291234567' }] },
] as const;

export async function seedDemo(m: Models): Promise<{ created: number }> {
  let created = 0;
  for (const q of QUEUES) {
    await m.Queue.updateOne({ _id: q._id }, { $setOnInsert: q }, { upsert: true });
  }
  for (const t of TEAMS) await m.Team.updateOne({ _id: t._id }, { $setOnInsert: t }, { upsert: true });
  for (const u of DEMO_USERS) {
    if (await m.User.exists({ username: u.username })) continue;
    try {
      await m.User.create({ ...u, passwordHash: await hashPassword(u.password) });
      created++;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
  }
  for (const c of CUSTOMERS) {
    // Claim the first identity, then create the customer it points to: two hubs seeding at once
    // create each customer once (the loser of the claim skips it), as ingest does for first contacts.
    const id = new Types.ObjectId();
    const norm = c.identities.map((i) => ({ ...normaliseAddress(i.channel, i.address, 'CN'), channel: i.channel }));
    const [first, ...rest] = norm.map((n) => identityKey(n));
    try {
      await m.Identity.create({ _id: first, customerId: id, kind: norm[0].kind, address: norm[0].address, channels: [norm[0].channel], verified: true });
    } catch (e) {
      if (isDuplicateKey(e)) continue;
      throw e;
    }
    await m.Customer.updateOne({ _id: id }, { $setOnInsert: c }, { upsert: true });
    for (const [k, key] of rest.entries()) await m.Identity.create({ _id: key, customerId: id, kind: norm[k + 1].kind, address: norm[k + 1].address, channels: [norm[k + 1].channel], verified: true }).catch((e) => { if (!isDuplicateKey(e)) throw e; });
    created++;
  }
  return { created };
}
