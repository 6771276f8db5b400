/**
 * Card and resident ID numbers are masked where the hub shows customer text to agents (the inbox
 * preview, over HTTP and to a console that loads later), by the same rules the console applies to the
 * messages it shows (agent-ui/src/mask.spec.ts): a card keeps its last four, an ID its first and last
 * four, and phone numbers, short numbers and amounts stay as written.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';
import { newVisitor } from '../helpers/visitor.js';

let h: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'masking' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

/** A visitor writes `text`; resolves with the preview an agent's inbox shows for that conversation, over HTTP. */
async function previewOf(text: string): Promise<{ list: string; one: string }> {
  const { conversationId: id } = await (await newVisitor(h.url, sockets, 'Masking Visitor')).send(text);
  const token = await loginAs(h.url, 'super1');
  const list = await waitFor(async () => {
    const r = await api(h.url, '/api/conversations?scope=all', { token });
    return (r.body.items as { id: string; lastMessagePreview: string }[] | undefined)?.find((c) => c.id === id)?.lastMessagePreview;
  }, 10_000, 'the conversation in the inbox');
  const one = await api(h.url, `/api/conversations/${id}`, { token });
  expect(one.status).toBe(200);
  return { list, one: one.body.conversation.lastMessagePreview };
}

test('a card number keeps its last four, grouped or not', async () => {
  for (const [text, shown] of [
    ['card 6222021234567890 lost', 'card ************7890 lost'],
    ['卡号 6222 0212 3456 7890。', '卡号 ************7890。'],
    ['4111-1111-1111-1111', '************1111'],
  ]) {
    const p = await previewOf(text);
    expect(p.list, text).toBe(shown);
    expect(p.one, text).toBe(shown);
  }
});

test('a resident ID number keeps its first digit and last four, X check digit included', async () => {
  const p = await previewOf('身份证110101199003071234 和 11010119900307123X');
  expect(p.list).toBe('身份证1*************1234 和 1*************123X');
  expect(p.one).toBe(p.list);
});

test('phone numbers, short numbers and amounts are not masked', async () => {
  const text = 'call 95588 or +86 138 0013 8000, pay 1,200.50, mobile 13800138000';
  const p = await previewOf(text);
  expect(p.list).toBe(text);
  expect(p.one).toBe(text);
});
