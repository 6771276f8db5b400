/**
 * IVR administration over HTTP against a real hub and store: admins only (as stored now), a bad flow
 * refused 400 naming the node with nothing stored, versioned updates (a stale version is 409),
 * deletion, the version log, audit, and WAV prompt uploads checked for the prompt format.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { DEMO_CARDS, DEMO_FLOW, seedIvrDemo, warmPrompts } from '../../gateway/ivr/demo-flow.js';
import { parseWav } from '../../gateway/ivr/prompts/wav.js';

let h: TestHub;
let admin: string;
const dir = mkdtempSync(join(tmpdir(), 'ivr-api-'));

beforeAll(async () => {
  h = await startTestHub({ name: 'ivr-api', overrides: { dataDir: dir } });
  admin = await loginAs(h.url, 'admin');
});
afterAll(async () => {
  await h?.close();
});

const as = (token: string | undefined) => ({
  get: (path: string) => api(h.url, path, { token }),
  post: (path: string, body: unknown) => api(h.url, path, { token, body }),
  put: (path: string, body: unknown) => api(h.url, path, { token, body, method: 'PUT' }),
  del: (path: string) => api(h.url, path, { token, method: 'DELETE' }),
});
const flow = (patch: (f: any) => void = () => undefined) => {
  const f = structuredClone(DEMO_FLOW) as any;
  patch(f);
  return f;
};
const audits = (action: string) => h.hub.m.Audit.find({ action }).lean();

test('only admins: every IVR route refuses no token (401) and agents, supervisors, marketing (403); nothing is stored', async () => {
  const routes: [string, string][] = [
    ['GET', '/api/admin/ivr/flows'],
    ['POST', '/api/admin/ivr/flows'],
    ['POST', '/api/admin/ivr/flows/validate'],
    ['GET', '/api/admin/ivr/flows/x'],
    ['GET', '/api/admin/ivr/flows/x/versions'],
    ['PUT', '/api/admin/ivr/flows/x'],
    ['DELETE', '/api/admin/ivr/flows/x'],
    ['GET', '/api/admin/ivr/prompts'],
    ['POST', '/api/admin/ivr/prompts'],
    ['DELETE', '/api/admin/ivr/prompts/0123456789abcdef01234567'],
  ];
  const tokens = { none: undefined, agent1: await loginAs(h.url, 'agent1'), super1: await loginAs(h.url, 'super1'), market1: await loginAs(h.url, 'market1') };
  for (const [method, path] of routes) {
    for (const [who, token] of Object.entries(tokens)) {
      const r = await api(h.url, path, { token, method, body: method === 'GET' || method === 'DELETE' ? undefined : { id: 'x', version: 1, ...DEMO_FLOW } });
      expect(r.status, `${method} ${path} as ${who}`).toBe(token ? 403 : 401);
      expect(typeof r.body.error.code).toBe('string');
    }
  }
  expect(await h.hub.m.IvrFlow.countDocuments()).toBe(0);
});

test('the role is read as stored now: an admin demoted to agent is refused at once', async () => {
  const created = await as(admin).post('/api/admin/users', { username: 'ivradmin', name: 'IVR admin', role: 'admin', password: 'ivradminpass' });
  expect(created.status).toBe(201);
  const t = await loginAs(h.url, 'ivradmin', 'ivradminpass');
  expect((await as(t).get('/api/admin/ivr/flows')).status).toBe(200);
  expect((await api(h.url, `/api/admin/users/${created.body.user.id}`, { token: admin, method: 'PATCH', body: { role: 'agent' } })).status).toBe(200);
  const after = await as(t).get('/api/admin/ivr/flows');
  expect([401, 403]).toContain(after.status);
});

describe('flows', () => {
  test('a bad flow is refused 400 invalid_flow naming the node and the problem; nothing stored, nothing audited', async () => {
    const r = await as(admin).post('/api/admin/ivr/flows', { id: 'bad', ...flow((f) => (f.nodes.find((n: any) => n.id === 'main').onFail = 'gone')) });
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({ code: 'invalid_flow', message: 'node main: onFail: goes to gone, which does not exist' });
    const unknownQueue = await as(admin).post('/api/admin/ivr/flows', { id: 'bad', ...flow((f) => (f.nodes.find((n: any) => n.id === 'toCards').queue = 'nope')) });
    expect(unknownQueue.status).toBe(400);
    expect(unknownQueue.body.error.message).toBe('node toCards: queue: unknown queue nope');
    const unknownPrompt = await as(admin).post('/api/admin/ivr/flows', { id: 'bad', ...flow((f) => (f.nodes[0].prompt = { file: '0123456789abcdef01234567' })) });
    expect(unknownPrompt.body.error.message).toBe('node welcome: prompt file 0123456789abcdef01234567 is not an uploaded prompt');
    const badId = await as(admin).post('/api/admin/ivr/flows', { id: 'Bad Id', ...flow() });
    expect(badId.status).toBe(400);
    expect(await h.hub.m.IvrFlow.countDocuments()).toBe(0);
    expect(await audits('ivr.flow.create')).toHaveLength(0);
  });

  test('validate answers every problem without saving', async () => {
    const r = await as(admin).post('/api/admin/ivr/flows/validate', flow((f) => {
      f.start = 'nowhere';
      f.nodes.find((n: any) => n.id === 'open').then = 'gone';
    }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: false, problems: [{ node: 'nowhere', message: 'start: no such node' }, { node: 'open', message: 'then: goes to gone, which does not exist' }] });
    expect((await as(admin).post('/api/admin/ivr/flows/validate', flow())).body).toEqual({ ok: true, problems: [] });
    expect(await h.hub.m.IvrFlow.countDocuments()).toBe(0);
  });

  test('create, read, list; update by version (stale → 409, nothing overwritten); version log; delete; all audited', async () => {
    const a = as(admin);
    const c = await a.post('/api/admin/ivr/flows', { id: 'hotline', ...flow() });
    expect(c.status).toBe(201);
    expect(c.body.flow).toMatchObject({ id: 'hotline', version: 1, name: DEMO_FLOW.name, start: 'welcome', maxIvrSec: 300 });
    const again = await a.post('/api/admin/ivr/flows', { id: 'hotline', ...flow() });
    expect([again.status, again.body.error.code]).toEqual([409, 'flow_exists']);
    expect((await a.get('/api/admin/ivr/flows')).body.flows).toEqual([expect.objectContaining({ id: 'hotline', version: 1, numbers: ['95588'], nodes: DEMO_FLOW.nodes.length })]);
    expect((await a.get('/api/admin/ivr/flows/hotline')).body.flow.nodes).toHaveLength(DEMO_FLOW.nodes.length);
    // A call finds it by the number it was dialled on (with or without +); another number, no flow.
    expect((await h.hub.ivr.flows.forCalled('+95588'))?.id).toBe('hotline');
    expect((await h.hub.ivr.flows.forCalled('95588'))?.id).toBe('hotline');
    expect(await h.hub.ivr.flows.forCalled('95533')).toBeNull();

    const v2 = await a.put('/api/admin/ivr/flows/hotline', { version: 1, ...flow((f) => (f.maxIvrSec = 240)) });
    expect(v2.status).toBe(200);
    expect(v2.body.flow).toMatchObject({ version: 2, maxIvrSec: 240 });
    // A second editor still on version 1 is refused; their edit is not applied.
    const stale = await a.put('/api/admin/ivr/flows/hotline', { version: 1, ...flow((f) => (f.maxIvrSec = 60)) });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    expect((await a.get('/api/admin/ivr/flows/hotline')).body.flow.maxIvrSec).toBe(240);
    // A bad update changes nothing either.
    expect((await a.put('/api/admin/ivr/flows/hotline', { version: 2, ...flow((f) => (f.start = 'x')) })).status).toBe(400);
    expect((await a.put('/api/admin/ivr/flows/hotline', { ...flow() })).status).toBe(400);
    expect((await a.put('/api/admin/ivr/flows/nosuch', { version: 1, ...flow() })).status).toBe(404);
    expect((await a.get('/api/admin/ivr/flows/hotline')).body.flow.version).toBe(2);

    expect((await a.del('/api/admin/ivr/flows/hotline')).status).toBe(200);
    expect((await a.get('/api/admin/ivr/flows/hotline')).status).toBe(404);
    expect((await a.del('/api/admin/ivr/flows/hotline')).status).toBe(404);
    expect((await a.get('/api/admin/ivr/flows/hotline/versions')).body.versions.map((v: any) => [v.version, v.deleted])).toEqual([[3, true], [2, false], [1, false]]);
    expect((await audits('ivr.flow.create')).map((x) => x.target?.id)).toEqual(['hotline']);
    expect((await audits('ivr.flow.update'))[0].details).toMatchObject({ from: 1, version: 2 });
    expect(await audits('ivr.flow.delete')).toHaveLength(1);
  });
});

describe('prompts', () => {
  const wav = (args: string[]) => {
    const out = join(dir, `p${Math.random().toString(36).slice(2)}.wav`);
    execFileSync('sox', ['-n', ...args, out, 'synth', '0.5', 'sine', '440']);
    return readFileSync(out);
  };
  const upload = (buf: Buffer, name = 'greeting.wav') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(buf)], { type: 'audio/wav' }), name);
    return fetch(`${h.url}/api/admin/ivr/prompts`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form }).then(async (r) => ({ status: r.status, body: await r.json() }));
  };

  test('an 8 kHz mono 16-bit WAV is stored (audited); other audio is refused 415 with the reason; a used prompt cannot be deleted', async () => {
    const good = wav(['-r', '8000', '-c', '1', '-b', '16']);
    const ok = await upload(good);
    expect(ok.status).toBe(201);
    expect(ok.body.prompt).toMatchObject({ name: 'greeting.wav', durationMs: 500 });
    const wide = await upload(wav(['-r', '22050', '-c', '1', '-b', '16']));
    expect(wide.status).toBe(415);
    expect(wide.body.error).toMatchObject({ code: 'bad_audio', message: expect.stringMatching(/22050 Hz/) });
    const stereo = await upload(wav(['-r', '8000', '-c', '2', '-b', '16']));
    expect(stereo.body.error.message).toMatch(/2 channels/);
    const text = await upload(Buffer.from('not audio at all'), 'x.wav');
    expect(text.status).toBe(415);
    expect(await h.hub.m.IvrPrompt.countDocuments()).toBe(1);
    expect(await audits('ivr.prompt.upload')).toHaveLength(1);

    // A flow saying the uploaded prompt is valid; the prompt then cannot be deleted.
    const id = ok.body.prompt.id;
    const f = await as(admin).post('/api/admin/ivr/flows', { id: 'uses-prompt', ...flow((x) => (x.nodes[0].prompt = { file: id })) });
    expect(f.status).toBe(201);
    expect((await as(admin).del(`/api/admin/ivr/prompts/${id}`)).status).toBe(409);
    // The engine gets a playable file for it: the upload, written once to the prompt cache.
    const path = await h.hub.ivr.prompts.path({ file: id });
    expect(readFileSync(path).equals(good)).toBe(true);
  });
});

test('the demo seed (npm start): flow `default` stored once (an edit survives a second seed), the demo card identifies its customer, every text prompt generated', async () => {
  const quiet = { info: () => undefined, warn: () => undefined };
  await seedIvrDemo(h.hub.ivr, quiet);
  const first = await h.hub.ivr.flows.get('default');
  expect(first?.version).toBe(1);
  await h.hub.ivr.flows.update('default', 1, { ...structuredClone(DEMO_FLOW), maxIvrSec: 200 }, 'admin');
  await seedIvrDemo(h.hub.ivr, quiet);
  expect((await h.hub.ivr.flows.get('default'))?.flow.maxIvrSec).toBe(200);
  expect((await h.hub.ivr.bank.byCard(DEMO_CARDS[0].card))?.name).toBe('张伟 Zhang Wei');
  expect(await h.hub.ivr.bank.byCard('6222020299999999')).toBeNull();
  const files = await warmPrompts(h.hub.ivr, first!.flow);
  expect(files.length).toBeGreaterThan(15);
  for (const f of new Set(files)) expect(parseWav(readFileSync(f)).durationMs).toBeGreaterThan(300);
});
