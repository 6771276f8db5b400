/**
 * Card and resident ID numbers are masked where the hub shows customer text to agents (the inbox
 * preview, over HTTP and to a console that loads later), by the one rule the hub and the console share
 * (lib/mask.ts, issue 16): a Luhn-valid card and a checksummed resident ID keep their last four (the
 * separators stay), and phone numbers, short numbers and amounts stay as written.
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
    ['card 4111111111111111 lost', 'card ************1111 lost'],
    ['卡号 4111 1111 1111 1111。', '卡号 **** **** **** 1111。'],
    ['4111-1111-1111-1111', '****-****-****-1111'],
  ]) {
    const p = await previewOf(text);
    expect(p.list, text).toBe(shown);
    expect(p.one, text).toBe(shown);
  }
});

test('a resident ID number keeps its last four, X check digit included', async () => {
  const p = await previewOf('身份证11010519491231002X 和 ４１１１１１１１１１１１１１１１');
  expect(p.list).toBe('身份证**************002X 和 ************１１１１');
  expect(p.one).toBe(p.list);
});

test('phone numbers, short numbers and amounts are not masked', async () => {
  const text = 'call 95588 or +86 138 0013 8000, pay 1,200.50, mobile 13800138000';
  const p = await previewOf(text);
  expect(p.list).toBe(text);
  expect(p.one).toBe(text);
});
