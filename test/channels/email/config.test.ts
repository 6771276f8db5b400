/** The email config section (channels/email/config.ts): the issue's exact shape, clear errors, secrets redacted. */
import { expect, test } from 'vitest';
import { EmailConfigSchema, REDACTED, redactEmailConfig } from '../../../channels/email/config.js';

// Exactly the example of issue 18.
const example = {
  mailboxes: [
    {
      name: 'service',
      address: 'service@bank.example',
      queue: 'general',
      kind: 'email',
      imap: { host: '127.0.0.1', port: 143, secure: false, user: 'service', password: 'imap-secret-1', folder: 'INBOX' },
      smtp: { host: '127.0.0.1', port: 25, secure: false, user: 'service', password: 'smtp-secret-2' },
    },
  ],
};

test("the issue's example parses as written, with defaults for the rest", () => {
  const c = EmailConfigSchema.parse(example);
  expect(c.mailboxes[0]).toEqual(example.mailboxes[0]);
  expect(c.maxAttachmentBytes).toBe(10 * 1024 * 1024);
});

test('bad values name their key', () => {
  const bad = structuredClone(example) as any;
  bad.mailboxes[0].imap.port = 70000;
  bad.mailboxes[0].address = 'not-an-address';
  bad.mailboxes[0].kind = 'pager';
  bad.mailboxes[0].smtp.password = undefined;
  bad.mailboxes[0].imap.extra = 1;
  const r = EmailConfigSchema.safeParse(bad);
  expect(r.success).toBe(false);
  const paths = r.error!.issues.map((i) => i.path.join('.'));
  expect(paths).toEqual(expect.arrayContaining(['mailboxes.0.imap.port', 'mailboxes.0.address', 'mailboxes.0.kind', 'mailboxes.0.imap']));
  const two = EmailConfigSchema.safeParse({ mailboxes: [example.mailboxes[0], { ...example.mailboxes[0], address: 'cards@bank.example' }] });
  expect(two.error!.issues[0]).toMatchObject({ path: ['mailboxes', 1, 'name'] });
  const pair = structuredClone(example) as any;
  delete pair.mailboxes[0].smtp.password;
  expect(EmailConfigSchema.safeParse(pair).error!.issues[0].message).toMatch(/go together/);
});

test('redacted config carries no password, anywhere', () => {
  const c = EmailConfigSchema.parse(example);
  const shown = JSON.stringify(redactEmailConfig(c));
  expect(shown).not.toContain('imap-secret-1');
  expect(shown).not.toContain('smtp-secret-2');
  expect(redactEmailConfig(c).mailboxes[0].imap.password).toBe(REDACTED);
  // The original is untouched (the connector still needs it).
  expect(c.mailboxes[0].imap.password).toBe('imap-secret-1');
});
