/**
 * Fax-to-email end to end, on the real servers (OpenSMTPD → Dovecot) and a real hub: faxes mailed
 * to a `kind: "fax"` mailbox become messages on the fax channel, the sender's number (from each
 * source) the customer's E.164 identity, the document stored and every page drawn; a broken document
 * is kept with its reason and the mailbox goes on; an agent's fax goes to the email-to-fax gateway
 * with the document, and the gateway's confirmation mails move its status (by Message-ID and by the
 * subject's [ref id]).
 */
import { ImapFlow } from 'imapflow';
import { Types, mongo } from 'mongoose';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMail } from '../../../channels/email/parse.js';
import { faxPdf, faxTiff, pngBars } from '../../helpers/fax-docs.js';
import { api, loginAs, startTestHub, type TestHub } from '../../helpers/hub.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';
import { waitFor } from '../../helpers/wait.js';

let servers: MailServers;
let h: TestHub;
const smtp = () => nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });

beforeAll(async () => {
  servers = await startMailServers([
    { name: 'fax', password: 'fax-pass' },
    { name: 'faxgw', password: 'faxgw-pass' },
  ]);
  h = await startTestHub({
    name: 'email_fax',
    overrides: {
      identities: { defaultRegion: 'CN' },
      email: {
        enabled: true,
        mailboxes: [
          {
            name: 'fax',
            address: 'fax@bank.example',
            queue: 'general',
            kind: 'fax',
            // The gateway's mailbox here is faxgw (Dovecot drops the +tag when delivering).
            fax: { gateway: 'faxgw+{number}@fax.example' },
            imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'fax', password: 'fax-pass', folder: 'INBOX' },
            smtp: { host: servers.host, port: servers.smtpPort, secure: false },
          },
        ],
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
  await servers?.stop();
});

const stored = (externalId: string) => waitFor(() => h.hub.m.Message.findOne({ externalId }).lean(), 30_000, `message ${externalId}`) as Promise<any>;

async function file(id: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of new mongo.GridFSBucket(h.hub.conn.db!, { bucketName: 'attachments' }).openDownloadStream(new Types.ObjectId(id))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function gatewayInbox(count: number): Promise<Buffer[]> {
  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'faxgw', pass: 'faxgw-pass' }, logger: false });
  await imap.connect();
  const lock = await imap.getMailboxLock('INBOX');
  try {
    while ((imap.mailbox as { exists: number }).exists < count) {
      const more = new Promise<void>((r) => imap.once('exists', () => r()));
      void imap.idle();
      await more;
    }
    const out: Buffer[] = [];
    for await (const m of imap.fetch('1:*', { source: true })) out.push(m.source!);
    return out;
  } finally {
    lock.release();
    await imap.logout();
  }
}

const parse = (raw: Buffer) => {
  const parts: { name: string; contentType: string; bytes: Buffer }[] = [];
  return parseMail(raw, {
    maxAttachmentBytes: 1 << 24,
    sink: async (s, meta) => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      parts.push({ name: meta.name, contentType: meta.contentType, bytes: Buffer.concat(chunks) });
      return { id: String(parts.length) };
    },
  }).then((m) => ({ ...m, parts }));
};

test('a three-page G4 fax (labelled octet-stream): the number from the subject is the customer, every page drawn in order', async () => {
  const tiff = faxTiff('g4', 3);
  await smtp().sendMail({
    from: 'noreply@efax.example',
    to: 'fax@bank.example',
    subject: 'Fax from +86 10 8888 1234',
    text: 'You have received a 3 page fax.',
    messageId: '<fax-1@efax.example>',
    attachments: [{ filename: 'fax-20261203.tif', content: tiff, contentType: 'application/octet-stream' }],
  });
  const msg = await stored('fax-1@efax.example');
  expect(msg).toMatchObject({ channel: 'fax', direction: 'in', subject: 'Fax from +86 10 8888 1234' });
  expect(msg.text).toMatch(/^传真 \/ Fax \+861088881234: 3 页/);
  // The hub normalised the number (E.164) and keyed the customer by it.
  const identity = (await h.hub.m.Identity.findById('phone:+861088881234').lean()) as any;
  expect(String(identity?.customerId)).toBe(String(msg.customerId));
  const [doc, ...pages] = msg.attachments;
  expect(doc).toMatchObject({ name: 'fax-20261203.tif', contentType: 'image/tiff', size: tiff.length });
  expect((await file(doc.id)).equals(tiff)).toBe(true);
  expect(pages.map((p: any) => [p.name, p.contentType])).toEqual([1, 2, 3].map((n) => [`fax-page-${n}.png`, 'image/png']));
  const drawn = await Promise.all(pages.map(async (p: any) => pngBars(await file(p.id))));
  expect(drawn.map((d) => d.bars)).toEqual([1, 2, 3]);
  const conv = (await h.hub.m.Conversation.findById(msg.conversationId).lean()) as any;
  expect(conv).toMatchObject({ channel: 'fax', queue: 'general' });
});

