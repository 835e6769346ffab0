/**
 * The system clock's epoch (src/time/clock.ts): from the capture binding's CLOCK_REALTIME -
 * CLOCK_MONOTONIC once it is loaded, else performance.timeOrigin; either way within microseconds of
 * performance's, monotonic, and on the clock the kernel stamps captured frames with.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = (p: string) => new URL(p, import.meta.url).href;
const addon = fileURLToPath(new URL('../../build/Release/arpinject_pcap.node', import.meta.url));

/** In a fresh process (the clock fixes its epoch at its first reading): what `script` prints. */
function fresh(script: string): Record<string, number | boolean | string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number | boolean | string>;
}

const compare = `
  const { systemClock } = await import(${JSON.stringify(here('../../src/time/clock.ts'))});
  performance.now(); // perf_hooks loaded before the readings below, so they are microseconds apart
  const a = systemClock.now();
  const p = performance.timeOrigin + performance.now();
  const b = systemClock.now();
  const d = Date.now();
  const later = await new Promise((r) => setTimeout(() => r(systemClock.now()), 50));
`;

test("with the binding loaded: the binding's epoch, within 0.2 ms of performance.timeOrigin + now(), monotonic", { skip: existsSync(addon) ? false : 'the binding is not built' }, () => {
  const r = fresh(`
    const { loadBinding } = await import(${JSON.stringify(here('../../src/link/binding.ts'))});
    const offset = loadBinding().realtimeOffsetMs();
    ${compare}
    const mine = systemClock.now() - Number(process.hrtime.bigint()) / 1e6 - offset;
    console.log(JSON.stringify({ offset, a, p, b, d, later, mine }));
  `);
  const { a, p, b, d, later, offset, mine } = r as Record<string, number>;
  assert.ok(Math.abs(mine) < 0.05, `the clock is the binding's offset + the monotonic clock (${mine} ms apart)`);
  assert.ok(Math.abs(a - p) < 0.2 && Math.abs(b - p) < 0.2, `clock ${a}/${b} vs performance ${p}`);
  assert.ok(a <= b && b < later && later - b >= 45, `monotonic: ${a} ${b} ${later}`);
  assert.ok(Math.abs(b - d) < 2, `Date.now() ${d} agrees to the millisecond`);
  assert.ok(offset > 1.6e12, `an epoch offset (${offset})`);
});

test("without the binding: performance's epoch, the same agreement", () => {
  const r = fresh(`${compare} console.log(JSON.stringify({ a, p, b, d, later }));`);
  const { a, p, b, d, later } = r as Record<string, number>;
  assert.ok(Math.abs(a - p) < 0.2 && Math.abs(b - p) < 0.2, `clock ${a}/${b} vs performance ${p}`);
  assert.ok(a <= b && b < later, 'monotonic');
  assert.ok(Math.abs(b - d) < 2);
});
