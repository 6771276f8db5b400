/**
 * After a web chat ends its customer rates it (CSAT 1-5 and a comment, stored once on the conversation,
 * shown to agents and supervisors live and in the API) and may ask for its transcript by e-mail, sent
 * through the e-mail connector to a real SMTP server (OpenSMTPD → Dovecot) without internal notes;
 * without an e-mail connector the widget is told clearly (422 channel_unavailable).
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { Sockets } from '../helpers/sockets.js';
import { newVisitor, type TestVisitor } from '../helpers/visitor.js';
import { nextEvent } from '../helpers/wait.js';

const sockets = new Sockets();
let servers: MailServers;
let h: TestHub;
let bare: TestHub;
let superToken = '';

beforeAll(async () => {
  servers = await startMailServers([{ name: 'service', password: 'service-pass' }, { name: 'customer', password: 'customer-pass' }]);
  h = await startTestHub({
    name: 'csat',
    overrides: {
      email: {
        enabled: true,
        mailboxes: [{ name: 'service', address: 'service@bank.example', queue: 'general', kind: 'email', imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'service', password: 'service-pass', folder: 'INBOX' }, smtp: { host: servers.host, port: servers.smtpPort, secure: false } }],
      },
    },
  });
  bare = await startTestHub({ name: 'csat_no_email' });
  superToken = await loginAs(h.url, 'super1');
}, 120_000);
afterAll(async () => {
  sockets.closeAll();
  await Promise.allSettled([h?.close(), bare?.close()]);
  await servers?.stop();
});

type Ack = { ok: boolean; error?: { code: string; message: string } };
const ask = (v: TestVisitor, event: string, payload: unknown): Promise<Ack> => v.socket.timeout(10_000).emitWithAck(event, payload);

/** A visitor's chat with a reply and an internal note, resolved by a supervisor. */
async function endedChat(hub: TestHub, token: string, name: string): Promise<{ v: TestVisitor; id: string }> {
  const v = await newVisitor(hub.url, sockets, name);
  const { conversationId: id } = await v.send('我的信用卡被锁了 my card is locked');
  expect((await api(hub.url, `/api/conversations/${id}/messages`, { token, body: { text: 'Unlocked now, 已解锁', clientId: `r-${id}` } })).status).toBe(201);
  expect((await api(hub.url, `/api/conversations/${id}/notes`, { token, body: { text: 'SECRET-NOTE checked ID', clientId: `n-${id}` } })).status).toBeLessThan(300);
  return { v, id };
}
const resolve = (hub: TestHub, token: string, id: string) => api(hub.url, `/api/conversations/${id}/resolve`, { token, body: { wrapUpCode: 'resolved' } });

describe('satisfaction rating', () => {
  test('only once the chat has ended; stored on the conversation once, audited, and shown to supervisors live and in the API', async () => {
    const { v, id } = await endedChat(h, superToken, 'Rating Visitor');
    const early = await ask(v, 'csat.submit', { conversationId: id, score: 5 });
    expect(early.error?.code).toBe('not_ended');
    expect((await resolve(h, superToken, id)).status).toBe(200);

    const watcher = await sockets.connect(h.url, '/agent', superToken);
    const seen = nextEvent<{ conversation: { id: string; csat?: { score: number; comment?: string } } }>(watcher, 'conversation.updated', (p) => p.conversation.id === id && !!p.conversation.csat, 10_000);
    const ok = await ask(v, 'csat.submit', { conversationId: id, score: 4, comment: '很快 quick' });
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true });
    expect((await seen).conversation.csat).toMatchObject({ score: 4, comment: '很快 quick' });
    const detail = await api(h.url, `/api/conversations/${id}`, { token: superToken });
    expect(detail.body.conversation.csat).toMatchObject({ score: 4, comment: '很快 quick' });
    expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.rate', 'target.id': id })).toBe(1);

    // The same rating again (a resend after a lost ack) is fine; another one is refused and changes nothing.
    expect(await ask(v, 'csat.submit', { conversationId: id, score: 4, comment: '很快 quick' })).toMatchObject({ ok: true });
    expect((await ask(v, 'csat.submit', { conversationId: id, score: 1 })).error?.code).toBe('already_rated');
    expect(((await h.hub.m.Conversation.findById(id).lean()) as { csat?: { score: number } }).csat?.score).toBe(4);
    expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.rate', 'target.id': id })).toBe(1);
  });

  test('bad input is refused and changes nothing; nobody rates another customer\'s conversation', async () => {
    const { v, id } = await endedChat(h, superToken, 'Careful Visitor');
    expect((await resolve(h, superToken, id)).status).toBe(200);
    for (const bad of [{ conversationId: id, score: 6 }, { conversationId: id, score: 0 }, { conversationId: id, score: 2.5 }, { conversationId: 'nope', score: 3 }, { conversationId: id, score: 3, comment: 'x'.repeat(1001) }, { conversationId: id, score: 3, extra: 1 }]) {
      expect((await ask(v, 'csat.submit', bad)).error?.code, JSON.stringify(bad)).toBe('bad_request');
    }
    const stranger = await newVisitor(h.url, sockets, 'Stranger');
    expect((await ask(stranger, 'csat.submit', { conversationId: id, score: 1 })).error?.code).toBe('not_found');
    expect((await ask(stranger, 'transcript.request', { conversationId: id, email: 'customer@example.cn' })).error?.code).toBe('not_found');
    expect(((await h.hub.m.Conversation.findById(id).lean()) as { csat?: unknown }).csat).toBeFalsy();
  });
});

describe('transcript by e-mail', () => {
  test('reaches the customer\'s mailbox through the e-mail connector, with the chat and without internal notes', async () => {
    const { v, id } = await endedChat(h, superToken, 'Mail Visitor');
    expect((await resolve(h, superToken, id)).status).toBe(200);
    expect((await ask(v, 'transcript.request', { conversationId: id, email: 'not-an-address' })).error?.code).toBe('bad_request');
    const r = await ask(v, 'transcript.request', { conversationId: id, email: 'customer@example.cn', locale: 'zh' });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'customer', pass: 'customer-pass' }, logger: false });
    await imap.connect();
    const lock = await imap.getMailboxLock('INBOX');
    let source = '';
    try {
      while ((imap.mailbox as { exists: number }).exists < 1) {
        const more = new Promise<void>((res) => imap.once('exists', () => res()));
        void imap.idle();
        await more;
      }
      for await (const m of imap.fetch('1:*', { source: true })) source = m.source!.toString('utf8');
    } finally {
      lock.release();
      await imap.logout();
    }
    const { simpleParser } = await import('mailparser');
    const mail = await simpleParser(source);
    expect(mail.subject).toBe('您的在线咨询记录');
    expect(mail.text).toContain('我的信用卡被锁了 my card is locked');
    expect(mail.text).toContain('Unlocked now, 已解锁');
    expect(mail.text).not.toContain('SECRET-NOTE');
    expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.transcript', 'target.id': id })).toBe(1);
  });

  test('without an e-mail connector the visitor is told it is not available (422 channel_unavailable)', async () => {
    const token = await loginAs(bare.url, 'super1');
    const { v, id } = await endedChat(bare, token, 'No Mail Visitor');
    expect((await resolve(bare, token, id)).status).toBe(200);
    const r = await ask(v, 'transcript.request', { conversationId: id, email: 'someone@example.cn' });
    expect(r.error?.code).toBe('channel_unavailable');
    expect(r.error?.message).toMatch(/not available/);
  });
});