test('a broken document is kept with the reason; the next fax (PDF, number from the Sender: line, not Receiver:) still comes in', async () => {
  const broken = Buffer.concat([faxTiff('g4', 1).subarray(0, 8), Buffer.alloc(500, 0x41)]);
  await smtp().sendMail({ from: 'noreply@efax.example', to: 'fax@bank.example', subject: 'New fax', text: 'Sender: +86 21 5555 0002', messageId: '<fax-broken@efax.example>', attachments: [{ filename: 'broken.tif', content: broken, contentType: 'image/tiff' }] });
  await smtp().sendMail({
    from: 'noreply@efax.example',
    to: 'fax@bank.example',
    subject: 'New fax received',
    text: 'Receiver: +86 10 6666 0000\nPages: 2\nSender: +86 (21) 5555-0001\n',
    messageId: '<fax-2@efax.example>',
    attachments: [{ filename: 'application.pdf', content: faxPdf(2), contentType: 'application/pdf' }],
  });
  const bad = await stored('fax-broken@efax.example');
  expect(bad.text).toMatch(/could not be drawn: tiff2pdf/);
  expect(bad.attachments).toHaveLength(1);
  expect((await file(bad.attachments[0].id)).equals(broken)).toBe(true);
  const pdf = await stored('fax-2@efax.example');
  const identity = (await h.hub.m.Identity.findById('phone:+862155550001').lean()) as any;
  expect(String(identity?.customerId)).toBe(String(pdf.customerId));
  expect(await h.hub.m.Identity.findById('phone:+861066660000').lean()).toBeNull();
  expect(pdf.attachments.map((a: any) => a.name)).toEqual(['application.pdf', 'fax-page-1.png', 'fax-page-2.png']);
});

test('an agent faxes a document back: it reaches the gateway; confirmations mark it delivered (by Message-ID) and failed (by [ref id])', async () => {
  const inbound = await stored('fax-2@efax.example');
  const doc = inbound.attachments[0];
  // Signing in makes the agent available: routing hands them the waiting faxes (all three: the team's
  // default of two would leave no room to take this one).
  await h.hub.m.User.updateOne({ username: 'agent1' }, { $set: { capacity: { fax: 5 } } });
  const token = await loginAs(h.url, 'agent1');
  const send = async (clientId: string) => {
    const r = await api(h.url, `/api/conversations/${inbound.conversationId}/messages`, { token, body: { text: '已签署，请查收。', clientId, attachmentIds: [doc.id] } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.message.id as string;
  };
  const first = await send('fax-out-0001');
  const [raw] = await gatewayInbox(1);
  const got = await parse(raw);
  expect(got.to.map((a) => a.address)).toEqual(['faxgw+862155550001@fax.example']);
  expect(got.subject).toBe(`Fax +862155550001 [ref ${first}]`);
  expect(got.text).toContain('已签署，请查收。');
  expect(got.parts.map((p) => [p.name, p.contentType])).toEqual([['application.pdf', 'application/pdf']]);
  expect(got.parts[0].bytes.equals(await file(doc.id))).toBe(true);
  await waitFor(async () => ((await h.hub.m.Message.findById(first).lean()) as any)?.status === 'sent', 15_000, 'fax sent');

  const before = await h.hub.m.Message.countDocuments({});
  await smtp().sendMail({ from: 'reports@fax.example', to: 'fax@bank.example', subject: 'Fax to +862155550001 delivered (2 pages)', text: 'Transmission OK.', messageId: '<conf-1@fax.example>', inReplyTo: `<${got.messageId}>` });
  await waitFor(async () => ((await h.hub.m.Message.findById(first).lean()) as any)?.status === 'delivered', 15_000, 'fax delivered');

  const second = await send('fax-out-0002');
  await gatewayInbox(2);
  await waitFor(async () => ((await h.hub.m.Message.findById(second).lean()) as any)?.status === 'sent', 15_000, 'second fax sent');
  await smtp().sendMail({ from: 'reports@fax.example', to: 'fax@bank.example', subject: `Fax failed: line busy [ref ${second}]`, text: 'The remote fax was busy after 3 attempts.', messageId: '<conf-2@fax.example>' });
  await waitFor(async () => ((await h.hub.m.Message.findById(second).lean()) as any)?.status === 'failed', 15_000, 'fax failed');
  expect(((await h.hub.m.Message.findById(second).lean()) as any).statusDetail).toMatch(/line busy/);
  // Confirmations open nothing: only the second fax was added.
  expect(await h.hub.m.Message.countDocuments({})).toBe(before + 1);
});
