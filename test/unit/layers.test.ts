/**
 * The layering, enforced: a module may import only from its own layer or a lower one. A lower layer
 * importing a higher one (link -> probe, detect -> probe internals, a library module -> cli) fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
/** Lowest first. A file's layer is its top folder under src/ (or its name, for files at the top). */
const LAYERS: string[][] = [
  ['errors.ts', 'log.ts', 'time', 'wire'],
  ['read-input.ts', 'link', 'records', 'correlate', 'findings', 'pacing'],
  ['detect'],
  ['probe'],
  ['sweep', 'watch', 'trigger', 'explain'],
  ['lab'],
  ['cli'],
  ['index.ts'],
];
const rank = (path: string): number => {
  const top = relative(src, path).split('/')[0]!;
  const r = LAYERS.findIndex((l) => l.includes(top));
  if (r < 0) throw new Error(`src/${relative(src, path)}: its folder "${top}" has no layer in layers.test.ts`);
  return r;
};
function* files(dir: string): Generator<string> {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (n.endsWith('.ts')) yield p;
  }
}

test('no module imports from a higher layer', () => {
  const bad: string[] = [];
  let edges = 0;
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = normalize(join(dirname(f), m[1]!.replace(/\.js$/, '.ts')));
      edges++;
      if (rank(target) > rank(f)) bad.push(`src/${relative(src, f)} -> src/${relative(src, target)}`);
    }
  }
  assert.ok(edges > 100, `the scan saw ${edges} imports`);
  assert.deepEqual(bad, [], 'imports against the layering');
});

test('the layer check can fail', () => {
  assert.ok(rank(join(src, 'link/pcap-link.ts')) < rank(join(src, 'probe/probe.ts')));
  assert.ok(rank(join(src, 'cli/main.ts')) > rank(join(src, 'lab/lab.ts')));
});
