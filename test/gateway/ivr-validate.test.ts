/**
 * Flow validation when saved: each rule, with a flow that breaks it, and the problem names the node.
 * Pure (no store): the checks that need the store (unknown queue, unknown prompt) are in ivr-api.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { checkFlow } from '../../gateway/ivr/validate-flow.js';
import { DEMO_FLOW } from '../../gateway/ivr/demo-flow.js';

const clone = () => structuredClone(DEMO_FLOW) as any;
const node = (f: any, id: string) => f.nodes.find((n: any) => n.id === id);
const problems = (f: unknown) => {
  const r = checkFlow(f);
  if (r.ok) throw new Error('expected the flow to be refused');
  return r.problems;
};

test('the demo flow is valid (every node type it uses, a dynamic menu, VIP rule, onMaxTime)', () => {
  const r = checkFlow(DEMO_FLOW);
  expect(r.ok ? [] : r.problems).toEqual([]);
});

describe('schema per node type', () => {
  test('an unknown node type is refused naming the node', () => {
    const f = clone();
    f.nodes.push({ id: 'weird', type: 'dance', next: 'main' });
    expect(problems(f)).toEqual([expect.objectContaining({ node: 'weird' })]);
  });
  test('collect: minLength above maxLength, a terminator that is not a digit', () => {
    const f = clone();
    Object.assign(node(f, 'askCard'), { minLength: 20, maxLength: 19 });
    expect(problems(f)).toEqual([expect.objectContaining({ node: 'askCard', message: expect.stringMatching(/minLength/) })]);
    const g = clone();
    node(g, 'askCard').terminator = 'x';
    expect(problems(g)[0]).toMatchObject({ node: 'askCard', message: expect.stringMatching(/^terminator/) });
  });
  test('menu: two options on one digit; no prompt and an option without label', () => {
    const f = clone();
    node(f, 'main').options[1].digit = '1';
    expect(problems(f)[0]).toMatchObject({ node: 'main', message: expect.stringMatching(/same digit/) });
    const g = clone();
    delete node(g, 'likely').options[0].label;
    expect(problems(g)[0]).toMatchObject({ node: 'likely', message: expect.stringMatching(/label/) });
  });
  test('lookup by card without the var it reads', () => {
    const f = clone();
    delete node(f, 'findCard').var;
    expect(problems(f)[0]).toMatchObject({ node: 'findCard' });
  });
  test('condition: an unknown time zone, an interval that ends before it starts', () => {
    const f = clone();
    node(f, 'open').test.tz = 'Mars/Olympus';
    expect(problems(f)[0]).toMatchObject({ node: 'open', message: expect.stringMatching(/time zone/) });
    const g = clone();
    node(g, 'open').test.week['1'] = [{ from: '20:00', to: '08:00' }];
    expect(problems(g)[0]).toMatchObject({ node: 'open', message: expect.stringMatching(/ends after it starts/) });
  });
  test('an extra field is refused (a typo never silently does nothing)', () => {
    const f = clone();
    node(f, 'welcome').nxt = 'x';
    expect(problems(f)[0]).toMatchObject({ node: 'welcome' });
  });
});

describe('graph', () => {
  test('no start node', () => {
    const f = clone();
    f.start = 'nowhere';
    expect(problems(f)).toEqual([{ node: 'nowhere', message: 'start: no such node' }]);
  });
  test('a dangling next names the node and the field', () => {
    const f = clone();
    node(f, 'main').options[2].next = 'gone';
    expect(problems(f)).toEqual([{ node: 'main', message: 'options.2.next: goes to gone, which does not exist' }]);
  });
  test('two nodes with one id', () => {
    const f = clone();
    f.nodes.push({ ...node(f, 'bye') });
    expect(problems(f)).toEqual([{ node: 'bye', message: 'two nodes have this id' }]);
  });
  test('a loop that passes no menu or collect is refused; a loop through a menu is fine', () => {
    const f = clone();
    // noCard → after (a menu) is fine; make it noCard → balanceSent → noCard: plays forever.
    node(f, 'noCard').next = 'balanceSent';
    node(f, 'balanceSent').next = 'noCard';
    node(f, 'findCard').next = 'noCard';
    const p = problems(f);
    expect(p.some((x) => /loop without input: .*noCard.*balanceSent|loop without input: .*balanceSent.*noCard/.test(x.message))).toBe(true);
    // The demo flow itself loops main → askCard → … → after → main: through menus, accepted (first test).
  });
  test("a dynamic menu's whenNothingLikely is taken without input: a loop through it alone is refused", () => {
    const f = clone();
    node(f, 'likely').whenNothingLikely = 'knownLanguage';
    expect(problems(f).some((x) => /loop without input: .*likely.*knownLanguage|loop without input: .*knownLanguage.*likely/.test(x.message))).toBe(true);
  });
  test('a self-loop on a condition', () => {
    const f = clone();
    node(f, 'open').else = 'open';
    expect(problems(f)).toContainEqual({ node: 'open', message: 'loop without input: open → open passes no menu or collect' });
  });
  test('onMaxTime must end the IVR', () => {
    const f = clone();
    f.onMaxTime = 'main';
    expect(problems(f)[0]).toMatchObject({ node: 'main', message: expect.stringMatching(/onMaxTime must be a node that ends/) });
  });
  test('a node nothing reaches', () => {
    const f = clone();
    f.nodes.push({ id: 'orphan', type: 'hangup' });
    expect(problems(f)).toEqual([{ node: 'orphan', message: 'no path from the start reaches this node' }]);
  });
});

describe('bounded sizes', () => {
  test('more than 200 nodes, more than 12 options, a prompt over 500 characters', () => {
    const f = clone();
    for (let i = 0; i < 200; i++) f.nodes.push({ id: `x${i}`, type: 'hangup' });
    expect(problems(f)[0].message).toMatch(/^nodes: /);
    const g = clone();
    const main = node(g, 'main');
    main.options = Array.from({ length: 13 }, (_, i) => ({ ...main.options[0], digit: '0123456789*#x'[i] }));
    expect(problems(g).some((p) => p.node === 'main' && /options/.test(p.message))).toBe(true);
    const h = clone();
    node(h, 'welcome').prompt.text = '好'.repeat(501);
    expect(problems(h)[0]).toMatchObject({ node: 'welcome', message: expect.stringMatching(/^prompt/) });
  });
  test('maxIvrSec within 10 s to 30 min', () => {
    expect(problems({ ...clone(), maxIvrSec: 5 })[0].message).toMatch(/^maxIvrSec/);
    expect(problems({ ...clone(), maxIvrSec: 3600 })[0].message).toMatch(/^maxIvrSec/);
  });
});
