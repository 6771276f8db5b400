/**
 * The shape of issue 15's registry, checked on the source: channels/ sits above the hub and reaches it
 * only through channels/contract.ts. Walks every import (static, type-only, re-exports, dynamic) of
 * channels/ and hub/ and fails on a channels → hub import, on a cycle through both folders, and on the
 * hub naming a connector instead of going through the registry.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return files(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative imports of one file, as repository paths (.js specifiers name the .ts source). */
function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...src.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts'));
}

export function graph(dirs: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const todo = dirs.flatMap(files);
  while (todo.length) {
    const f = todo.pop()!;
    if (g.has(f)) continue;
    const deps = importsOf(f);
    g.set(f, deps);
    // Follow imports out of the two folders too (config/, lib/): a loop may pass through them.
    for (const d of deps) if (!g.has(d) && statSync(join(ROOT, d), { throwIfNoEntry: false })) todo.push(d);
  }
  return g;
}

/** Strongly connected components with more than one file (Tarjan). */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const g = graph(['channels', 'hub']);

test('the walker sees what it must (a self-check: an empty graph would pass everything)', () => {
  expect(g.get('hub/hub.ts')).toContain('channels/index.ts');
  expect(g.get('channels/webchat/connector.ts')).toContain('channels/contract.ts');
  expect(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]]))).toEqual([['a', 'b']]);
});

test('no connector imports the hub: channels/ depends on the contract and shared helpers only', () => {
  const bad = [...g].filter(([f]) => f.startsWith('channels/')).flatMap(([f, deps]) => deps.filter((d) => d.startsWith('hub/')).map((d) => `${f} → ${d}`));
  expect(bad).toEqual([]);
});

test('no import cycle runs through both channels/ and hub/', () => {
  const both = cycles(g).filter((c) => c.some((f) => f.startsWith('channels/')) && c.some((f) => f.startsWith('hub/')));
  expect(both).toEqual([]);
});

test('the hub names no connector: it reaches channels/ through the contract and the registry only', () => {
  const allowed = new Set(['channels/contract.ts', 'channels/index.ts']);
  const bad = [...g].filter(([f]) => f.startsWith('hub/')).flatMap(([f, deps]) => deps.filter((d) => d.startsWith('channels/') && !allowed.has(d)).map((d) => `${f} → ${d}`));
  expect(bad).toEqual([]);
});

test('the contract imports nothing of the hub, directly or through another file', () => {
  const seen = new Set<string>();
  const todo = ['channels/contract.ts'];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(g.get(f) ?? []));
  }
  expect([...seen].filter((f) => f.startsWith('hub/'))).toEqual([]);
});
